/**
 * Per-request DataLoaders for the nested fields of data assets, so a list of N assets
 * resolves its owners, rights, latest provenance and versions in one statement each,
 * whatever N is. The loaders hang off the request's context object in a WeakMap: a new
 * request (a new context) gets fresh loaders and nothing is cached across requests.
 */
import DataLoader from "dataloader";
import { asc, desc, inArray, sql } from "drizzle-orm";
import type { Database } from "../db/index.js";
import { organization } from "../organizations/table.js";
import { ownershipRight } from "../ownership/table.js";
import { provenanceActivity } from "../provenance/table.js";
import { dataAssetVersion } from "./table.js";

type Organization = typeof organization.$inferSelect;
type OwnershipRight = typeof ownershipRight.$inferSelect;
type ProvenanceActivity = typeof provenanceActivity.$inferSelect;
type DataAssetVersion = typeof dataAssetVersion.$inferSelect;

function groupBy<T, K extends keyof T>(rows: T[], key: K, ids: readonly string[]): T[][] {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = row[key] as unknown as string;
    map.set(k, [...(map.get(k) ?? []), row]);
  }
  return ids.map((id) => map.get(id) ?? []);
}

function createLoaders(db: Database) {
  return {
    organization: new DataLoader<string, Organization | null>(async (ids) => {
      const rows = await db.select().from(organization).where(inArray(organization.id, [...ids]));
      return ids.map((id) => rows.find((r) => r.id === id) ?? null);
    }),
    ownershipRights: new DataLoader<string, OwnershipRight[]>(async (ids) => {
      const rows = await db
        .select()
        .from(ownershipRight)
        .where(inArray(ownershipRight.assetId, [...ids]))
        .orderBy(asc(ownershipRight.createdAt), asc(ownershipRight.id));
      return groupBy(rows, "assetId", ids);
    }),
    provenance: new DataLoader<string, ProvenanceActivity[]>(async (ids) => {
      const rows = await db
        .select()
        .from(provenanceActivity)
        .where(inArray(provenanceActivity.assetId, [...ids]))
        .orderBy(desc(provenanceActivity.startedAt), desc(provenanceActivity.id));
      return groupBy(rows, "assetId", ids);
    }),
    latestProvenance: new DataLoader<string, ProvenanceActivity | null>(async (ids) => {
      // DISTINCT ON keeps one row per asset: the latest activity, in a single statement.
      const rows = await db
        .selectDistinctOn([provenanceActivity.assetId])
        .from(provenanceActivity)
        .where(inArray(provenanceActivity.assetId, [...ids]))
        .orderBy(provenanceActivity.assetId, desc(provenanceActivity.startedAt), desc(provenanceActivity.id));
      return ids.map((id) => rows.find((r) => r.assetId === id) ?? null);
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
      return ids.map((id) => rows.find((r) => r.assetId === id) ?? null);
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
