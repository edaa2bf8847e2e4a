import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { DataAssetRef } from "../assets/graphql.js";
import { loadersFor } from "../assets/loaders.js";
import { RIGHT_TYPES } from "./table.js";
import { OwnershipSharesInvalidError, recordOwnershipRight, recordOwnershipRights, type OwnershipRight } from "./service.js";

export const RightType = builder.enumType("RightType", {
  values: RIGHT_TYPES,
  description: "The three separated data rights.",
});

builder.objectType(OwnershipSharesInvalidError, {
  name: "OwnershipSharesInvalidError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    rightType: t.expose("rightType", { type: RightType }),
    currentSumBps: t.exposeInt("currentSumBps"),
    requestedBps: t.exposeInt("requestedBps"),
    resultingSumBps: t.exposeInt("resultingSumBps", { description: "The sum the refused write would have left" }),
    at: t.expose("at", { type: "DateTime", description: "When that sum would have held" }),
  }),
});

export const OwnershipRightRef = builder.objectRef<OwnershipRight>("OwnershipRight").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    assetId: t.exposeID("assetId"),
    holderOrgId: t.exposeID("holderOrgId"),
    rightType: t.expose("rightType", { type: RightType }),
    shareBps: t.exposeInt("shareBps", { description: "Share in basis points (10000 = 100%)" }),
    validFrom: t.expose("validFrom", { type: "DateTime" }),
    validUntil: t.expose("validUntil", { type: "DateTime", nullable: true }),
    certificateNumber: t.exposeString("certificateNumber", { nullable: true }),
    documentDigest: t.exposeString("documentDigest", { nullable: true }),
  }),
});

// An asset's rights: read with a catalogue page when it asks for them, else through the asset loaders (one statement per list).
builder.objectFields(DataAssetRef, (t) => ({
  ownershipRights: t.field({
    type: [OwnershipRightRef],
    resolve: (a, _args, ctx) => {
      const loaders = loadersFor(ctx);
      return loaders.pageRelations.rights.get(a) ?? loaders.known.rights.get(a.id) ?? loaders.ownershipRights.load(a.id);
    },
  }),
}));

const RecordOwnershipRightInput = builder.inputType("RecordOwnershipRightInput", {
  fields: (t) => ({
    assetId: t.id({ required: true }),
    holderOrgId: t.id({ required: true }),
    rightType: t.field({ type: RightType, required: true }),
    shareBps: t.int({ required: true }),
    validFrom: t.field({ type: "DateTime" }),
    validUntil: t.field({ type: "DateTime" }),
    certificateNumber: t.string({ description: "Data property registration certificate number" }),
    documentDigest: t.string(),
  }),
});

builder.mutationField("recordOwnershipRight", (t) =>
  t.field({
    type: OwnershipRightRef,
    description:
      "Records one right over an asset. Refused unless the right type's active shares still sum to exactly 10000 bps (or 0) afterwards, at every instant of the validity windows: record partial holders together with recordOwnershipRights. ASSET_OWNER of the asset.",
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: { types: [OwnershipSharesInvalidError] },
    args: { input: t.arg({ type: RecordOwnershipRightInput, required: true }) },
    resolve: (_root, { input }, ctx) => recordOwnershipRight(ctx, input),
  }),
);

const OwnershipShareInput = builder.inputType("OwnershipShareInput", {
  fields: (t) => ({
    holderOrgId: t.id({ required: true }),
    shareBps: t.int({ required: true }),
    validFrom: t.field({ type: "DateTime" }),
    validUntil: t.field({ type: "DateTime" }),
    certificateNumber: t.string(),
    documentDigest: t.string(),
  }),
});

builder.mutationField("recordOwnershipRights", (t) =>
  t.field({
    type: [OwnershipRightRef],
    description:
      "Replaces the current and future rights of one type over an asset with this set, atomically. The set sums to exactly 10000 bps (or is empty). ASSET_OWNER of the asset.",
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: { types: [OwnershipSharesInvalidError] },
    args: {
      assetId: t.arg.id({ required: true }),
      rightType: t.arg({ type: RightType, required: true }),
      rights: t.arg({ type: [OwnershipShareInput], required: true }),
    },
    resolve: (_root, args, ctx) =>
      recordOwnershipRights(ctx, {
        assetId: args.assetId,
        rightType: args.rightType,
        rights: args.rights,
      }),
  }),
);
