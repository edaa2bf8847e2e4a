import { builder } from "../graphql/builder.js";
import { ACTIVITY_KINDS, type ActivityInput } from "./table.js";
import { recordProvenanceActivity, type ProvenanceActivity } from "./service.js";

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
        assetId: String(input.assetId),
        inputs: (input.inputs ?? []).map((i) => ({ ...i, assetId: i.assetId == null ? null : String(i.assetId) })),
        parameters: (input.parameters ?? {}) as Record<string, unknown>,
      }),
  }),
);
