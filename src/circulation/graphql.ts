import { builder } from "../graphql/builder.js";
import { ChainUnavailableError, ConflictError } from "../errors.js";
import { ContractRevertedError } from "../chain/errors.js";
import { TrancheRef } from "../offerings/graphql.js";
import { INVESTOR_CLASSES } from "../investors/table.js";
import { CHAIN_RESTRICTIONS, REGISTRY_RESTRICTIONS } from "./restrictions.js";
import {
  freezePartialTokens,
  getTransferRules,
  holdingTransfers,
  setTransferRules,
  trancheHolderCount,
  trancheHolders,
  transferCheck,
  type HoldingTransfer,
  type TrancheHolder,
  type TransferCheck,
  type TransferReason,
  type TransferRules,
} from "./service.js";

const InvestorClassEnum = builder.enumType("CirculationInvestorClass", { values: INVESTOR_CLASSES });

const TransferRulesRef = builder.objectRef<TransferRules>("TransferRules").implement({
  description:
    "A tranche token's circulation rules, as last written on chain (the token enforces them on holders' transfers and venue trades; mints, burns and the agent's recovery are not bound).",
  fields: (t) => ({
    lockUntil: t.expose("lockUntil", { type: "DateTime", nullable: true, description: "No holder transfers before this instant" }),
    maxHolders: t.exposeInt("maxHolders", { nullable: true, description: "Most holders; null: no cap" }),
    maxBalance: t.exposeString("maxBalance", { nullable: true, description: "Most base units one holder may reach; null: no cap" }),
    secondaryInvestorClasses: t.field({
      type: [InvestorClassEnum],
      description: "Classes that may receive a holder's transfer",
      resolve: (r) => r.secondaryClasses,
    }),
    venueInvestorClasses: t.field({
      type: [InvestorClassEnum],
      description: "Classes that may also receive, only through an admitted venue's trade",
      resolve: (r) => r.venueClasses,
    }),
    allowedCountries: t.exposeStringList("allowedCountries", { description: "Receivers' countries allowed; empty: all not blocked" }),
    blockedCountries: t.exposeStringList("blockedCountries"),
    txHash: t.exposeString("txHash", { nullable: true, description: "The setTransferRules transaction; null: the token's defaults" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", nullable: true }),
  }),
});

builder.objectField(TrancheRef, "transferRules", (t) =>
  t.field({
    type: TransferRulesRef,
    description: "The circulation rules in force on the tranche's token. Public, as they are on chain.",
    resolve: (tr, _args, ctx) => getTransferRules(ctx, tr.id),
  }),
);

builder.objectField(TrancheRef, "holderCount", (t) =>
  t.field({
    type: "Int",
    nullable: true,
    description:
      "Holders with a non-zero balance in the indexed cap table; null for callers who may not read the holders (the issuer's staff, compliance, admins may).",
    resolve: (tr, _args, ctx) => trancheHolderCount(ctx, tr),
  }),
);

export const RestrictionCodeEnum = builder.enumType("TransferRestrictionCode", {
  description:
    "Why a transfer would be refused. The chain's codes are the token's ERC-1404 restriction codes; the rest only the registry knows.",
  values: [...CHAIN_RESTRICTIONS.filter((c) => c !== "NONE"), ...REGISTRY_RESTRICTIONS],
});

const TransferReasonRef = builder.objectRef<TransferReason>("TransferReason").implement({
  fields: (t) => ({
    code: t.field({ type: RestrictionCodeEnum, resolve: (r) => r.code }),
    message: t.exposeString("message"),
    enforcedBy: t.exposeString("enforcedBy", { description: "CHAIN: the token reverts on it; REGISTRY: the gateway refuses it" }),
  }),
});

const TransferCheckRef = builder.objectRef<TransferCheck>("TransferCheck").implement({
  description: "The verdict of transferCheck: allowed, with every reason that applies (the token's own rules in the token's order first).",
  fields: (t) => ({
    allowed: t.exposeBoolean("allowed"),
    chainAllowed: t.exposeBoolean("chainAllowed", {
      description: "No rule the token enforces refuses it: what canTransfer (or, with a venue, a venue trade) answers",
    }),
    reasons: t.field({ type: [TransferReasonRef], resolve: (c) => c.reasons }),
    blockNumber: t.string({ description: "The block whose balances were read", resolve: (c) => c.blockNumber.toString() }),
    at: t.expose("at", { type: "DateTime", description: "The time the rules were applied at" }),
  }),
});

const TransferCheckInput = builder.inputType("TransferCheckInput", {
  fields: (t) => ({
    trancheId: t.id({ required: true }),
    from: t.string({ required: true }),
    to: t.string({ required: true }),
    amount: t.string({ required: true, description: "Base units, as a decimal string" }),
    venueId: t.id({ description: "The VENUE organization the trade would settle on; absent: a holder's own transfer" }),
    at: t.field({ type: "DateTime", description: "The time the transfer is meant for; default: the chain's latest block" }),
  }),
});

builder.queryField("transferCheck", (t) =>
  t.field({
    type: TransferCheckRef,
    description:
      "Whether a transfer of a tranche's tokens would pass, and every reason it would not (ERC-1404 / DS preTransferCheck in spirit), agreeing with the token's canTransfer. Sends nothing. The issuer's staff, compliance, admins; a VENUE_OPERATOR about trades on its venue; an investor for their own wallet.",
    authScopes: { $any: { authenticated: true, anyRole: ["INVESTOR"] } },
    errors: { types: [ConflictError] },
    args: { input: t.arg({ type: TransferCheckInput, required: true }) },
    resolve: (_root, { input }, ctx) => transferCheck(ctx, input),
  }),
);

const TransferRulesInput = builder.inputType("TransferRulesInput", {
  fields: (t) => ({
    trancheId: t.id({ required: true }),
    lockUntil: t.field({ type: "DateTime", description: "No holder transfers before this instant; null: none" }),
    maxHolders: t.int({ description: "Most holders; null: no cap" }),
    maxBalance: t.string({ description: "Most base units one holder may reach by a transfer; null: no cap" }),
    secondaryInvestorClasses: t.field({
      type: [InvestorClassEnum],
      required: true,
      description: "Classes that may receive a holder's transfer",
    }),
    venueInvestorClasses: t.field({
      type: [InvestorClassEnum],
      description: "Classes that may also receive, only through an admitted venue",
    }),
    allowedCountries: t.stringList({ description: "ISO 3166-1 alpha-2; empty: every country not blocked" }),
    blockedCountries: t.stringList({ description: "ISO 3166-1 alpha-2 countries that may not receive" }),
    reason: t.string({ description: "Why (kept in the audit trail)" }),
  }),
});

const agentErrors = [ContractRevertedError, ChainUnavailableError, ConflictError];

builder.mutationField("setTransferRules", (t) =>
  t.field({
    type: TransferRulesRef,
    description:
      "Replaces the circulation rules of a tranche's token on chain (every rule at once), then mirrors and audits them. AGENT: ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: agentErrors },
    args: { input: t.arg({ type: TransferRulesInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      setTransferRules(ctx, {
        ...input,
        venueInvestorClasses: input.venueInvestorClasses ?? [],
        allowedCountries: input.allowedCountries ?? [],
        blockedCountries: input.blockedCountries ?? [],
        reason: input.reason ?? undefined,
      }),
  }),
);

const PartialFreezeRef = builder
  .objectRef<{ trancheId: string; address: string; amount: string; txHash: string }>("PartialFreeze")
  .implement({
    fields: (t) => ({
      trancheId: t.exposeID("trancheId"),
      address: t.exposeString("address"),
      amount: t.exposeString("amount", { description: "Base units that may not move; 0: none" }),
      txHash: t.exposeString("txHash"),
    }),
  });

builder.mutationField("freezePartialTokens", (t) =>
  t.field({
    type: PartialFreezeRef,
    description: "Freezes an amount of a holder's tokens (replacing an earlier partial freeze; 0 lifts it). AGENT: ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: agentErrors },
    args: {
      trancheId: t.arg.id({ required: true }),
      address: t.arg.string({ required: true }),
      amount: t.arg.string({ required: true, description: "Base units, as a decimal string" }),
      reason: t.arg.string(),
    },
    resolve: (_root, args, ctx) => freezePartialTokens(ctx, { ...args, reason: args.reason ?? undefined }),
  }),
);

const TrancheHolderRef = builder.objectRef<TrancheHolder>("TrancheHolder").implement({
  fields: (t) => ({
    address: t.exposeString("address"),
    balance: t.string({ description: "Base units through the latest indexed block", resolve: (h) => h.balance.toString() }),
    finalBalance: t.string({ description: "Base units past FINALITY_DEPTH", resolve: (h) => h.finalBalance.toString() }),
    investorId: t.exposeID("investorId", { nullable: true }),
    country: t.exposeString("country", { nullable: true }),
    investorClass: t.field({ type: InvestorClassEnum, nullable: true, resolve: (h) => h.investorClass }),
    lockedUntil: t.expose("lockedUntil", { type: "DateTime", nullable: true }),
    frozen: t.exposeBoolean("frozen"),
    frozenAmount: t.string({ resolve: (h) => h.frozenAmount.toString() }),
  }),
});

const TrancheHoldersRef = builder
  .objectRef<{ trancheId: string; holders: TrancheHolder[]; maxHolders: number | null }>("TrancheHolders")
  .implement({
    fields: (t) => ({
      trancheId: t.exposeID("trancheId"),
      holderCount: t.int({ resolve: (h) => h.holders.length }),
      maxHolders: t.exposeInt("maxHolders", { nullable: true, description: "The cap of the token's rules; null: none" }),
      holders: t.field({ type: [TrancheHolderRef], resolve: (h) => h.holders }),
    }),
  });

builder.queryField("holders", (t) =>
  t.field({
    type: TrancheHoldersRef,
    description:
      "A tranche's holders from the indexed cap table, the count against its cap, each with lock-up and freezes. The issuer's staff, compliance, admins.",
    authScopes: { authenticated: true },
    errors: {},
    args: { trancheId: t.arg.id({ required: true }) },
    resolve: async (_root, { trancheId }, ctx) => {
      const holders = await trancheHolders(ctx, trancheId);
      const rules = await getTransferRules(ctx, trancheId);
      return { trancheId, holders, maxHolders: rules.maxHolders };
    },
  }),
);

const HoldingTransferRef = builder.objectRef<HoldingTransfer>("HoldingTransfer").implement({
  fields: (t) => ({
    txHash: t.exposeString("txHash"),
    blockNumber: t.string({ resolve: (h) => h.blockNumber.toString() }),
    logIndex: t.exposeInt("logIndex"),
    from: t.exposeString("from"),
    to: t.exposeString("to"),
    amount: t.string({ resolve: (h) => h.amount.toString() }),
  }),
});

builder.queryField("holdingTransfers", (t) =>
  t.field({
    type: [HoldingTransferRef],
    description:
      "The indexed Transfer events in and out of one holding of a tranche, oldest first. The issuer's staff, compliance, admins.",
    authScopes: { authenticated: true },
    errors: {},
    args: { trancheId: t.arg.id({ required: true }), holder: t.arg.string({ required: true }) },
    resolve: (_root, { trancheId, holder }, ctx) => holdingTransfers(ctx, trancheId, holder),
  }),
);
