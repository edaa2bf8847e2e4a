import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import type { Transaction } from "../db/index.js";
import { NotFoundError } from "../errors.js";
import { dateTimeSchema, digestSchema, jsonObjectSchema, parseInput, text, uuidSchema } from "../validation.js";
import { canRead, lockOwnedAsset } from "../assets/service.js";
import type { AssetStatus } from "../assets/lifecycle.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { ACTIVITY_KINDS, provenanceActivity } from "./table.js";

export type ProvenanceActivity = typeof provenanceActivity.$inferSelect;

const inputSchema = z
  .object({ assetId: uuidSchema.nullish(), sourceUri: text().url().nullish(), digest: digestSchema })
  .refine((v) => Boolean(v.assetId) !== Boolean(v.sourceUri), { message: "must name exactly one of assetId or sourceUri" })
  .transform((v) => (v.assetId ? { assetId: v.assetId, digest: v.digest } : { sourceUri: v.sourceUri!, digest: v.digest }));

const recordSchema = z
  .object({
    assetId: uuidSchema,
    kind: z.enum(ACTIVITY_KINDS),
    startedAt: dateTimeSchema,
    endedAt: dateTimeSchema.nullish(),
    inputs: z.array(inputSchema).max(100).default([]),
    outputDigest: digestSchema,
    parameters: jsonObjectSchema.default({}),
  })
  .refine((v) => !v.endedAt || v.endedAt >= v.startedAt, { path: ["endedAt"], message: "must not be before startedAt" });
export type RecordProvenanceActivityParams = z.input<typeof recordSchema>;

/**
 * Inserts one activity inside the caller's transaction, after locking the asset as its
 * owner, and appends its audit event.
 */
export async function insertProvenanceActivity(
  ctx: ServiceContext,
  tx: Transaction,
  input: RecordProvenanceActivityParams,
): Promise<ProvenanceActivity> {
  const actor = requireActor(ctx);
  const params = parseInput(recordSchema, input);
  await lockOwnedAsset(ctx, tx, params.assetId);
  const [row] = await tx
    .insert(provenanceActivity)
    .values({ ...params, actorOrgId: actor.organizationId })
    .returning();
  await appendAuditEvent(
    tx,
    {
      ...auditActor(ctx),
      action: "provenance.activity_recorded",
      entityType: "DataAsset",
      entityId: params.assetId,
      payload: { activity: row },
    },
    ctx.now(),
  );
  return row!;
}

/** Records a lineage activity that produced (a state of) the asset, performed by the caller's organization. */
export async function recordProvenanceActivity(ctx: ServiceContext, input: RecordProvenanceActivityParams): Promise<ProvenanceActivity> {
  requireActor(ctx);
  parseInput(recordSchema, input);
  return ctx.db.transaction((tx) => insertProvenanceActivity(ctx, tx, input));
}
/** The activity an OpenLineage run already recorded for an asset, if any (intake is idempotent per run and output). */
export async function findOpenLineageActivity(tx: Transaction, runId: string, assetId: string): Promise<ProvenanceActivity | undefined> {
  const [row] = await tx
    .select()
    .from(provenanceActivity)
    .where(and(eq(provenanceActivity.assetId, assetId), sql`${provenanceActivity.parameters} -> 'openLineage' ->> 'runId' = ${runId}`))
    .limit(1);
  return row;
}

export const LINEAGE_DIRECTIONS = ["UPSTREAM", "DOWNSTREAM"] as const;
export const MAX_LINEAGE_DEPTH = 10;

export type LineageNode = {
  /** `asset:<uuid>` or `source:<uri>`. */
  key: string;
  kind: "ASSET" | "SOURCE";
  assetId: string | null;
  sourceUri: string | null;
  /** Null for a source, and for an asset the caller may not read (its id stays, its metadata does not). */
  title: string | null;
  status: AssetStatus | null;
  /** Fewest hops from the root. */
  depth: number;
};
export type LineageEdge = { from: string; to: string; activityId: string; activityKind: string; digest: string };
export type LineageGraph = {
  root: string;
  direction: (typeof LINEAGE_DIRECTIONS)[number];
  depth: number;
  nodes: LineageNode[];
  edges: LineageEdge[];
};

const lineageSchema = z.object({
  assetId: uuidSchema,
  direction: z.enum(LINEAGE_DIRECTIONS).default("UPSTREAM"),
  depth: z.number().int().min(1, "must be at least 1").max(MAX_LINEAGE_DEPTH, `must be at most ${MAX_LINEAGE_DEPTH}`).default(3),
});
export type LineageParams = z.input<typeof lineageSchema>;

type WalkRow = {
  node: string;
  depth: number;
  activity_id: string | null;
  kind: string | null;
  from_key: string | null;
  to_key: string | null;
  digest: string | null;
  asset_id: string | null;
  title: string | null;
  status: AssetStatus | null;
  owner_org_id: string | null;
};

/**
 * The lineage graph around an asset, in ONE SQL statement: a recursive CTE walks the edges
 * (activity input → the activity's asset) up or down to `depth` hops (max 10). It is
 * cycle-safe because every step adds a hop and stops at the bound, and `UNION` drops
 * repeated (node, depth, edge) rows, so a cycle costs at most `depth` rounds.
 * @example await lineage(ctx, { assetId, direction: "UPSTREAM", depth: 5 });
 */
export async function lineage(ctx: ServiceContext, input: LineageParams): Promise<LineageGraph> {
  const { assetId, direction, depth } = parseInput(lineageSchema, input);
  const root = `asset:${assetId}`;
  const up = direction === "UPSTREAM";
  // Upstream: from a node, follow edges that end at it back to their start; downstream the other way.
  const joinOn = up ? sql.raw("e.to_key = w.node") : sql.raw("e.from_key = w.node");
  const next = up ? sql.raw("e.from_key") : sql.raw("e.to_key");
  const result = await ctx.db.execute(sql`
    with recursive edge as (
      select pa.id as activity_id, pa.kind as kind,
             case when i ? 'assetId' then 'asset:' || (i ->> 'assetId') else 'source:' || (i ->> 'sourceUri') end as from_key,
             'asset:' || pa.asset_id::text as to_key,
             i ->> 'digest' as digest
      from provenance_activity pa cross join lateral jsonb_array_elements(pa.inputs) as i
    ),
    walk(node, depth, activity_id, kind, from_key, to_key, digest) as (
      select ${root}::text, 0, null::uuid, null::text, null::text, null::text, null::text
      union
      select ${next}, w.depth + 1, e.activity_id, e.kind, e.from_key, e.to_key, e.digest
      from walk w join edge e on ${joinOn}
      where w.depth < ${depth}
    )
    select w.node, w.depth, w.activity_id, w.kind, w.from_key, w.to_key, w.digest,
           a.id as asset_id, a.title, a.status, a.owner_org_id
    from walk w
    left join data_asset a on a.id = (case when w.node like 'asset:%' then substr(w.node, 7)::uuid end)
  `);
  const rows = ((result as { rows?: WalkRow[] }).rows ?? (result as unknown as WalkRow[])) as WalkRow[];
  const rootRow = rows.find((r) => r.depth === 0);
  if (!rootRow?.asset_id || !canRead(ctx, { status: rootRow.status!, ownerOrgId: rootRow.owner_org_id! })) {
    throw new NotFoundError("DataAsset", assetId);
  }
  const nodes = new Map<string, LineageNode>();
  const edges = new Map<string, LineageEdge>();
  for (const r of rows) {
    const known = nodes.get(r.node);
    if (!known || r.depth < known.depth) {
      const isAsset = r.node.startsWith("asset:");
      const readable = r.asset_id !== null && canRead(ctx, { status: r.status!, ownerOrgId: r.owner_org_id! });
      nodes.set(r.node, {
        key: r.node,
        kind: isAsset ? "ASSET" : "SOURCE",
        assetId: isAsset ? r.node.slice("asset:".length) : null,
        sourceUri: isAsset ? null : r.node.slice("source:".length),
        title: readable ? r.title : null,
        status: readable ? r.status : null,
        depth: Number(r.depth),
      });
    }
    if (r.activity_id) {
      const key = `${r.activity_id}|${r.from_key}|${r.to_key}`;
      if (!edges.has(key))
        edges.set(key, { from: r.from_key!, to: r.to_key!, activityId: r.activity_id, activityKind: r.kind!, digest: r.digest! });
    }
  }
  return {
    root,
    direction,
    depth,
    nodes: [...nodes.values()].sort((a, b) => a.depth - b.depth || a.key.localeCompare(b.key)),
    edges: [...edges.values()].sort(
      (a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.activityId.localeCompare(b.activityId),
    ),
  };
}
