import { builder } from "../graphql/builder.js";
import { ErrorInterface, defined } from "../graphql/common.js";
import { OrganizationRef } from "../organizations/graphql.js";
import { getOrganization } from "../organizations/service.js";
import { OwnershipRightRef } from "../ownership/graphql.js";
import { listOwnershipRights } from "../ownership/service.js";
import { ProvenanceActivityRef } from "../provenance/graphql.js";
import { listProvenanceActivities } from "../provenance/service.js";
import { ASSET_STATUSES, PERSONAL_INFO_TREATMENTS, SECURITY_LEVELS } from "./table.js";
import { InvalidTransitionError } from "./lifecycle.js";
import { getDataAsset, listDataAssets, registerDataAsset, transitionDataAsset, type DataAsset } from "./service.js";

export const SecurityLevel = builder.enumType("SecurityLevel", { values: SECURITY_LEVELS });
export const PersonalInfoTreatment = builder.enumType("PersonalInfoTreatment", { values: PERSONAL_INFO_TREATMENTS });
export const AssetStatus = builder.enumType("AssetStatus", { values: ASSET_STATUSES });

builder.objectType(InvalidTransitionError, {
  name: "InvalidTransitionError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    currentStatus: t.expose("currentStatus", { type: AssetStatus }),
    requestedStatus: t.expose("requestedStatus", { type: AssetStatus }),
  }),
});

export const DataAssetRef = builder.objectRef<DataAsset>("DataAsset").implement({
  description: "A standardized data asset: metadata and digests only; the data never leaves.",
  fields: (t) => ({
    id: t.exposeID("id"),
    title: t.exposeString("title"),
    description: t.exposeString("description"),
    category: t.exposeString("category"),
    tags: t.exposeStringList("tags"),
    format: t.exposeString("format", { nullable: true }),
    recordCount: t.string({ nullable: true, resolve: (a) => a.recordCount?.toString() ?? null }),
    byteSize: t.string({ nullable: true, resolve: (a) => a.byteSize?.toString() ?? null }),
    contentDigest: t.exposeString("contentDigest", { description: "sha256 of the canonical data bundle" }),
    securityLevel: t.expose("securityLevel", { type: SecurityLevel, nullable: true }),
    containsPersonalInfo: t.exposeBoolean("containsPersonalInfo"),
    personalInfoTreatment: t.expose("personalInfoTreatment", { type: PersonalInfoTreatment }),
    status: t.expose("status", { type: AssetStatus }),
    owner: t.field({ type: OrganizationRef, resolve: (a, _args, ctx) => getOrganization(ctx, a.ownerOrgId) }),
    ownershipRights: t.field({ type: [OwnershipRightRef], resolve: (a, _args, ctx) => listOwnershipRights(ctx.db, a.id) }),
    provenance: t.field({ type: [ProvenanceActivityRef], resolve: (a, _args, ctx) => listProvenanceActivities(ctx.db, a.id) }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const RegisterDataAssetInput = builder.inputType("RegisterDataAssetInput", {
  fields: (t) => ({
    title: t.string({ required: true }),
    description: t.string(),
    category: t.string({ required: true, description: "Classification code" }),
    tags: t.stringList(),
    format: t.string(),
    recordCount: t.string({ description: "Whole number, as a decimal string" }),
    byteSize: t.string({ description: "Whole number, as a decimal string" }),
    contentDigest: t.string({ required: true, description: "0x-prefixed sha256 of the canonical data bundle" }),
    securityLevel: t.field({ type: SecurityLevel }),
    containsPersonalInfo: t.boolean(),
    personalInfoTreatment: t.field({ type: PersonalInfoTreatment }),
  }),
});

builder.mutationField("registerDataAsset", (t) =>
  t.field({
    type: DataAssetRef,
    description: "Registers a data asset owned by the caller's organization, in DRAFT. ASSET_OWNER.",
    authScopes: { anyRole: ["ASSET_OWNER"] },
    errors: {},
    args: { input: t.arg({ type: RegisterDataAssetInput, required: true }) },
    resolve: (_root, { input }, ctx) => registerDataAsset(ctx, defined(input)),
  }),
);

builder.mutationField("transitionDataAsset", (t) =>
  t.field({
    type: DataAssetRef,
    description:
      "Moves an asset through its lifecycle (DRAFT → SUBMITTED → IN_REVIEW → APPROVED …). The owner submits and withdraws; a compliance officer reviews, approves, rejects and suspends.",
    authScopes: { anyRole: ["ASSET_OWNER", "COMPLIANCE_OFFICER"] },
    errors: { types: [InvalidTransitionError] },
    args: { assetId: t.arg.id({ required: true }), to: t.arg({ type: AssetStatus, required: true }) },
    resolve: (_root, { assetId, to }, ctx) => transitionDataAsset(ctx, { assetId: String(assetId), to }),
  }),
);

builder.queryField("dataAsset", (t) =>
  t.field({
    type: DataAssetRef,
    description: "One data asset. Drafts are visible only to their owner organization and to compliance.",
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getDataAsset(ctx, String(id)),
  }),
);

builder.queryField("dataAssets", (t) =>
  t.connection({
    type: DataAssetRef,
    description: "Data assets the caller may see, newest first (published ones, plus the caller's own drafts). Forward pagination: first ≤ 100, after.",
    resolve: async (_root, args, ctx) => {
      const page = await listDataAssets(ctx, { first: args.first, after: args.after });
      return {
        edges: page.edges,
        pageInfo: {
          hasNextPage: page.hasNextPage,
          hasPreviousPage: Boolean(args.after),
          startCursor: page.edges[0]?.cursor ?? null,
          endCursor: page.edges.at(-1)?.cursor ?? null,
        },
      };
    },
  }),
);
