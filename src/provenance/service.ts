import { desc, eq } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import type { Database } from "../db/index.js";
import { digestSchema, parseInput, uuidSchema } from "../validation.js";
import { lockOwnedAsset } from "../assets/service.js";
import { ACTIVITY_KINDS, provenanceActivity } from "./table.js";

export type ProvenanceActivity = typeof provenanceActivity.$inferSelect;

const inputSchema = z
  .object({ assetId: uuidSchema.nullish(), sourceUri: z.string().url().nullish(), digest: digestSchema })
  .refine((v) => Boolean(v.assetId) !== Boolean(v.sourceUri), { message: "must name exactly one of assetId or sourceUri" })
  .transform((v) => (v.assetId ? { assetId: v.assetId, digest: v.digest } : { sourceUri: v.sourceUri!, digest: v.digest }));

const recordSchema = z
  .object({
    assetId: uuidSchema,
    kind: z.enum(ACTIVITY_KINDS),
    startedAt: z.coerce.date(),
    endedAt: z.coerce.date().nullish(),
    inputs: z.array(inputSchema).max(100).default([]),
    outputDigest: digestSchema,
    parameters: z.record(z.unknown()).default({}),
  })
  .refine((v) => !v.endedAt || v.endedAt >= v.startedAt, { path: ["endedAt"], message: "must not be before startedAt" });
export type RecordProvenanceActivityParams = z.input<typeof recordSchema>;

/** Records a lineage activity that produced (a state of) the asset, performed by the caller's organization. */
export async function recordProvenanceActivity(
  ctx: ServiceContext,
  input: RecordProvenanceActivityParams,
): Promise<ProvenanceActivity> {
  const actor = requireActor(ctx);
  const params = parseInput(recordSchema, input);
  return ctx.db.transaction(async (tx) => {
    await lockOwnedAsset(ctx, tx, params.assetId);
    const [row] = await tx
      .insert(provenanceActivity)
      .values({ ...params, actorOrgId: actor.organizationId })
      .returning();
    return row!;
  });
}

export async function listProvenanceActivities(db: Database, assetId: string): Promise<ProvenanceActivity[]> {
  return db
    .select()
    .from(provenanceActivity)
    .where(eq(provenanceActivity.assetId, assetId))
    .orderBy(desc(provenanceActivity.startedAt));
}
