import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { RIGHT_TYPES } from "./table.js";
import { OwnershipSharesInvalidError, recordOwnershipRight, type OwnershipRight } from "./service.js";

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
    description: "Records a right over an asset. Active shares of one right type never exceed 10000 bps. ASSET_OWNER of the asset.",
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: { types: [OwnershipSharesInvalidError] },
    args: { input: t.arg({ type: RecordOwnershipRightInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      recordOwnershipRight(ctx, { ...input, assetId: String(input.assetId), holderOrgId: String(input.holderOrgId) }),
  }),
);
