/**
 * Per-request DataLoaders for the nested fields of data assets, so a list of N assets
 * resolves its owners, rights, latest provenance and versions in one statement each (rights
 * and latest provenance together in one), whatever N is. The loaders hang off the request's context object in a WeakMap: a new
 * request (a new context) gets fresh loaders and nothing is cached across requests.
 */
import DataLoader from "dataloader";
import { asc, desc, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/index.js";
import { organization } from "../organizations/table.js";
import { ownershipRight } from "../ownership/table.js";
import { provenanceActivity } from "../provenance/table.js";
import { dataAsset, dataAssetVersion } from "./table.js";

type Organization = typeof organization.$inferSelect;
type OwnershipRight = typeof ownershipRight.$inferSelect;
type ProvenanceActivity = typeof provenanceActivity.$inferSelect;
type DataAssetVersion = typeof dataAssetVersion.$inferSelect;

// Both helpers index the rows once (a Map), not a scan of every row for every id.
function groupBy<T, K extends keyof T>(rows: T[], key: K, ids: readonly string[]): T[][] {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = row[key] as unknown as string;
    const group = map.get(k);
    if (group) group.push(row);
    else map.set(k, [row]);
  }
  return ids.map((id) => map.get(id) ?? []);
}

/** One row (or null) per id, the first row of each key. */
function oneBy<T, K extends keyof T>(rows: T[], key: K, ids: readonly string[]): (T | null)[] {
  const map = new Map<string, T>();
  for (const row of rows) {
    const k = row[key] as unknown as string;
    if (!map.has(k)) map.set(k, row);
  }
  return ids.map((id) => map.get(id) ?? null);
}

/** What the rights-and-latest-provenance loader is asked for: one of the two, of one asset. */
type RelationKey = { kind: "rights" | "latestProvenance"; assetId: string };
type Relation = OwnershipRight[] | ProvenanceActivity | null;

const rightsOrder = [asc(ownershipRight.createdAt), asc(ownershipRight.id)];

/**
 * Rights and latest provenance of a set of assets (a catalogue page reads its own with the
 * page, see searchDataAssets; this serves every other list of assets). Both are often asked
 * for in the same tick, so one loader takes both kinds of key and, when a batch holds both, reads them
 * in ONE statement (each asset's rights, left-joined with its latest activity, laterally):
 * every statement costs a round trip and a socket write on both sides, the largest cost of
 * a page after GraphQL execution itself. A batch of one kind reads just that kind.
 */
/**
 * The statement reading rights and latest provenance together, built once per database: its
 * SQL and its row mapper are then made once, not on every page, and it is a named statement,
 * so postgres.js prepares it once per connection (drizzle's plain execute() is unnamed: a
 * describe round trip and a fresh parse and plan every time).
 */
const rightsAndLatestStatements = new WeakMap<Database, ReturnType<typeof buildRightsAndLatest>>();
function buildRightsAndLatest(db: Database) {
  // Each asset's rights, numbered in their order; its latest activity joins the first of them
  // only, so it is sent and decoded once per asset rather than once per right.
  const rightsOf = db
    .select({
      ...getTableColumns(ownershipRight),
      n: sql<number>`row_number() over (order by ${ownershipRight.createdAt}, ${ownershipRight.id})`.as("n"),
    })
    .from(ownershipRight)
    .where(eq(ownershipRight.assetId, dataAsset.id))
    .as("rights");
  const latestOf = db
    .select()
    .from(provenanceActivity)
    .where(eq(provenanceActivity.assetId, dataAsset.id))
    .orderBy(desc(provenanceActivity.startedAt), desc(provenanceActivity.id))
    .limit(1)
    .as("latest");
  return (
    db
      .select({
        assetId: dataAsset.id,
        // A subquery's columns are listed one by one (a whole subquery would be a scalar subselect).
        right: {
          id: rightsOf.id,
          assetId: rightsOf.assetId,
          holderOrgId: rightsOf.holderOrgId,
          rightType: rightsOf.rightType,
          shareBps: rightsOf.shareBps,
          validFrom: rightsOf.validFrom,
          validUntil: rightsOf.validUntil,
          certificateNumber: rightsOf.certificateNumber,
          documentDigest: rightsOf.documentDigest,
          createdAt: rightsOf.createdAt,
        } satisfies Record<keyof OwnershipRight, unknown>,
        latest: {
          id: latestOf.id,
          assetId: latestOf.assetId,
          kind: latestOf.kind,
          actorOrgId: latestOf.actorOrgId,
          startedAt: latestOf.startedAt,
          endedAt: latestOf.endedAt,
          inputs: latestOf.inputs,
          outputDigest: latestOf.outputDigest,
          parameters: latestOf.parameters,
          createdAt: latestOf.createdAt,
        } satisfies Record<keyof ProvenanceActivity, unknown>,
      })
      .from(dataAsset)
      .leftJoinLateral(rightsOf, sql`true`)
      .leftJoinLateral(latestOf, sql`${rightsOf.n} is null or ${rightsOf.n} = 1`)
      // One array parameter, not one parameter per id: the text is the same whatever the page size.
      .where(sql`${dataAsset.id} = any(${sql.placeholder("ids")}::uuid[])`)
      .orderBy(dataAsset.id, rightsOf.n)
      .prepare("catalogue_rights_and_latest_provenance")
  );
}

async function loadRightsAndLatest(db: Database, known: Known, keys: readonly RelationKey[]): Promise<Relation[]> {
  const rightsIds = [...new Set(keys.filter((k) => k.kind === "rights").map((k) => k.assetId))];
  const latestIds = [...new Set(keys.filter((k) => k.kind === "latestProvenance").map((k) => k.assetId))];
  let rights: OwnershipRight[][] = [];
  let latest: (ProvenanceActivity | null)[] = [];
  if (rightsIds.length > 0 && latestIds.length > 0) {
    const ids = [...new Set([...rightsIds, ...latestIds])];
    let statement = rightsAndLatestStatements.get(db);
    if (!statement) {
      statement = buildRightsAndLatest(db);
      rightsAndLatestStatements.set(db, statement);
    }
    const rows = await statement.execute({ ids });
    rights = groupBy(
      rows.flatMap((r) => (r.right ? [r.right] : [])),
      "assetId",
      rightsIds,
    );
    latest = oneBy(
      rows.flatMap((r) => (r.latest ? [r.latest as ProvenanceActivity] : [])),
      "assetId",
      latestIds,
    );
  } else if (rightsIds.length > 0) {
    const rows = await db
      .select()
      .from(ownershipRight)
      .where(inArray(ownershipRight.assetId, rightsIds))
      .orderBy(...rightsOrder);
    rights = groupBy(rows, "assetId", rightsIds);
  } else {
    // DISTINCT ON keeps one row per asset: the latest activity, in a single statement.
    const rows = await db
      .selectDistinctOn([provenanceActivity.assetId])
      .from(provenanceActivity)
      .where(inArray(provenanceActivity.assetId, latestIds))
      .orderBy(provenanceActivity.assetId, desc(provenanceActivity.startedAt), desc(provenanceActivity.id));
    latest = oneBy(rows, "assetId", latestIds);
  }
  for (const [i, id] of rightsIds.entries()) known.rights.set(id, rights[i]!);
  for (const [i, id] of latestIds.entries()) known.latestProvenance.set(id, latest[i]!);
  return keys.map((k) => (k.kind === "rights" ? known.rights.get(k.assetId)! : known.latestProvenance.get(k.assetId)!));
}

/**
 * What this request has already read, by id. A resolver that finds its value here answers
 * it directly instead of through a promise: when every field of a node is answered so,
 * GraphQL completes the node synchronously, which on a 50-asset page saves thousands of
 * promises and microtasks (see the dataAssets field, which reads a page's relations first).
 */
type Known = {
  organization: Map<string, Organization | null>;
  rights: Map<string, OwnershipRight[]>;
  latestProvenance: Map<string, ProvenanceActivity | null>;
};

function createLoaders(db: Database) {
  const known: Known = { organization: new Map(), rights: new Map(), latestProvenance: new Map() };
  const relations = new DataLoader<RelationKey, Relation, string>((keys) => loadRightsAndLatest(db, known, keys), {
    cacheKeyFn: (k) => `${k.kind}:${k.assetId}`,
  });
  const organizations = new DataLoader<string, Organization | null>(async (ids) => {
    const rows = await db
      .select()
      .from(organization)
      .where(inArray(organization.id, [...ids]));
    const found = oneBy(rows, "id", ids);
    for (const [i, id] of ids.entries()) known.organization.set(id, found[i]!);
    return found;
  });
  return {
    known,
    /**
     * Relations a catalogue page read with its nodes, keyed by the node object: they may carry
     * only the columns that query shows (PageColumns), so they answer those nodes and nothing else.
     */
    pageRelations: {
      rights: new WeakMap<object, OwnershipRight[]>(),
      latestProvenance: new WeakMap<object, ProvenanceActivity | null>(),
    },
    /** An organization read elsewhere (with a page of assets), so the owner field needs no statement. */
    primeOrganization(org: Organization) {
      organizations.prime(org.id, org);
      known.organization.set(org.id, org);
    },
    organization: organizations,
    ownershipRights: { load: (assetId: string) => relations.load({ kind: "rights", assetId }) as Promise<OwnershipRight[]> },
    latestProvenance: {
      load: (assetId: string) => relations.load({ kind: "latestProvenance", assetId }) as Promise<ProvenanceActivity | null>,
    },
    provenance: new DataLoader<string, ProvenanceActivity[]>(async (ids) => {
      const rows = await db
        .select()
        .from(provenanceActivity)
        .where(inArray(provenanceActivity.assetId, [...ids]))
        .orderBy(desc(provenanceActivity.startedAt), desc(provenanceActivity.id));
      return groupBy(rows, "assetId", ids);
    }),
    versions: new DataLoader<string, DataAssetVersion[]>(async (ids) => {
      const rows = await db
        .select()
        .from(dataAssetVersion)
        .where(inArray(dataAssetVersion.assetId, [...ids]))
        .orderBy(asc(dataAssetVersion.version));
      return groupBy(rows, "assetId", ids);
    }),
    latestVersion: new DataLoader<string, DataAssetVersion | null>(async (ids) => {
      const rows = await db
        .selectDistinctOn([dataAssetVersion.assetId])
        .from(dataAssetVersion)
        .where(inArray(dataAssetVersion.assetId, [...ids]))
        .orderBy(dataAssetVersion.assetId, sql`${dataAssetVersion.version} desc`);
      return oneBy(rows, "assetId", ids);
    }),
  };
}

export type AssetLoaders = ReturnType<typeof createLoaders>;
const perRequest = new WeakMap<object, AssetLoaders>();

/** The loaders of this request (its context object), created on first use. */
export function loadersFor(ctx: { db: Database }): AssetLoaders {
  let loaders = perRequest.get(ctx);
  if (!loaders) {
    loaders = createLoaders(ctx.db);
    perRequest.set(ctx, loaders);
  }
  return loaders;
}
