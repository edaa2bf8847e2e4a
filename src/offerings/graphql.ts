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
import { COUPON_KINDS, PRODUCT_TYPES, OFFERING_STATUSES, SENIORITIES } from "./table.js";
import {
  addTranche,
  cancelOffering,
  closeOffering,
  matureOffering,
  openOffering,
  createOffering,
  deployTrancheToken,
  getOffering,
  listOfferingAssets,
  listTranches,
  type Offering,
  type Tranche,
} from "./service.js";
import {
  AssetAlreadyOfferedError,
  OFFERING_RULES,
  OfferingNotMaturedError,
  OfferingNotOpenError,
  OfferingStateError,
  OfferingStructureError,
} from "./errors.js";

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
const CouponKind = builder.enumType("CouponKind", {
  values: COUPON_KINDS,
  description: "FIXED pays couponBps a year (actual/365); RESIDUAL is the first-loss tranche, paid what is left",
});
const OfferingRule = builder.enumType("OfferingRule", { values: OFFERING_RULES });

builder.objectType(OfferingStateError, {
  name: "OfferingStateError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    offeringId: t.exposeID("offeringId"),
    current: t.field({ type: OfferingStatus, resolve: (e) => e.current }),
    attempted: t.exposeString("attempted", { description: "The state asked for, or ADD_TRANCHE" }),
  }),
});

builder.objectType(OfferingStructureError, {
  name: "OfferingStructureError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    rule: t.field({ type: OfferingRule, resolve: (e) => e.rule }),
    trancheId: t.exposeID("trancheId", { nullable: true }),
  }),
});

builder.objectType(OfferingNotOpenError, {
  name: "OfferingNotOpenError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    offeringId: t.exposeID("offeringId"),
    status: t.field({ type: OfferingStatus, resolve: (e) => e.status }),
    opensAt: t.expose("opensAt", { type: "DateTime", nullable: true }),
    closesAt: t.expose("closesAt", { type: "DateTime", nullable: true }),
  }),
});

builder.objectType(OfferingNotMaturedError, {
  name: "OfferingNotMaturedError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    offeringId: t.exposeID("offeringId"),
    maturesAt: t.expose("maturesAt", { type: "DateTime", nullable: true }),
  }),
});

export const TrancheRef = builder.objectRef<Tranche>("Tranche").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    offeringId: t.exposeID("offeringId"),
    name: t.exposeString("name"),
    seniority: t.expose("seniority", { type: Seniority }),
    couponKind: t.expose("couponKind", { type: CouponKind }),
    couponBps: t.exposeInt("couponBps", { description: "A year, actual/365; 0 for RESIDUAL" }),
    supplyCap: t.exposeString("supplyCap", { description: "The target size: base units, as a decimal string" }),
    price: t.exposeString("price", { description: "Settlement-currency base units per whole token (10^18 base units)" }),
    minimumTicket: t.exposeString("minimumTicket", { description: "Base units, as a decimal string" }),
    maturityDate: t.expose("maturityDate", { type: "DateTime", nullable: true }),
    earlyRedemption: t.exposeBoolean("earlyRedemption", { description: "Whether holders may redeem before maturity (requestRedemption)" }),
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
    minSubordinationBps: t.exposeInt("minSubordinationBps"),
    managementFeeBps: t.exposeInt("managementFeeBps", {
      description: "The issuer's fee, bps a year of outstanding principal, taken first from each distribution",
    }),
    opensAt: t.expose("opensAt", { type: "DateTime", nullable: true }),
    closesAt: t.expose("closesAt", { type: "DateTime", nullable: true }),
    settlementToken: t.exposeString("settlementToken", {
      nullable: true,
      description: "The ERC-20 stablecoin subscriptions are paid in (DvP); null: paid off chain, requestMint only",
    }),
    settlementDecimals: t.exposeInt("settlementDecimals", {
      nullable: true,
      description: "The settlement token's decimals, as read from the chain",
    }),
    treasury: t.exposeString("treasury", {
      nullable: true,
      description: "The issuer's treasury wallet: receives payments, pays redemptions",
    }),
    closedAt: t.expose("closedAt", { type: "DateTime", nullable: true, description: "When it CLOSED: fixed coupons accrue from here" }),
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
    couponKind: t.field({ type: CouponKind, description: "FIXED by default" }),
    couponBps: t.int(),
    supplyCap: t.string({ required: true, description: "The target size: base units, as a decimal string" }),
    price: t.string({ description: "Settlement-currency base units per whole token; 1000000 by default" }),
    minimumTicket: t.string({ description: "Base units; 1 by default" }),
    maturityDate: t.field({ type: "DateTime" }),
    earlyRedemption: t.boolean({ description: "Whether holders may redeem before maturity; false by default" }),
    tokenName: t.string({ required: true }),
    tokenSymbol: t.string({ required: true }),
  }),
});

/** GraphQL nulls become the service defaults. */
const trancheParams = (t: typeof TrancheInput.$inferInput) => ({
  ...t,
  couponKind: t.couponKind ?? undefined,
  couponBps: t.couponBps ?? 0,
  price: t.price ?? undefined,
  minimumTicket: t.minimumTicket ?? undefined,
  earlyRedemption: t.earlyRedemption ?? undefined,
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
    minSubordinationBps: t.int({ description: "0 by default" }),
    managementFeeBps: t.int({ description: "The issuer's management fee, bps a year of outstanding principal; 0 by default" }),
    opensAt: t.field({ type: "DateTime" }),
    closesAt: t.field({ type: "DateTime" }),
    settlementToken: t.string({
      description:
        "DvP: the ERC-20 stablecoin subscriptions are paid in (dUSD on the dev chain, USDC…); omit with treasury for off-chain payment",
    }),
    treasury: t.string({ description: "DvP: the issuer's treasury wallet (it approves the settlement contract for redemptions)" }),
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
        minSubordinationBps: input.minSubordinationBps ?? undefined,
        managementFeeBps: input.managementFeeBps ?? undefined,
        tranche: trancheParams(input.tranche),
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

builder.mutationField("addTranche", (t) =>
  t.field({
    type: TrancheRef,
    description:
      "Adds a tranche to a DRAFT offering (OfferingStateError otherwise). The structure rules are checked by openOffering. ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [OfferingStateError] },
    args: { offeringId: t.arg.id({ required: true }), input: t.arg({ type: TrancheInput, required: true }) },
    resolve: (_root, { offeringId, input }, ctx) => addTranche(ctx, { offeringId, tranche: trancheParams(input) }),
  }),
);

const lifecycleMutation = (
  name: string,
  description: string,
  action: typeof openOffering,
  extra: (new (...args: never[]) => Error)[] = [],
) =>
  builder.mutationField(name, (t) =>
    t.field({
      type: OfferingRef,
      description: `${description} ISSUER of the offering.`,
      authScopes: { anyRole: ["ISSUER"] },
      errors: { types: [OfferingStateError, ...extra] },
      args: { offeringId: t.arg.id({ required: true }) },
      resolve: (_root, { offeringId }, ctx) => action(ctx, { offeringId }),
    }),
  );

lifecycleMutation(
  "openOffering",
  "DRAFT → OPEN once every product rule holds (OfferingStructureError names the rule), every tranche token is deployed and the offering-level requirements hold (ComplianceNotSatisfiedError).",
  openOffering,
  [OfferingStructureError, ComplianceNotSatisfiedError],
);
lifecycleMutation(
  "closeOffering",
  "OPEN → CLOSED: allocations final, no more mints or subscriptions; fixed coupons accrue from now.",
  closeOffering,
);
lifecycleMutation(
  "cancelOffering",
  "DRAFT or OPEN → CANCELLED: every paid subscription is refunded on chain (tokens burned, cost paid back from the treasury), once.",
  cancelOffering,
);
lifecycleMutation(
  "matureOffering",
  "CLOSED → MATURED once every tranche's maturity date has passed (OfferingNotMaturedError before).",
  matureOffering,
  [OfferingNotMaturedError],
);
