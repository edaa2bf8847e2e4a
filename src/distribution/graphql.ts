import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { ChainUnavailableError, ConflictError } from "../errors.js";
import { OfferingStateError } from "../offerings/errors.js";
import { InvestorRef } from "../investors/graphql.js";
import { INVESTOR_READERS } from "../investors/access.js";
import { SettlementNotConfiguredError, TreasuryInsufficientError } from "../settlement/errors.js";
import { recordedDistributorContract } from "../chain/settlement.js";
import { DistributionKeyReusedError, DistributionPeriodError, IndexerBehindError, RevenueNegativeError } from "./errors.js";
import { DISTRIBUTION_STATUSES, PAYOUT_STATUSES } from "./table.js";
import {
  declareDistribution,
  distributionPayouts,
  distributionTranches,
  getDistribution,
  investorStatements,
  listAssetRevenue,
  listDistributions,
  previewDistribution,
  recordAssetRevenue,
  type AssetRevenue,
  type Distribution,
  type DistributionPayout,
  type DistributionTranche,
  type PlannedPayout,
  type PlannedTranche,
  type StatementLine,
} from "./service.js";

const errorFields = { interfaces: [ErrorInterface] };
builder.objectType(DistributionPeriodError, {
  ...errorFields,
  name: "DistributionPeriodError",
  fields: (t) => ({
    periodStart: t.expose("periodStart", { type: "DateTime" }),
    periodEnd: t.expose("periodEnd", { type: "DateTime" }),
  }),
});
builder.objectType(RevenueNegativeError, {
  ...errorFields,
  name: "RevenueNegativeError",
  fields: (t) => ({ available: t.exposeString("available") }),
});
builder.objectType(IndexerBehindError, {
  ...errorFields,
  name: "IndexerBehindError",
  description: "The indexer is behind the registry's last settlement of a tranche token: retry in a few seconds. Nothing was recorded.",
  fields: (t) => ({
    tokenAddress: t.exposeString("tokenAddress"),
    scannedThrough: t.exposeString("scannedThrough"),
    needed: t.exposeString("needed"),
  }),
});
builder.objectType(DistributionKeyReusedError, {
  ...errorFields,
  name: "DistributionKeyReusedError",
  fields: (t) => ({ existingId: t.exposeID("existingId") }),
});

const DistributionStatus = builder.enumType("DistributionStatus", {
  values: DISTRIBUTION_STATUSES,
  description: "DECLARED (recorded) → PAYING (DistributionDeclared mined) → PAID (every payout not held confirmed on chain)",
});
const PayoutStatus = builder.enumType("PayoutStatus", {
  values: PAYOUT_STATUSES,
  description: "HELD (frozen holder: kept, paid once unfrozen) → REQUESTED → SUBMITTED (in a payBatch) → CONFIRMED (paid on chain)",
});

const AssetRevenueRef = builder.objectRef<AssetRevenue>("AssetRevenue").implement({
  description: "Revenue a data asset earned on the exchange over a period. Immutable; a correction is a new record naming this one.",
  fields: (t) => ({
    id: t.exposeID("id"),
    assetId: t.exposeID("assetId"),
    periodStart: t.expose("periodStart", { type: "DateTime" }),
    periodEnd: t.expose("periodEnd", { type: "DateTime" }),
    amount: t.exposeString("amount", { description: "Base units of `currency`" }),
    currency: t.exposeString("currency", { description: "The ERC-20 the amount is in (the offering's settlement token)" }),
    evidenceDigest: t.exposeString("evidenceDigest"),
    correctsId: t.exposeID("correctsId", { nullable: true }),
    recordedByOrgId: t.exposeID("recordedByOrgId"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const TrancheWaterfallRef = builder.objectRef<PlannedTranche | DistributionTranche>("TrancheWaterfall").implement({
  description: "One tranche's line of a period's waterfall, settlement base units.",
  fields: (t) => ({
    trancheId: t.exposeID("trancheId"),
    principal: t.string({ description: "Outstanding at the record block", resolve: (l) => l.principal.toString() }),
    due: t.string({ description: "This period's coupon (0 for the residual tranche)", resolve: (l) => l.due.toString() }),
    arrearsBefore: t.string({ resolve: (l) => l.arrearsBefore.toString() }),
    paid: t.string({
      description: "Paid to the tranche's holders (arrears first; the residual for the junior)",
      resolve: (l) => l.paid.toString(),
    }),
    arrearsAfter: t.string({ description: "Carried into the next period", resolve: (l) => l.arrearsAfter.toString() }),
  }),
});

const PlannedPayoutRef = builder.objectRef<PlannedPayout>("PlannedPayout").implement({
  fields: (t) => ({
    trancheId: t.exposeID("trancheId"),
    holder: t.exposeString("holder"),
    investorId: t.exposeID("investorId", { nullable: true }),
    balance: t.string({ description: "Token base units at the record block", resolve: (p) => p.balance.toString() }),
    amount: t.string({ resolve: (p) => p.amount.toString() }),
    held: t.exposeBoolean("held", { description: "Frozen holder: kept until unfrozen" }),
  }),
});

type Preview = Awaited<ReturnType<typeof previewDistribution>>;
const DistributionPreviewRef = builder.objectRef<Preview>("DistributionPreview").implement({
  description: "A dry run of declareDistribution: nothing is stored.",
  fields: (t) => ({
    offeringId: t.id({ resolve: (p) => p.offering.id }),
    periodStart: t.expose("periodStart", { type: "DateTime" }),
    periodEnd: t.expose("periodEnd", { type: "DateTime" }),
    recordBlock: t.string({ resolve: (p) => p.recordBlock.toString() }),
    available: t.string({ description: "Revenue taken into the period", resolve: (p) => p.available.toString() }),
    fee: t.string({ description: "Management fee kept by the issuer", resolve: (p) => p.fee.toString() }),
    total: t.string({ description: "Paid to holders (held included)", resolve: (p) => p.total.toString() }),
    undistributed: t.string({ resolve: (p) => p.undistributed.toString() }),
    treasuryPayable: t.string({
      description: "What the treasury can pay the distributor now",
      resolve: (p) => p.treasuryPayable.toString(),
    }),
    distributor: t.exposeString("distributor"),
    tranches: t.field({ type: [TrancheWaterfallRef], resolve: (p) => p.tranches }),
    payouts: t.field({ type: [PlannedPayoutRef], resolve: (p) => p.payouts }),
  }),
});

const PayoutRef = builder.objectRef<DistributionPayout>("DistributionPayout").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    trancheId: t.exposeID("trancheId"),
    holder: t.exposeString("holder"),
    investorId: t.exposeID("investorId", { nullable: true }),
    balance: t.exposeString("balance"),
    amount: t.exposeString("amount"),
    status: t.expose("status", { type: PayoutStatus }),
    txHash: t.exposeString("txHash", { nullable: true }),
    blockNumber: t.string({ nullable: true, resolve: (p) => p.blockNumber?.toString() ?? null }),
    revertReason: t.exposeString("revertReason", { nullable: true }),
  }),
});

const DistributionRef = builder.objectRef<Distribution>("Distribution").implement({
  description: "One period's revenue of an offering through the waterfall, paid on chain to the holders at the record block.",
  fields: (t) => ({
    id: t.exposeID("id"),
    offeringId: t.exposeID("offeringId"),
    status: t.expose("status", { type: DistributionStatus }),
    periodStart: t.expose("periodStart", { type: "DateTime" }),
    periodEnd: t.expose("periodEnd", { type: "DateTime" }),
    recordBlock: t.string({ resolve: (d) => d.recordBlock.toString() }),
    currency: t.exposeString("currency"),
    treasury: t.exposeString("treasury"),
    available: t.exposeString("available"),
    fee: t.exposeString("fee"),
    total: t.exposeString("total"),
    undistributed: t.exposeString("undistributed"),
    declareTxHash: t.exposeString("declareTxHash", { nullable: true }),
    announceError: t.exposeString("announceError", {
      nullable: true,
      description: "Why the distributor last refused the announcement (the worker tries again); null once announced",
    }),
    tranches: t.field({ type: [TrancheWaterfallRef], resolve: (d, _args, ctx) => distributionTranches(ctx.db, d.id) }),
    payouts: t.field({
      type: [PayoutRef],
      description: "Every payout (an investor sees their own)",
      resolve: (d, _args, ctx) => distributionPayouts(ctx, d.id),
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

const StatementLineRef = builder.objectRef<StatementLine>("StatementLine").implement({
  description: "One period and tranche of an investor's revenue statement, settlement base units.",
  fields: (t) => ({
    distributionId: t.exposeID("distributionId"),
    offeringId: t.exposeID("offeringId"),
    trancheId: t.exposeID("trancheId"),
    periodStart: t.expose("periodStart", { type: "DateTime" }),
    periodEnd: t.expose("periodEnd", { type: "DateTime" }),
    recordBlock: t.string({ resolve: (s) => s.recordBlock.toString() }),
    balance: t.exposeString("balance", { description: "Token base units held at the record block" }),
    gross: t.exposeString("gross", { description: "The entitlement" }),
    paid: t.exposeString("paid", { description: "Paid on chain" }),
    held: t.exposeString("held", { description: "Held while the holder is frozen" }),
    pending: t.exposeString("pending", { description: "Recorded, on its way" }),
  }),
});

const RecordAssetRevenueInput = builder.inputType("RecordAssetRevenueInput", {
  fields: (t) => ({
    assetId: t.id({ required: true }),
    periodStart: t.field({ type: "DateTime", required: true }),
    periodEnd: t.field({ type: "DateTime", required: true }),
    amount: t.string({ required: true, description: "Base units of currency, a decimal string" }),
    currency: t.string({ required: true, description: "The ERC-20 address (the offering's settlement token)" }),
    evidenceDigest: t.string({ required: true, description: "sha256 of the exchange's evidence" }),
    correctsId: t.id({ description: "The record this one corrects (its amount replaces that one's)" }),
  }),
});

builder.mutationField("recordAssetRevenue", (t) =>
  t.field({
    type: AssetRevenueRef,
    description: "Records revenue a data asset earned. COMPLIANCE_OFFICER of a DATA_EXCHANGE organization.",
    authScopes: { anyRole: ["COMPLIANCE_OFFICER"] },
    errors: { types: [ConflictError] },
    args: { input: t.arg({ type: RecordAssetRevenueInput, required: true }) },
    resolve: (_root, { input }, ctx) => recordAssetRevenue(ctx, input),
  }),
);

builder.queryField("assetRevenue", (t) =>
  t.field({
    type: [AssetRevenueRef],
    description:
      "Revenue records of an asset, newest first: compliance officers and admins; the asset's owner organization and issuers whose offering packages the asset (others: NotFound).",
    authScopes: { anyRole: ["ISSUER", "COMPLIANCE_OFFICER", "ADMIN", "ASSET_OWNER"] },
    errors: {},
    args: { assetId: t.arg.id({ required: true }) },
    resolve: (_root, { assetId }, ctx) => listAssetRevenue(ctx, assetId),
  }),
);

const distributionErrors = [
  OfferingStateError,
  SettlementNotConfiguredError,
  DistributionPeriodError,
  RevenueNegativeError,
  TreasuryInsufficientError,
  DistributionKeyReusedError,
  IndexerBehindError,
  ChainUnavailableError,
];

builder.queryField("previewDistribution", (t) =>
  t.field({
    type: DistributionPreviewRef,
    description:
      "The waterfall and the per-holder table of a distribution up to periodEnd, as declareDistribution would record it now. Stores nothing. ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER", "COMPLIANCE_OFFICER", "ADMIN"] },
    errors: { types: distributionErrors },
    args: { offeringId: t.arg.id({ required: true }), periodEnd: t.arg({ type: "DateTime", required: true }) },
    resolve: (_root, args, ctx) => previewDistribution(ctx, args),
  }),
);

const DeclareDistributionInput = builder.inputType("DeclareDistributionInput", {
  fields: (t) => ({
    idempotencyKey: t.string({ required: true, description: "Unique per offering: resending it answers the same distribution" }),
    offeringId: t.id({ required: true }),
    periodEnd: t.field({
      type: "DateTime",
      required: true,
      description: "The period runs from the previous distribution's end (or the close)",
    }),
  }),
});

builder.mutationField("declareDistribution", (t) =>
  t.field({
    type: DistributionRef,
    description:
      "Declares a distribution of the offering's revenue up to periodEnd: the waterfall and every payout recorded, then announced (DistributionDeclared) and paid (DistributionPaid per payout) on chain by the distribution worker. ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [...distributionErrors, ConflictError] },
    args: { input: t.arg({ type: DeclareDistributionInput, required: true }) },
    resolve: (_root, { input }, ctx) => declareDistribution(ctx, input),
  }),
);

const readers = { anyRole: [...INVESTOR_READERS, "INVESTOR" as const] };

builder.queryField("distribution", (t) =>
  t.field({
    type: DistributionRef,
    description: "A distribution: the issuer of its offering, compliance and operators; an investor paid in it (their own payouts).",
    authScopes: readers,
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getDistribution(ctx, id),
  }),
);

builder.queryField("distributions", (t) =>
  t.field({
    type: [DistributionRef],
    description: "An offering's distributions, oldest period first, under the same rule as distribution.",
    authScopes: readers,
    errors: {},
    args: { offeringId: t.arg.id({ required: true }) },
    resolve: (_root, { offeringId }, ctx) => listDistributions(ctx, offeringId),
  }),
);

builder.queryField("distributorContract", (t) =>
  t.field({
    type: "String",
    nullable: true,
    description:
      "The gateway's revenue distributor on its chain: what an issuer's treasury approves for distributions. Null until first used. Public.",
    resolve: async (_root, _args, ctx) => (await recordedDistributorContract(ctx.chain)) ?? null,
  }),
);

builder.objectField(InvestorRef, "statements", (t) =>
  t.field({
    type: [StatementLineRef],
    description: "The investor's revenue statement per period and tranche: gross, paid, held. The investor themself or staff.",
    resolve: (inv, _args, ctx) => investorStatements(ctx, inv.id),
  }),
);
