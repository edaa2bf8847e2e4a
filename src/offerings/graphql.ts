import { builder, provideScopeCheck } from "../graphql/builder.js";
import { ChainUnavailableError } from "../errors.js";
import { DeployRevertedError } from "../chain/errors.js";
import { isIssuerOfTranche } from "./scopes.js";
import { OrganizationRef } from "../organizations/graphql.js";
import { getOrganization } from "../organizations/service.js";
import { DataAssetRef } from "../assets/graphql.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { ErrorInterface } from "../graphql/common.js";
import { InvestorClass } from "../investors/graphql.js";
import { PRODUCT_TYPES, OFFERING_STATUSES, SENIORITIES } from "./table.js";
import {
  createOffering,
  deployTrancheToken,
  getOffering,
  listOfferingAssets,
  listTranches,
  type Offering,
  type Tranche,
} from "./service.js";
import { AssetAlreadyOfferedError } from "./errors.js";

// Fields of other domains (investors, compliance) scope on it: "the caller issues this tranche".
provideScopeCheck("issuerOfTranche", isIssuerOfTranche);

builder.objectType(AssetAlreadyOfferedError, {
  name: "AssetAlreadyOfferedError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    assetId: t.exposeID("assetId"),
    offeringId: t.exposeID("offeringId", { description: "The live offering that packages it" }),
  }),
});

const ProductType = builder.enumType("ProductType", { values: PRODUCT_TYPES });
const OfferingStatus = builder.enumType("OfferingStatus", { values: OFFERING_STATUSES });
const Seniority = builder.enumType("Seniority", { values: SENIORITIES });

export const TrancheRef = builder.objectRef<Tranche>("Tranche").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    offeringId: t.exposeID("offeringId"),
    name: t.exposeString("name"),
    seniority: t.expose("seniority", { type: Seniority }),
    couponBps: t.exposeInt("couponBps"),
    supplyCap: t.exposeString("supplyCap", { description: "Base units, as a decimal string" }),
    tokenName: t.exposeString("tokenName"),
    tokenSymbol: t.exposeString("tokenSymbol"),
    tokenAddress: t.exposeString("tokenAddress", { nullable: true }),
    chainId: t.exposeInt("chainId", { nullable: true }),
    deployTxHash: t.exposeString("deployTxHash", { nullable: true }),
  }),
});

export const OfferingRef = builder.objectRef<Offering>("Offering").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    productType: t.expose("productType", { type: ProductType }),
    issuer: t.field({ type: OrganizationRef, resolve: (o, _args, ctx) => getOrganization(ctx, o.issuerOrgId) }),
    allowedInvestorClasses: t.field({ type: [InvestorClass], resolve: (o) => o.allowedInvestorClasses }),
    blockedJurisdictions: t.exposeStringList("blockedJurisdictions"),
    currency: t.exposeString("currency"),
    termsDigest: t.exposeString("termsDigest"),
    status: t.expose("status", { type: OfferingStatus }),
    assets: t.field({
      type: [DataAssetRef],
      description:
        "The packaged assets the caller may see (the same rule as dataAsset: a SUSPENDED asset only to its owner organization, compliance and operators).",
      resolve: (o, _args, ctx) => listOfferingAssets(ctx, o.id),
    }),
    tranches: t.field({ type: [TrancheRef], resolve: (o, _args, ctx) => listTranches(ctx.db, o.id) }),
  }),
});

const TrancheInput = builder.inputType("TrancheInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    seniority: t.field({ type: Seniority, required: true }),
    couponBps: t.int(),
    supplyCap: t.string({ required: true, description: "Base units, as a decimal string" }),
    tokenName: t.string({ required: true }),
    tokenSymbol: t.string({ required: true }),
  }),
});

const CreateOfferingInput = builder.inputType("CreateOfferingInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    productType: t.field({ type: ProductType, required: true }),
    assetIds: t.idList({ required: true }),
    allowedInvestorClasses: t.field({ type: [InvestorClass], required: true }),
    blockedJurisdictions: t.stringList(),
    currency: t.string({ required: true }),
    termsDigest: t.string({ required: true, description: "sha256 of the offering terms document" }),
    tranche: t.field({ type: TrancheInput, required: true }),
  }),
});

builder.mutationField("createOffering", (t) =>
  t.field({
    type: OfferingRef,
    description:
      "Packages APPROVED data assets into an offering with its first tranche. An asset backs at most one live offering (AssetAlreadyOfferedError); CORE data is refused (ComplianceNotSatisfiedError, ONSHORE_SECURITY_CLASSIFIED). ISSUER.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [AssetAlreadyOfferedError, ComplianceNotSatisfiedError] },
    args: { input: t.arg({ type: CreateOfferingInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      createOffering(ctx, {
        ...input,
        blockedJurisdictions: input.blockedJurisdictions ?? [],
        tranche: { ...input.tranche, couponBps: input.tranche.couponBps ?? 0 },
      }),
  }),
);

builder.mutationField("deployTrancheToken", (t) =>
  t.field({
    type: TrancheRef,
    description: "Deploys the tranche's permissioned token, anchoring asset id, content digest and terms digest. ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [ComplianceNotSatisfiedError, DeployRevertedError, ChainUnavailableError] },
    args: { trancheId: t.arg.id({ required: true }) },
    resolve: (_root, { trancheId }, ctx) => deployTrancheToken(ctx, { trancheId }),
  }),
);

builder.queryField("offering", (t) =>
  t.field({
    type: OfferingRef,
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getOffering(ctx, id),
  }),
);
