import { builder } from "../graphql/builder.js";
import { DataAssetRef } from "../assets/graphql.js";
import { loadersFor } from "../assets/loaders.js";
import { ACTIVITY_KINDS, type ActivityInput } from "./table.js";
import {
  LINEAGE_DIRECTIONS,
  lineage,
  recordProvenanceActivity,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  type ProvenanceActivity,
} from "./service.js";

export const ActivityKind = builder.enumType("ActivityKind", { values: ACTIVITY_KINDS });

const ActivityInputRef = builder.objectRef<ActivityInput>("ActivityInput").implement({
  fields: (t) => ({
    assetId: t.exposeID("assetId", { nullable: true }),
    sourceUri: t.exposeString("sourceUri", { nullable: true }),
    digest: t.exposeString("digest"),
  }),
});

export const ProvenanceActivityRef = builder.objectRef<ProvenanceActivity>("ProvenanceActivity").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    assetId: t.exposeID("assetId"),
    kind: t.expose("kind", { type: ActivityKind }),
    actorOrgId: t.exposeID("actorOrgId"),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    endedAt: t.expose("endedAt", { type: "DateTime", nullable: true }),
    inputs: t.field({ type: [ActivityInputRef], resolve: (a) => a.inputs }),
    outputDigest: t.exposeString("outputDigest"),
    parameters: t.expose("parameters", { type: "JSON" }),
  }),
});

// An asset's lineage, through the asset loaders (one statement per list; a catalogue page reads the latest with the page).
builder.objectFields(DataAssetRef, (t) => ({
  provenance: t.field({ type: [ProvenanceActivityRef], resolve: (a, _args, ctx) => loadersFor(ctx).provenance.load(a.id) }),
  latestProvenance: t.field({
    type: ProvenanceActivityRef,
    nullable: true,
    description: "The most recent lineage activity (by start time)",
    resolve: (a, _args, ctx) => {
      const loaders = loadersFor(ctx);
      const onPage = loaders.pageRelations.latestProvenance;
      if (onPage.has(a)) return onPage.get(a) ?? null;
      const known = loaders.known.latestProvenance;
      return known.has(a.id) ? (known.get(a.id) ?? null) : loaders.latestProvenance.load(a.id);
    },
  }),
}));

const ActivityInputInput = builder.inputType("ActivityInputInput", {
  fields: (t) => ({
    assetId: t.id(),
    sourceUri: t.string(),
    digest: t.string({ required: true }),
  }),
});

const RecordProvenanceActivityInput = builder.inputType("RecordProvenanceActivityInput", {
  fields: (t) => ({
    assetId: t.id({ required: true }),
    kind: t.field({ type: ActivityKind, required: true }),
    startedAt: t.field({ type: "DateTime", required: true }),
    endedAt: t.field({ type: "DateTime" }),
    inputs: t.field({ type: [ActivityInputInput] }),
    outputDigest: t.string({ required: true }),
    parameters: t.field({ type: "JSON" }),
  }),
});

builder.mutationField("recordProvenanceActivity", (t) =>
  t.field({
    type: ProvenanceActivityRef,
    description: "Records a lineage activity (collection, cleaning, sandbox validation …) on an asset. ASSET_OWNER of the asset.",
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: {},
    args: { input: t.arg({ type: RecordProvenanceActivityInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      recordProvenanceActivity(ctx, {
        ...input,
        assetId: input.assetId,
        inputs: (input.inputs ?? []).map((i) => ({ ...i, assetId: i.assetId ?? null })),
        parameters: (input.parameters ?? {}) as Record<string, unknown>,
      }),
  }),
);

export const LineageDirection = builder.enumType("LineageDirection", { values: LINEAGE_DIRECTIONS });
const LineageNodeKind = builder.enumType("LineageNodeKind", { values: ["ASSET", "SOURCE"] as const });

const LineageNodeRef = builder.objectRef<LineageNode>("LineageNode").implement({
  description: "A dataset in the lineage graph: a registered asset, or an external source named by URI.",
  fields: (t) => ({
    key: t.exposeID("key", { description: "asset:<uuid> or source:<uri>; edges refer to it" }),
    kind: t.expose("kind", { type: LineageNodeKind }),
    assetId: t.exposeID("assetId", { nullable: true }),
    sourceUri: t.exposeString("sourceUri", { nullable: true }),
    title: t.exposeString("title", { nullable: true, description: "Null for sources and for assets the caller may not read" }),
    depth: t.exposeInt("depth", { description: "Fewest hops from the root" }),
  }),
});

const LineageEdgeRef = builder.objectRef<LineageEdge>("LineageEdge").implement({
  description: "An activity consumed `from` (with this digest) to produce `to`.",
  fields: (t) => ({
    from: t.exposeID("from"),
    to: t.exposeID("to"),
    activityId: t.exposeID("activityId"),
    activityKind: t.exposeString("activityKind"),
    digest: t.exposeString("digest"),
  }),
});

const LineageGraphRef = builder.objectRef<LineageGraph>("LineageGraph").implement({
  fields: (t) => ({
    root: t.exposeID("root"),
    direction: t.expose("direction", { type: LineageDirection }),
    depth: t.exposeInt("depth"),
    nodes: t.field({ type: [LineageNodeRef], resolve: (g) => g.nodes }),
    edges: t.field({ type: [LineageEdgeRef], resolve: (g) => g.edges }),
  }),
});

builder.queryField("lineage", (t) =>
  t.field({
    type: LineageGraphRef,
    description:
      "The lineage graph around an asset, up- or downstream, to a depth of at most 10 hops (default 3). Computed in one SQL statement.",
    errors: {},
    args: {
      assetId: t.arg.id({ required: true }),
      direction: t.arg({ type: LineageDirection, required: true }),
      depth: t.arg.int(),
    },
    resolve: (_root, args, ctx) => lineage(ctx, { assetId: args.assetId, direction: args.direction, depth: args.depth ?? undefined }),
  }),
);
