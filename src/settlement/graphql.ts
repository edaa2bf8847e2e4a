import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { ChainUnavailableError, ConflictError } from "../errors.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { OfferingRef, TrancheRef } from "../offerings/graphql.js";
import { getTranche } from "../offerings/service.js";
import { OfferingNotOpenError, OfferingStateError } from "../offerings/errors.js";
import { InvestorRef } from "../investors/graphql.js";
import { INVESTOR_READERS } from "../investors/access.js";
import { InsufficientBalanceError, SupplyCapExceededError } from "../minting/errors.js";
import { recordedSettlementContract } from "../chain/settlement.js";
import { REDEMPTION_KINDS, SETTLEMENT_STATUSES } from "./table.js";
import {
  BelowMinimumTicketError,
  EarlyRedemptionNotAllowedError,
  SettlementKeyReusedError,
  SettlementNotConfiguredError,
  SettlementRefusedError,
  TreasuryInsufficientError,
} from "./errors.js";
import {
  getRedemption,
  getSubscription,
  listRedemptions,
  listSubscriptions,
  redeemOffering,
  redemptionShortfall,
  requestRedemption,
  requestSubscription,
  type Redemption,
  type Subscription,
} from "./service.js";

const SettlementStatus = builder.enumType("SettlementStatus", {
  values: SETTLEMENT_STATUSES,
  description:
    "REQUESTED → SUBMITTED (in a DvP transaction) → CONFIRMED (both legs happened) or REVERTED (the chain refused it; nothing moved). FAILED: never sent, nothing moved.",
});
const RedemptionKind = builder.enumType("RedemptionKind", {
  values: REDEMPTION_KINDS,
  description: "EARLY: asked for by the holder; MATURITY: every holder at maturity; REFUND: a paid subscription of a cancelled offering",
});

const errorFields = { interfaces: [ErrorInterface] };
builder.objectType(SettlementNotConfiguredError, {
  ...errorFields,
  name: "SettlementNotConfiguredError",
  fields: (t) => ({ offeringId: t.exposeID("offeringId") }),
});
builder.objectType(SettlementRefusedError, {
  ...errorFields,
  name: "SettlementRefusedError",
  description: "The chain would refuse the settlement now. Nothing was recorded, paid or minted.",
  fields: (t) => ({
    reason: t.exposeString("reason", {
      description: "The decoded error: ERC20InsufficientBalance, ERC20InsufficientAllowance, ERC2612ExpiredSignature…",
    }),
  }),
});
builder.objectType(BelowMinimumTicketError, {
  ...errorFields,
  name: "BelowMinimumTicketError",
  fields: (t) => ({ minimumTicket: t.exposeString("minimumTicket"), requested: t.exposeString("requested") }),
});
builder.objectType(EarlyRedemptionNotAllowedError, {
  ...errorFields,
  name: "EarlyRedemptionNotAllowedError",
  fields: (t) => ({ trancheId: t.exposeID("trancheId") }),
});
builder.objectType(TreasuryInsufficientError, {
  ...errorFields,
  name: "TreasuryInsufficientError",
  fields: (t) => ({ needed: t.exposeString("needed"), available: t.exposeString("available") }),
});
builder.objectType(SettlementKeyReusedError, {
  ...errorFields,
  name: "SettlementKeyReusedError",
  fields: (t) => ({ existingId: t.exposeID("existingId") }),
});

export const RedemptionRef = builder.objectRef<Redemption>("Redemption").implement({
  description: "Tokens burned against a payout in the settlement currency from the issuer's treasury, in one DvP transaction.",
  fields: (t) => ({
    id: t.exposeID("id"),
    kind: t.expose("kind", { type: RedemptionKind }),
    status: t.expose("status", { type: SettlementStatus }),
    offeringId: t.exposeID("offeringId"),
    tranche: t.field({ type: TrancheRef, resolve: async (r, _args, ctx) => (await getTranche(ctx.db, r.trancheId)).tranche }),
    investorId: t.exposeID("investorId"),
    holder: t.exposeString("holder"),
    subscriptionId: t.exposeID("subscriptionId", { nullable: true, description: "REFUND: the subscription paid back" }),
    amount: t.exposeString("amount", { description: "Token base units burned" }),
    principal: t.exposeString("principal", { description: "Settlement base units" }),
    coupon: t.exposeString("coupon", { description: "Accrued fixed coupon, settlement base units (actual/365)" }),
    due: t.exposeString("due", { description: "principal + coupon" }),
    payout: t.exposeString("payout", { description: "What the treasury pays (the waterfall's share of the due)" }),
    shortfall: t.exposeString("shortfall", { description: "due − payout: what the treasury could not pay" }),
    txHash: t.exposeString("txHash", { nullable: true }),
    blockNumber: t.string({ nullable: true, resolve: (r) => r.blockNumber?.toString() ?? null }),
    revertReason: t.exposeString("revertReason", { nullable: true }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

// Not "Subscription": that is GraphQL's root type of subscriptions.
export const SubscriptionRef = builder.objectRef<Subscription>("InvestorSubscription").implement({
  description:
    "A DvP subscription: the stablecoin from the investor's wallet to the treasury and the tranche tokens to the investor, in one transaction.",
  fields: (t) => ({
    id: t.exposeID("id"),
    idempotencyKey: t.exposeString("idempotencyKey"),
    status: t.expose("status", { type: SettlementStatus }),
    offeringId: t.exposeID("offeringId"),
    tranche: t.field({ type: TrancheRef, resolve: async (s, _args, ctx) => (await getTranche(ctx.db, s.trancheId)).tranche }),
    investorId: t.exposeID("investorId"),
    wallet: t.exposeString("wallet", { description: "Pays, and receives the tokens" }),
    amount: t.exposeString("amount", { description: "Token base units" }),
    cost: t.exposeString("cost", { description: "Settlement base units: amount × price / 10^18" }),
    paidWith: t.string({
      description: "PERMIT (EIP-2612, relayed) or ALLOWANCE (a prior approve)",
      resolve: (s) => (s.permit ? "PERMIT" : "ALLOWANCE"),
    }),
    txHash: t.exposeString("txHash", { nullable: true }),
    blockNumber: t.string({ nullable: true, resolve: (s) => s.blockNumber?.toString() ?? null }),
    revertReason: t.exposeString("revertReason", { nullable: true }),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    refund: t.field({
      type: RedemptionRef,
      nullable: true,
      description: "Its refund, once its offering was cancelled",
      resolve: async (s, _args, ctx) =>
        (await listRedemptions(ctx, { offeringId: s.offeringId, investorId: s.investorId })).find((r) => r.subscriptionId === s.id) ?? null,
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const PermitInput = builder.inputType("PermitInput", {
  description: "An EIP-2612 permit the investor's wallet signed: owner = their wallet, spender = settlementContract, value ≥ the cost.",
  fields: (t) => ({
    value: t.string({ required: true, description: "Settlement base units allowed" }),
    deadline: t.string({ required: true, description: "Unix time in seconds" }),
    signature: t.string({ required: true, description: "The 65-byte signature of the typed data, 0x-prefixed" }),
  }),
});

const RequestSubscriptionInput = builder.inputType("RequestSubscriptionInput", {
  fields: (t) => ({
    idempotencyKey: t.string({ required: true, description: "Unique per investor: resending it returns the same subscription" }),
    trancheId: t.id({ required: true }),
    investorId: t.id({ required: true }),
    amount: t.string({ required: true, description: "Token base units, as a decimal string" }),
    permit: t.field({ type: PermitInput, description: "Omit when the wallet approved the settlement contract beforehand" }),
  }),
});

const settlementErrors = [
  ComplianceNotSatisfiedError,
  OfferingNotOpenError,
  SettlementNotConfiguredError,
  SettlementRefusedError,
  SettlementKeyReusedError,
  SupplyCapExceededError,
  BelowMinimumTicketError,
  ConflictError,
  ChainUnavailableError,
];

builder.mutationField("requestSubscription", (t) =>
  t.field({
    type: SubscriptionRef,
    description:
      "Subscribes an investor to a tranche, paid by DvP in the offering's settlement token (a permit, or a prior approve of settlementContract). Refused with the decoded reason when the chain would refuse it (SettlementRefusedError); returns REQUESTED, then the settlement worker pays and mints in one transaction. The INVESTOR for themself, or ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER", "INVESTOR"] },
    errors: { types: settlementErrors },
    args: { input: t.arg({ type: RequestSubscriptionInput, required: true }) },
    resolve: (_root, { input }, ctx) => requestSubscription(ctx, input),
  }),
);

const RequestRedemptionInput = builder.inputType("RequestRedemptionInput", {
  fields: (t) => ({
    idempotencyKey: t.string({ required: true, description: "Unique per investor" }),
    trancheId: t.id({ required: true }),
    investorId: t.id({ required: true }),
    amount: t.string({ required: true, description: "Token base units to redeem" }),
  }),
});

builder.mutationField("requestRedemption", (t) =>
  t.field({
    type: RedemptionRef,
    description:
      "Early redemption of a tranche that allows it: tokens burned against principal plus accrued coupon, paid in full by the treasury (TreasuryInsufficientError otherwise). The INVESTOR for themself, or ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER", "INVESTOR"] },
    errors: {
      types: [
        EarlyRedemptionNotAllowedError,
        OfferingStateError,
        SettlementNotConfiguredError,
        SettlementRefusedError,
        SettlementKeyReusedError,
        TreasuryInsufficientError,
        InsufficientBalanceError,
        ConflictError,
        ChainUnavailableError,
      ],
    },
    args: { input: t.arg({ type: RequestRedemptionInput, required: true }) },
    resolve: (_root, { input }, ctx) => requestRedemption(ctx, input),
  }),
);

builder.mutationField("redeemOffering", (t) =>
  t.field({
    type: OfferingRef,
    description:
      "Plans the maturity redemption of a MATURED offering, once: every holder's tokens against principal plus coupon, the treasury's funds shared senior first, pro rata within a tranche, the shortfall recorded. The settlement worker sends one transaction per tranche batch; REDEEMED when all are confirmed. ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [OfferingStateError, SettlementNotConfiguredError, TreasuryInsufficientError, ChainUnavailableError] },
    args: { offeringId: t.arg.id({ required: true }) },
    resolve: (_root, { offeringId }, ctx) => redeemOffering(ctx, { offeringId }),
  }),
);

const SettlementFilter = builder.inputType("SettlementFilter", {
  fields: (t) => ({
    offeringId: t.id(),
    trancheId: t.id(),
    investorId: t.id(),
    status: t.field({ type: SettlementStatus }),
    first: t.int({ description: "At most 500; 100 by default" }),
  }),
});

const readers = { anyRole: [...INVESTOR_READERS, "INVESTOR" as const] };

builder.queryField("subscription", (t) =>
  t.field({
    type: SubscriptionRef,
    description: "A subscription: to the investor signed in (their own), the issuer of its offering, compliance and operators.",
    authScopes: readers,
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getSubscription(ctx, id),
  }),
);

builder.queryField("subscriptions", (t) =>
  t.field({
    type: [SubscriptionRef],
    description:
      "Subscriptions the caller may read (an INVESTOR's own; an issuer's offerings'; all for compliance and operators), newest first.",
    authScopes: readers,
    errors: {},
    args: { filter: t.arg({ type: SettlementFilter }) },
    resolve: (_root, { filter }, ctx) => listSubscriptions(ctx, { ...filter, first: filter?.first ?? undefined }),
  }),
);

builder.queryField("redemption", (t) =>
  t.field({
    type: RedemptionRef,
    description: "A redemption or refund, under the same rule as subscription.",
    authScopes: readers,
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getRedemption(ctx, id),
  }),
);

builder.queryField("redemptions", (t) =>
  t.field({
    type: [RedemptionRef],
    description: "Redemptions and refunds the caller may read, newest first, under the same rule as subscriptions.",
    authScopes: readers,
    errors: {},
    args: { filter: t.arg({ type: SettlementFilter }) },
    resolve: (_root, { filter }, ctx) => listRedemptions(ctx, { ...filter, first: filter?.first ?? undefined }),
  }),
);

builder.queryField("settlementContract", (t) =>
  t.field({
    type: "String",
    nullable: true,
    description:
      "The gateway's DvP settlement contract on its chain: the spender an investor's permit (or approve) names. Null until the first tranche token is deployed. Public.",
    resolve: async (_root, _args, ctx) => (await recordedSettlementContract(ctx.chain)) ?? null,
  }),
);

builder.objectFields(InvestorRef, (t) => ({
  subscriptions: t.field({
    type: [SubscriptionRef],
    description: "The investor's subscriptions the caller may read, newest first.",
    resolve: (inv, _args, ctx) => listSubscriptions(ctx, { investorId: inv.id }),
  }),
  redemptions: t.field({
    type: [RedemptionRef],
    description: "The investor's redemptions and refunds the caller may read, newest first.",
    resolve: (inv, _args, ctx) => listRedemptions(ctx, { investorId: inv.id }),
  }),
}));

builder.objectFields(OfferingRef, (t) => ({
  redemptionShortfall: t.string({
    description:
      "What the treasury could not pay of the maturity redemption, settlement base units (0 until planned, or when paid in full)",
    resolve: (o, _args, ctx) => redemptionShortfall(ctx.db, o.id),
  }),
}));
