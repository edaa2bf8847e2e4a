import { and, asc, desc, eq, getTableColumns, inArray, lte, or, sql, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import type { Database, Transaction } from "../db/index.js";
import {
  dateTimeSchema,
  digestSchema,
  isPostgresTimestamp,
  nonEmpty,
  parseInput,
  text,
  textProblem,
  uuidSchema,
  wholeNumberSchema,
} from "../validation.js";
import { appendAuditEvent, appendAuditEvents, auditActor } from "../audit/service.js";
import { ASSET_STATUSES, PERSONAL_INFO_TREATMENTS, SECURITY_LEVELS, dataAsset, dataAssetVersion } from "./table.js";
import { organization } from "../organizations/table.js";
import { ownershipRight } from "../ownership/table.js";
import { provenanceActivity } from "../provenance/table.js";
import { jsonRow, rowFromJson } from "../db/json-rows.js";
import { InvalidTransitionError, PUBLISHED_STATUSES, allowedActors, type AssetStatus } from "./lifecycle.js";

/** An asset row as the services use it (the generated search vector is never read back). */
export type DataAsset = Omit<typeof dataAsset.$inferSelect, "searchVector">;
export type DataAssetVersion = typeof dataAssetVersion.$inferSelect;

const { searchVector: _searchVector, ...assetColumnsAll } = getTableColumns(dataAsset);
/** Every column but the search vector, for selects and returning(). */
export const assetColumns = assetColumnsAll;

const metadataShape = {
  title: nonEmpty(300),
  description: text().max(10_000).default(""),
  category: nonEmpty(100),
  tags: z.array(nonEmpty(50)).max(50).default([]),
  format: text().max(50).nullish(),
  recordCount: wholeNumberSchema.nullish(),
  byteSize: wholeNumberSchema.nullish(),
  contentDigest: digestSchema,
  securityLevel: z.enum(SECURITY_LEVELS).nullish(),
  containsPersonalInfo: z.boolean().default(false),
  personalInfoTreatment: z.enum(PERSONAL_INFO_TREATMENTS).default("NONE"),
};
/** The metadata of one asset, as registered or imported. */
export const registerDataAssetSchema = z
  .object(metadataShape)
  .refine((v) => !v.containsPersonalInfo || v.personalInfoTreatment !== "NONE", {
    path: ["personalInfoTreatment"],
    message: "must name a treatment when the asset contains personal information",
  });
export type RegisterDataAssetParams = z.input<typeof registerDataAssetSchema>;
export type DataAssetMetadata = z.output<typeof registerDataAssetSchema>;

/** The columns of a version row taken from an asset's metadata. */
export function versionOf(
  asset: Omit<DataAssetMetadata, "contentDigest"> & { id: string; contentDigest: string },
  version: number,
  createdBy: string,
  createdAt: Date,
): typeof dataAssetVersion.$inferInsert {
  return {
    assetId: asset.id,
    version,
    title: asset.title,
    description: asset.description,
    category: asset.category,
    tags: asset.tags,
    format: asset.format ?? null,
    recordCount: asset.recordCount ?? null,
    byteSize: asset.byteSize ?? null,
    contentDigest: asset.contentDigest,
    securityLevel: asset.securityLevel ?? null,
    containsPersonalInfo: asset.containsPersonalInfo,
    personalInfoTreatment: asset.personalInfoTreatment,
    createdBy,
    createdAt,
  };
}

/**
 * Registers a data asset owned by the caller's organization, in DRAFT, as version 1.
 * @example await registerDataAsset(ctx, { title: "Port logistics 2025", category: "LOGISTICS", contentDigest: "0x…" });
 */
export async function registerDataAsset(ctx: ServiceContext, input: RegisterDataAssetParams): Promise<DataAsset> {
  const actor = requireActor(ctx);
  const params = parseInput(registerDataAssetSchema, input);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(dataAsset)
      .values({ ...params, ownerOrgId: actor.organizationId, createdAt: now, updatedAt: now })
      .returning(assetColumns);
    await tx.insert(dataAssetVersion).values(versionOf(row!, 1, actor.subject, now));
    await appendAuditEvent(
      tx,
      {
        ...auditActor(ctx),
        action: "asset.registered",
        entityType: "DataAsset",
        entityId: row!.id,
        payload: { ownerOrgId: row!.ownerOrgId, version: 1, metadata: params },
      },
      now,
    );
    return row!;
  });
}

const updateSchema = z.object({
  assetId: uuidSchema,
  title: metadataShape.title.optional(),
  description: text().max(10_000).optional(),
  category: metadataShape.category.optional(),
  tags: z.array(nonEmpty(50)).max(50).optional(),
  format: metadataShape.format,
  recordCount: metadataShape.recordCount,
  byteSize: metadataShape.byteSize,
  contentDigest: digestSchema.optional(),
  securityLevel: metadataShape.securityLevel,
  containsPersonalInfo: z.boolean().optional(),
  personalInfoTreatment: z.enum(PERSONAL_INFO_TREATMENTS).optional(),
});
export type UpdateDataAssetParams = z.input<typeof updateSchema>;

/** Statuses in which a token anchors the content digest on chain: the digest can no longer change. */
const DIGEST_FROZEN: readonly AssetStatus[] = ["OFFERED", "TOKENIZED"];

/**
 * Edits an asset's metadata (its owner organization only). Each edit that changes anything
 * writes a new immutable version (the previous ones stay readable, `asOf` reads them); an
 * edit that changes nothing writes nothing. Fields left out keep their value; `null`
 * clears an optional field.
 * @example await updateDataAsset(ctx, { assetId, title: "Port logistics 2025 (rev. 2)" });
 */
export async function updateDataAsset(ctx: ServiceContext, input: UpdateDataAssetParams): Promise<DataAsset> {
  const actor = requireActor(ctx);
  const { assetId, ...changes } = parseInput(updateSchema, input);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    const current = await lockOwnedAsset(ctx, tx, assetId);
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    const merged = parseInput(registerDataAssetSchema, { ...pickMetadata(current), ...given });
    const same = (x: unknown, y: unknown) => JSON.stringify(x ?? null, bigintText) === JSON.stringify(y ?? null, bigintText);
    const changed = Object.keys(given).filter((k) => !same((current as any)[k], (merged as any)[k]));
    if (changed.length === 0) return current;
    if (changed.includes("contentDigest") && DIGEST_FROZEN.includes(current.status)) {
      throw new ConflictError(`the content digest of a ${current.status} asset is anchored on chain and cannot change`);
    }
    const version = current.version + 1;
    const [row] = await tx
      .update(dataAsset)
      .set({ ...merged, version, updatedAt: now })
      .where(eq(dataAsset.id, assetId))
      .returning(assetColumns);
    await tx.insert(dataAssetVersion).values(versionOf(row!, version, actor.subject, now));
    await appendAuditEvent(
      tx,
      {
        ...auditActor(ctx),
        action: "asset.updated",
        entityType: "DataAsset",
        entityId: assetId,
        payload: { version, changed, metadata: merged },
      },
      now,
    );
    return row!;
  });
}

const bigintText = (_key: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

function pickMetadata(a: DataAsset): RegisterDataAssetParams {
  return {
    title: a.title,
    description: a.description,
    category: a.category,
    tags: a.tags,
    format: a.format,
    recordCount: a.recordCount,
    byteSize: a.byteSize,
    contentDigest: a.contentDigest,
    securityLevel: a.securityLevel,
    containsPersonalInfo: a.containsPersonalInfo,
    personalInfoTreatment: a.personalInfoTreatment,
  };
}

/** Whether the caller may read this asset: published ones are public; others only to their owner and to compliance/admin. */
export function canRead(ctx: ServiceContext, asset: Pick<DataAsset, "status" | "ownerOrgId">): boolean {
  if (PUBLISHED_STATUSES.includes(asset.status)) return true;
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return true;
  return ctx.auth.kind === "actor" && ctx.auth.actor.organizationId === asset.ownerOrgId;
}

/**
 * Reads one asset the caller may see, or `NotFoundError` (an unseen draft is not revealed).
 * With `asOf`, the metadata is the version in force at that time (point-in-time read); the
 * lifecycle status is today's (its history is in the audit trail). Before the first version
 * the asset did not exist: `NotFoundError`.
 */
export async function getDataAsset(ctx: ServiceContext, id: string, asOf?: Date | null): Promise<DataAsset> {
  const assetId = parseInput(uuidSchema, id);
  const [row] = await ctx.db.select(assetColumns).from(dataAsset).where(eq(dataAsset.id, assetId));
  if (!row || !canRead(ctx, row)) throw new NotFoundError("DataAsset", id);
  if (!asOf) return row;
  const [v] = await ctx.db
    .select()
    .from(dataAssetVersion)
    .where(and(eq(dataAssetVersion.assetId, assetId), lte(dataAssetVersion.createdAt, asOf)))
    .orderBy(desc(dataAssetVersion.version))
    .limit(1);
  if (!v) throw new NotFoundError("DataAsset", id);
  const { id: _versionId, assetId: _assetId, createdBy: _by, createdAt: versionAt, ...metadata } = v;
  return { ...row, ...metadata, updatedAt: versionAt };
}

/** Loads an asset for a write by its owner organization, locking the row for the transaction. */
export async function lockOwnedAsset(ctx: ServiceContext, tx: Transaction, id: string): Promise<DataAsset> {
  const actor = requireActor(ctx);
  const [row] = await tx.select(assetColumns).from(dataAsset).where(eq(dataAsset.id, id)).for("update");
  if (!row || !canRead(ctx, row)) throw new NotFoundError("DataAsset", id);
  requireSameOrganization(actor, row.ownerOrgId, "data asset");
  return row;
}

export const ASSET_ORDERS = ["CREATED_AT_DESC", "UPDATED_AT_DESC", "TITLE_ASC", "RELEVANCE"] as const;
export type AssetOrder = (typeof ASSET_ORDERS)[number];

const searchSchema = z
  .object({
    search: text().trim().max(500).nullish(),
    filter: z
      .object({
        category: z.array(text().max(100)).max(100).nullish(),
        securityLevel: z.array(z.enum(SECURITY_LEVELS)).max(3).nullish(),
        status: z.array(z.enum(ASSET_STATUSES)).max(9).nullish(),
        ownerOrgId: uuidSchema.nullish(),
        tags: z.array(text().max(50)).max(50).nullish(),
        updatedAfter: dateTimeSchema.nullish(),
        updatedBefore: dateTimeSchema.nullish(),
      })
      .nullish(),
    orderBy: z.enum(ASSET_ORDERS).nullish(),
    first: z.number().int().min(1, "page size is at least 1").max(100, "page size is at most 100").default(20),
    after: z.string().nullish(),
  })
  .refine((v) => v.orderBy !== "RELEVANCE" || Boolean(v.search), { path: ["orderBy"], message: "RELEVANCE needs a search text" });
export type SearchDataAssetsParams = z.input<typeof searchSchema>;

/** The cursor: which order it belongs to, the sort key as Postgres printed it (full precision), and the id. */
type Cursor = { o: AssetOrder; k: string; id: string };
const cursorSchema = z.object({ o: z.enum(ASSET_ORDERS), k: z.string(), id: z.string().uuid() });
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString("base64url");
/** The largest finite `real` (float4): a larger rank would make PostgreSQL refuse the cast. */
const REAL_MAX = 3.4028234663852886e38;
/**
 * Whether a cursor's sort key is what PostgreSQL printed for that order, so a hand-made one is
 * refused here and never reaches SQL: a timestamp PostgreSQL accepts, a finite `real`, a title
 * a title could be (storable text, at most 300 characters).
 */
const sortKeyIsReadable: Record<AssetOrder, (k: string) => boolean> = {
  CREATED_AT_DESC: isPostgresTimestamp,
  UPDATED_AT_DESC: isPostgresTimestamp,
  TITLE_ASC: (k) => k.length <= 300 && textProblem(k) === undefined,
  RELEVANCE: (k) => /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(k) && Math.abs(Number(k)) <= REAL_MAX,
};
function decodeCursor(cursor: string, order: AssetOrder): Cursor {
  let parsed: Cursor | undefined;
  try {
    parsed = cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    parsed = undefined;
  }
  if (!parsed) throw new ValidationError([{ path: "after", message: "is not a cursor from this API" }]);
  if (parsed.o !== order) throw new ValidationError([{ path: "after", message: `is a cursor of the ${parsed.o} order, not ${order}` }]);
  if (!sortKeyIsReadable[order](parsed.k)) throw new ValidationError([{ path: "after", message: "is not a cursor from this API" }]);
  return parsed;
}

/**
 * Who is reading, as far as visibility goes: compliance and admins see everything; an actor
 * sees published assets and their own organization's; anyone else, published assets only.
 */
type Viewer = "everything" | "actor" | "public";
function viewerOf(ctx: ServiceContext): Viewer {
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return "everything";
  return ctx.auth.kind === "actor" ? "actor" : "public";
}

const FILTERS = ["category", "securityLevel", "status", "ownerOrgId", "tags", "updatedAfter", "updatedBefore"] as const;
type FilterName = (typeof FILTERS)[number];

/** What a page statement's SQL depends on; every value goes in as a placeholder. */
type PageShape = {
  viewer: Viewer;
  order: AssetOrder;
  search: boolean;
  after: boolean;
  filters: FilterName[];
  rights: boolean;
  latestProvenance: boolean;
  columns: PageColumns;
};

const placeholder = sql.placeholder;
const searchQuery = sql`websearch_to_tsquery('english', ${placeholder("search")})`;
// Each order: the sort key, its SQL type (to read the cursor back), and the direction.
const SORT_KEYS: Record<AssetOrder, { key: SQL; type: string; desc: boolean }> = {
  CREATED_AT_DESC: { key: sql`${dataAsset.createdAt}`, type: "timestamptz", desc: true },
  UPDATED_AT_DESC: { key: sql`${dataAsset.updatedAt}`, type: "timestamptz", desc: true },
  TITLE_ASC: { key: sql`${dataAsset.title}`, type: "text", desc: false },
  RELEVANCE: { key: sql`ts_rank(${dataAsset.searchVector}, ${searchQuery})`, type: "real", desc: true },
};
// A list filter is ONE array parameter (= any), not one parameter per value, so the text does
// not vary with how many values a caller sends.
const FILTER_SQL: Record<FilterName, SQL> = {
  category: sql`${dataAsset.category} = any(${placeholder("category")}::text[])`,
  securityLevel: sql`${dataAsset.securityLevel} = any(${placeholder("securityLevel")}::text[])`,
  status: sql`${dataAsset.status} = any(${placeholder("status")}::text[])`,
  ownerOrgId: sql`${dataAsset.ownerOrgId} = ${placeholder("ownerOrgId")}::uuid`,
  tags: sql`${dataAsset.tags} @> ${placeholder("tags")}::text[]`,
  updatedAfter: sql`${dataAsset.updatedAt} >= ${placeholder("updatedAfter")}::timestamptz`,
  updatedBefore: sql`${dataAsset.updatedAt} < ${placeholder("updatedBefore")}::timestamptz`,
};

/**
 * The page statement of one shape. It is built once per shape and database and reused: the
 * SQL text, its row mapper and drizzle's query object are then made once, not on every page.
 * It is a named (server-side prepared) statement: drizzle's plain execute() asks postgres.js
 * for an unnamed one, which costs a second round trip (describe, then bind) and a fresh parse
 * and plan on every page. postgres.js keys prepared statements by their text, per connection;
 * the shapes are few (the filters given, the order and the kind of caller).
 */
function buildPage(db: Database, shape: PageShape) {
  const { key, type, desc: descending } = SORT_KEYS[shape.order];
  const visible =
    shape.viewer === "everything"
      ? undefined
      : or(
          inArray(dataAsset.status, [...PUBLISHED_STATUSES]),
          shape.viewer === "actor" ? sql`${dataAsset.ownerOrgId} = ${placeholder("viewerOrgId")}::uuid` : sql`false`,
        );
  const cursor = sql`(${placeholder("afterKey")}::${sql.raw(type)}, ${placeholder("afterId")}::uuid)`;
  const where = and(
    visible,
    shape.search ? sql`${dataAsset.searchVector} @@ ${searchQuery}` : undefined,
    ...shape.filters.map((name) => FILTER_SQL[name]),
    shape.after ? (descending ? sql`(${key}, ${dataAsset.id}) < ${cursor}` : sql`(${key}, ${dataAsset.id}) > ${cursor}`) : undefined,
  );
  // The owner organization comes in the same statement (owner_org_id is a required foreign
  // key, so the inner join drops no asset): a catalogue page nearly always shows its owner,
  // and a join on the primary key costs far less than one more statement per page. Rights and
  // latest provenance, when the caller shows them, come in it too. Each row is one JSON text
  // built by PostgreSQL (see db/json-rows.ts): the driver then decodes one value per asset,
  // not some thirty columns, and drizzle maps nothing. It holds only the columns the caller
  // reads, when it said which (PageColumns): a page that shows three fields of each right
  // then costs PostgreSQL a fraction of building every one.
  const { asset, rights, latestProvenance } = shapeColumns(shape.columns);
  const rightsJson = sql`(select coalesce(json_agg(${jsonRow(rights)} order by ${ownershipRight.createdAt}, ${ownershipRight.id}), '[]')
    from ${ownershipRight} where ${ownershipRight.assetId} = ${dataAsset.id})`;
  const latestProvenanceJson = sql`(select ${jsonRow(latestProvenance)}
    from ${provenanceActivity} where ${provenanceActivity.assetId} = ${dataAsset.id}
    order by ${provenanceActivity.startedAt} desc, ${provenanceActivity.id} desc limit 1)`;
  const row = sql<string>`json_build_object('asset', ${jsonRow(asset)}, 'sortKey', (${key})::text, 'owner', ${jsonRow(organization)},
    'rights', ${shape.rights ? rightsJson : sql`null`}, 'latestProvenance', ${shape.latestProvenance ? latestProvenanceJson : sql`null`})::text`;
  const statement = db
    .select({ row })
    .from(dataAsset)
    .innerJoin(organization, eq(organization.id, dataAsset.ownerOrgId))
    .where(where)
    .orderBy(descending ? sql`${key} desc` : sql`${key} asc`, descending ? desc(dataAsset.id) : asc(dataAsset.id))
    .limit(placeholder("limit"))
    .prepare("catalogue_page");
  return {
    statement,
    assetFromJson: rowFromJson<DataAsset>(asset),
    rightFromJson: rowFromJson<OwnershipRight>(rights),
    provenanceFromJson: rowFromJson<ProvenanceActivity>(latestProvenance),
  };
}

/**
 * The page statements made with a column list (PageColumns). Each field set a client sends is
 * one statement, prepared on every pooled connection; past this many, a new field set reads
 * every column (the statement every such caller shares), so no client can make them without bound.
 */
const MAX_NARROW_PAGE_SHAPES = 64;

const pageStatements = new WeakMap<Database, Map<string, ReturnType<typeof buildPage>>>();
function pageStatement(db: Database, shape: PageShape) {
  let statements = pageStatements.get(db);
  if (!statements) {
    statements = new Map();
    pageStatements.set(db, statements);
  }
  const name = JSON.stringify(shape);
  let statement = statements.get(name);
  if (!statement) {
    const narrow = shape.columns.asset || shape.columns.rights || shape.columns.latestProvenance;
    if (narrow && statements.size >= MAX_NARROW_PAGE_SHAPES) return pageStatement(db, { ...shape, columns: {} });
    statement = buildPage(db, shape);
    statements.set(name, statement);
  }
  return statement;
}

type OwnershipRight = typeof ownershipRight.$inferSelect;
type ProvenanceActivity = typeof provenanceActivity.$inferSelect;

/** Which relations of each asset a page reads with it. */
export type PageRelations = { rights?: boolean; latestProvenance?: boolean; columns?: PageColumns };

/**
 * The columns (drizzle property names) of each asset, right and latest activity a caller
 * reads; a kind left out, or naming anything that is not one of its columns, reads every
 * column. The objects of such a page carry only these (and an asset always its id and owner),
 * so they must not be shared with a reader that may want others (a loader's cache): the
 * GraphQL layer keeps them to the page's own nodes.
 */
export type PageColumns = { asset?: readonly string[]; rights?: readonly string[]; latestProvenance?: readonly string[] };

/** Column names once each and sorted, so that the same fields asked in another order are the same statement. */
const sortedNames = (names: readonly string[] | undefined) => names && [...new Set(names)].sort();

/** The column maps a page statement selects: the named ones (id always; an asset's owner too), or all. */
function shapeColumns(columns: PageColumns) {
  const pick = <C extends Record<string, PgColumn>>(all: C, names: readonly string[] | undefined, always: (keyof C & string)[]) => {
    if (!names || names.some((name) => !Object.hasOwn(all, name))) return all;
    return Object.fromEntries([...always, ...names].map((name) => [name, all[name]!]));
  };
  return {
    asset: pick(assetColumns, columns.asset, ["id", "ownerOrgId"]),
    rights: pick(getTableColumns(ownershipRight), columns.rights, ["id"]),
    latestProvenance: pick(getTableColumns(provenanceActivity), columns.latestProvenance, ["id"]),
  };
}

/** A page of assets, with each asset's owner and, when asked for, its rights and latest provenance (by position). */
export type CataloguePage = {
  edges: { node: DataAsset; cursor: string }[];
  hasNextPage: boolean;
  owners: (typeof organization.$inferSelect)[];
  rights?: OwnershipRight[][];
  latestProvenance?: (ProvenanceActivity | null)[];
};

const ownerFromJson = rowFromJson(organization);

/** One row of a page statement, as PostgreSQL built it. */
type PageRowJson = {
  asset: Record<string, unknown>;
  sortKey: string;
  owner: Record<string, unknown>;
  rights: Record<string, unknown>[] | null;
  latestProvenance: Record<string, unknown> | null;
};

/**
 * An edge whose cursor is encoded when it is read: a page usually shows none but its end
 * cursor, and encoding one (JSON, then base64) for every row of every page was garbage.
 */
class PageEdge {
  constructor(
    readonly node: DataAsset,
    private readonly order: AssetOrder,
    private readonly sortKey: string,
  ) {}
  get cursor(): string {
    return encodeCursor({ o: this.order, k: this.sortKey, id: this.node.id });
  }
}

/**
 * Searches and lists the assets the caller may see. Full-text search runs on the generated
 * `search_vector` (GIN index), ranked by `ts_rank`; filters combine with AND. Pagination is
 * keyset on (sort key, id), so a page stays correct when rows are inserted between pages;
 * the cursor carries the sort key as Postgres printed it, with full microsecond precision.
 * @example await searchDataAssets(ctx, { search: "port logistics", filter: { securityLevel: ["GENERAL"] }, first: 20 });
 */
export async function searchDataAssets(
  ctx: ServiceContext,
  input: SearchDataAssetsParams,
  related: PageRelations = {},
): Promise<CataloguePage> {
  const params = parseInput(searchSchema, input);
  const order: AssetOrder = params.orderBy ?? (params.search ? "RELEVANCE" : "CREATED_AT_DESC");
  const f = params.filter ?? {};
  const given = (name: FilterName) => {
    const value = f[name];
    return Array.isArray(value) ? value.length > 0 : Boolean(value);
  };
  const after = params.after ? decodeCursor(params.after, order) : undefined;
  const shape: PageShape = {
    viewer: viewerOf(ctx),
    order,
    search: Boolean(params.search),
    after: Boolean(after),
    filters: FILTERS.filter(given),
    rights: Boolean(related.rights),
    latestProvenance: Boolean(related.latestProvenance),
    columns: {
      asset: sortedNames(related.columns?.asset),
      rights: related.rights ? sortedNames(related.columns?.rights) : undefined,
      latestProvenance: related.latestProvenance ? sortedNames(related.columns?.latestProvenance) : undefined,
    },
  };
  const { statement, assetFromJson, rightFromJson, provenanceFromJson } = pageStatement(ctx.db, shape);
  const rows = await statement.execute({
    viewerOrgId: ctx.auth.kind === "actor" ? ctx.auth.actor.organizationId : undefined,
    search: params.search,
    ...f,
    updatedAfter: f.updatedAfter?.toISOString(),
    updatedBefore: f.updatedBefore?.toISOString(),
    afterKey: after?.k,
    afterId: after?.id,
    limit: params.first + 1,
  });
  const shown = rows.slice(0, params.first).map((r) => JSON.parse(r.row) as PageRowJson);
  return {
    edges: shown.map((r) => new PageEdge(assetFromJson(r.asset), order, r.sortKey)),
    hasNextPage: rows.length > params.first,
    owners: shown.map((r) => ownerFromJson(r.owner)),
    rights: related.rights ? shown.map((r) => r.rights!.map(rightFromJson)) : undefined,
    latestProvenance: related.latestProvenance
      ? shown.map((r) => (r.latestProvenance ? provenanceFromJson(r.latestProvenance) : null))
      : undefined,
  };
}

const transitionSchema = z.object({ assetId: uuidSchema, to: z.enum(ASSET_STATUSES) });

/**
 * Moves an asset through its lifecycle. An illegal move answers `InvalidTransitionError`
 * naming the current state, and the row is unchanged.
 */
export async function transitionDataAsset(ctx: ServiceContext, input: { assetId: string; to: AssetStatus }): Promise<DataAsset> {
  const actor = requireActor(ctx);
  const { assetId, to } = parseInput(transitionSchema, input);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select(assetColumns).from(dataAsset).where(eq(dataAsset.id, assetId)).for("update");
    if (!row || !canRead(ctx, row)) throw new NotFoundError("DataAsset", assetId);
    const actors = allowedActors(row.status, to);
    if (!actors) throw new InvalidTransitionError(row.status, to);
    const byOwner = actors.includes("ASSET_OWNER") && actor.roles.includes("ASSET_OWNER") && actor.organizationId === row.ownerOrgId;
    const byOfficer = actors.includes("COMPLIANCE_OFFICER") && actor.roles.includes("COMPLIANCE_OFFICER");
    if (!byOwner && !byOfficer) {
      throw new ForbiddenError(`moving a data asset from ${row.status} to ${to} needs ${actors.join(" or ")}`);
    }
    const now = ctx.now();
    const [updated] = await tx
      .update(dataAsset)
      .set({ status: to, updatedAt: now })
      .where(eq(dataAsset.id, assetId))
      .returning(assetColumns);
    await appendAuditEvent(
      tx,
      { ...auditActor(ctx), action: "asset.transitioned", entityType: "DataAsset", entityId: assetId, payload: { from: row.status, to } },
      now,
    );
    return updated!;
  });
}

/**
 * A transition made by the system as part of another flow (offering, tokenization); skipped
 * when not legal from the current state (the same table as every other transition). Each
 * asset moved gets an audit event, in the caller's transaction.
 */
export async function systemTransition(tx: Transaction, assetIds: string[], to: AssetStatus, now: Date) {
  if (assetIds.length === 0) return;
  const from = ASSET_STATUSES.filter((s) => allowedActors(s, to)?.includes("SYSTEM"));
  const moved = await tx
    .update(dataAsset)
    .set({ status: to, updatedAt: now })
    .where(and(inArray(dataAsset.id, assetIds), inArray(dataAsset.status, from)))
    .returning({ id: dataAsset.id });
  await appendAuditEvents(
    tx,
    moved.map((a) => ({ actor: "SYSTEM", action: "asset.transitioned", entityType: "DataAsset", entityId: a.id, payload: { to } })),
    now,
  );
}

export async function listDataAssetsByIds(db: Database, ids: readonly string[]): Promise<DataAsset[]> {
  if (ids.length === 0) return [];
  return db
    .select(assetColumns)
    .from(dataAsset)
    .where(inArray(dataAsset.id, [...ids]));
}
