import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor, requireSameOrganization } from "../context.js";
import { ForbiddenError, NotFoundError } from "../errors.js";
import type { Database, Transaction } from "../db/index.js";
import { digestSchema, nonEmpty, parseInput, uuidSchema, wholeNumberSchema } from "../validation.js";
import { ASSET_STATUSES, PERSONAL_INFO_TREATMENTS, SECURITY_LEVELS, dataAsset } from "./table.js";
import { InvalidTransitionError, PUBLISHED_STATUSES, allowedActors, type AssetStatus } from "./lifecycle.js";

export type DataAsset = typeof dataAsset.$inferSelect;

const registerDataAssetSchema = z
  .object({
    title: nonEmpty(300),
    description: z.string().max(10_000).default(""),
    category: nonEmpty(100),
    tags: z.array(nonEmpty(50)).max(50).default([]),
    format: z.string().max(50).nullish(),
    recordCount: wholeNumberSchema.nullish(),
    byteSize: wholeNumberSchema.nullish(),
    contentDigest: digestSchema,
    securityLevel: z.enum(SECURITY_LEVELS).nullish(),
    containsPersonalInfo: z.boolean().default(false),
    personalInfoTreatment: z.enum(PERSONAL_INFO_TREATMENTS).default("NONE"),
  })
  .refine((v) => !v.containsPersonalInfo || v.personalInfoTreatment !== "NONE", {
    path: ["personalInfoTreatment"],
    message: "must name a treatment when the asset contains personal information",
  });
export type RegisterDataAssetParams = z.input<typeof registerDataAssetSchema>;

/**
 * Registers a data asset owned by the caller's organization, in DRAFT.
 * @example await registerDataAsset(ctx, { title: "Port logistics 2025", category: "LOGISTICS", contentDigest: "0x…" });
 */
export async function registerDataAsset(ctx: ServiceContext, input: RegisterDataAssetParams): Promise<DataAsset> {
  const actor = requireActor(ctx);
  const params = parseInput(registerDataAssetSchema, input);
  const [row] = await ctx.db
    .insert(dataAsset)
    .values({ ...params, ownerOrgId: actor.organizationId })
    .returning();
  return row!;
}

/** Whether the caller may read this asset: published ones are public; others only to their owner and to compliance/admin. */
export function canRead(ctx: ServiceContext, asset: DataAsset): boolean {
  if (PUBLISHED_STATUSES.includes(asset.status)) return true;
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return true;
  return ctx.auth.kind === "actor" && ctx.auth.actor.organizationId === asset.ownerOrgId;
}

/** Reads one asset the caller may see, or `NotFoundError` (an unseen draft is not revealed). */
export async function getDataAsset(ctx: ServiceContext, id: string): Promise<DataAsset> {
  const assetId = parseInput(uuidSchema, id);
  const [row] = await ctx.db.select().from(dataAsset).where(eq(dataAsset.id, assetId));
  if (!row || !canRead(ctx, row)) throw new NotFoundError("DataAsset", id);
  return row;
}

/** Loads an asset for a write by its owner organization, locking the row for the transaction. */
export async function lockOwnedAsset(ctx: ServiceContext, tx: Transaction, id: string): Promise<DataAsset> {
  const actor = requireActor(ctx);
  const [row] = await tx.select().from(dataAsset).where(eq(dataAsset.id, id)).for("update");
  if (!row || !canRead(ctx, row)) throw new NotFoundError("DataAsset", id);
  requireSameOrganization(actor, row.ownerOrgId, "data asset");
  return row;
}

const listSchema = z.object({
  first: z.number().int().min(1).max(100, "page size is at most 100").default(20),
  after: z.string().nullish(),
});

type Cursor = { createdAt: string; id: string };
const encodeCursor = (a: DataAsset) =>
  Buffer.from(JSON.stringify({ createdAt: a.createdAt.toISOString(), id: a.id } satisfies Cursor)).toString("base64url");
function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return z.object({ createdAt: z.string().datetime(), id: z.string().uuid() }).parse(parsed);
  } catch {
    return parseInput(z.never({ message: "is not a cursor from this API" }), undefined);
  }
}

/**
 * Lists the assets the caller may see, newest first, by keyset pagination on (created_at, id)
 * so a page stays correct when rows are inserted between pages.
 */
export async function listDataAssets(
  ctx: ServiceContext,
  input: { first?: number | null; after?: string | null },
): Promise<{ edges: { node: DataAsset; cursor: string }[]; hasNextPage: boolean }> {
  const { first, after } = parseInput(listSchema, { first: input.first ?? undefined, after: input.after });
  const visibility = hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")
    ? undefined
    : or(
        inArray(dataAsset.status, [...PUBLISHED_STATUSES]),
        ctx.auth.kind === "actor" ? eq(dataAsset.ownerOrgId, ctx.auth.actor.organizationId) : sql`false`,
      );
  let page = undefined;
  if (after) {
    const c = decodeCursor(after);
    const at = new Date(c.createdAt);
    page = or(lt(dataAsset.createdAt, at), and(eq(dataAsset.createdAt, at), lt(dataAsset.id, c.id)));
  }
  const rows = await ctx.db
    .select()
    .from(dataAsset)
    .where(and(visibility, page))
    .orderBy(desc(dataAsset.createdAt), desc(dataAsset.id))
    .limit(first + 1);
  return {
    edges: rows.slice(0, first).map((node) => ({ node, cursor: encodeCursor(node) })),
    hasNextPage: rows.length > first,
  };
}

const transitionSchema = z.object({ assetId: uuidSchema, to: z.enum(ASSET_STATUSES) });

/**
 * Moves an asset through its lifecycle. An illegal move answers `InvalidTransitionError`
 * naming the current state, and the row is unchanged.
 */
export async function transitionDataAsset(
  ctx: ServiceContext,
  input: { assetId: string; to: AssetStatus },
): Promise<DataAsset> {
  const actor = requireActor(ctx);
  const { assetId, to } = parseInput(transitionSchema, input);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(dataAsset).where(eq(dataAsset.id, assetId)).for("update");
    if (!row || !canRead(ctx, row)) throw new NotFoundError("DataAsset", assetId);
    const actors = allowedActors(row.status, to);
    if (!actors) throw new InvalidTransitionError(row.status, to);
    const byOwner = actors.includes("ASSET_OWNER") && actor.roles.includes("ASSET_OWNER") && actor.organizationId === row.ownerOrgId;
    const byOfficer = actors.includes("COMPLIANCE_OFFICER") && actor.roles.includes("COMPLIANCE_OFFICER");
    if (!byOwner && !byOfficer) {
      throw new ForbiddenError(`moving a data asset from ${row.status} to ${to} needs ${actors.join(" or ")}`);
    }
    const [updated] = await tx
      .update(dataAsset)
      .set({ status: to, updatedAt: ctx.now() })
      .where(eq(dataAsset.id, assetId))
      .returning();
    return updated!;
  });
}

/** A transition made by the system as part of another flow (offering, tokenization); skipped when not legal from the current state. */
export async function systemTransition(db: Database | Transaction, assetIds: string[], to: AssetStatus, now: Date) {
  if (assetIds.length === 0) return;
  const from = ASSET_STATUSES.filter((s) => allowedActors(s, to)?.includes("SYSTEM"));
  await db
    .update(dataAsset)
    .set({ status: to, updatedAt: now })
    .where(and(inArray(dataAsset.id, assetIds), inArray(dataAsset.status, from)));
}

export async function listDataAssetsByIds(db: Database, ids: readonly string[]): Promise<DataAsset[]> {
  if (ids.length === 0) return [];
  return db.select().from(dataAsset).where(inArray(dataAsset.id, [...ids]));
}
