import { builder } from "../graphql/builder.js";
import { ChainUnavailableError } from "../errors.js";
import { InvestorRef } from "../investors/graphql.js";
import { finalityDepthOf, holdingsOfToken, holdingsOfWallet, type Holding } from "./service.js";
import { lastReconciliation, reconcile, type ReconciliationRun } from "./reconcile.js";
import type { DRIFT_KINDS, DriftEntry } from "./table.js";
import { auditActor } from "../audit/service.js";

const HoldingRef = builder.objectRef<Holding>("Holding").implement({
  description: "One line of a token's cap table, derived from the Transfer events the registry has applied.",
  fields: (t) => ({
    chainId: t.exposeInt("chainId"),
    tokenAddress: t.exposeString("tokenAddress", { description: "EIP-55 checksummed" }),
    holder: t.exposeString("holder", { description: "EIP-55 checksummed wallet" }),
    balance: t.string({
      description: "Base units as a decimal string, counting every applied event (final and pending)",
      resolve: (h) => h.balance.toString(),
    }),
    finalBalance: t.string({
      description: "Base units counting only events at least FINALITY_DEPTH blocks deep",
      resolve: (h) => h.finalBalance.toString(),
    }),
    pendingBalance: t.string({
      description: "balance − finalBalance: what not-yet-final events add (negative when they take away)",
      resolve: (h) => (h.balance - h.finalBalance).toString(),
    }),
    pending: t.boolean({ description: "Whether events not yet final move this balance", resolve: (h) => h.balance !== h.finalBalance }),
  }),
});

builder.queryField("holdings", (t) =>
  t.field({
    type: [HoldingRef],
    description: "The cap table of a token on the gateway's chain, from applied Transfer events. Authenticated.",
    authScopes: { authenticated: true },
    errors: { types: [ChainUnavailableError] },
    args: { tokenAddress: t.arg.string({ required: true }) },
    resolve: (_root, { tokenAddress }, ctx) => holdingsOfToken(ctx, tokenAddress),
  }),
);

builder.objectField(InvestorRef, "holdings", (t) =>
  t.field({
    type: [HoldingRef],
    description: "What the investor's wallet holds on the gateway's chain, token by token.",
    resolve: (investor, _args, ctx) => holdingsOfWallet(ctx, investor.walletAddress),
  }),
);

const DriftKind = builder.enumType("ReconciliationDriftKind", {
  description: "What a drift entry compares: the registry's index of the chain, or the chain against what the registry confirmed.",
  values: {
    CAP_TABLE_LAG: {
      description:
        "The indexed cap table differs from balanceOf / totalSupply: the registry's index misses (or has extra) Transfer events; the chain itself may be right.",
    },
    OVER_MINTED: {
      description:
        "The chain minted more than the registry's CONFIRMED mint requests: totalSupply (holder null) or the mints to one recipient.",
    },
    UNDER_MINTED: {
      description: "The registry holds CONFIRMED mints the chain does not have (totalSupply, or the mints to one recipient).",
    },
    UNRECORDED_BURN: { description: "Tokens burned on chain from this holder; the registry records no burns." },
    FORCED_TRANSFER_MISMATCH: {
      description: "A forced transfer the registry recorded that the chain does not show with the same parties and amount.",
    },
    PAYOUT_OVERPAID: {
      description:
        "The revenue distributor paid this holder more than the registry's payout: a payout paid twice, or a DistributionPaid the registry has no payout for (the distributor's key used outside the gateway).",
    },
    PAYOUT_UNDERPAID: {
      description:
        "The registry holds a CONFIRMED payout to this holder that the distributor's DistributionPaid events do not show in full.",
    },
  } satisfies Record<(typeof DRIFT_KINDS)[number], { description: string }>,
});

const DriftRef = builder.objectRef<DriftEntry>("ReconciliationDrift").implement({
  description: "A figure on which the registry and the chain disagree; what the figures are depends on `kind`.",
  fields: (t) => ({
    kind: t.field({ type: DriftKind, resolve: (d) => d.kind }),
    tokenAddress: t.exposeString("tokenAddress"),
    holder: t.exposeString("holder", { nullable: true, description: "null: the token as a whole (its total supply)" }),
    registryBalance: t.exposeString("registryBalance", {
      description:
        "Base units. CAP_TABLE_LAG: the indexed balance (or their sum); OVER_/UNDER_MINTED: the CONFIRMED mints (with mined ones awaiting confirmation), in all or to this recipient; UNRECORDED_BURN: 0; FORCED_TRANSFER_MISMATCH: the recorded amount; PAYOUT_*: the payout's amount as paid by the registry (0 unless CONFIRMED or in flight)",
    }),
    chainBalance: t.exposeString("chainBalance", {
      description:
        "Base units. CAP_TABLE_LAG: balanceOf (or totalSupply); OVER_/UNDER_MINTED: totalSupply, or the Transfers from 0x0 to this recipient; UNRECORDED_BURN: the Transfers to 0x0 from this holder; FORCED_TRANSFER_MISMATCH: what that transaction moved from this holder; PAYOUT_*: the DistributionPaid amounts to this holder under this payout",
    }),
    distributionId: t.exposeID("distributionId", {
      nullable: true,
      description: "PAYOUT_* kinds: the distribution (for a payout the registry never declared, the id the chain's event names)",
    }),
    difference: t.string({
      description: "registryBalance − chainBalance, base units",
      resolve: (d) => (BigInt(d.registryBalance) - BigInt(d.chainBalance)).toString(),
    }),
  }),
});

const ReconciliationRunRef = builder.objectRef<ReconciliationRun>("ReconciliationRun").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    chainId: t.exposeInt("chainId"),
    trigger: t.exposeString("trigger", { description: "SCHEDULED, CLI or MANUAL" }),
    startedAt: t.expose("startedAt", { type: "DateTime" }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true }),
    tokensChecked: t.exposeInt("tokensChecked"),
    holdingsChecked: t.exposeInt("holdingsChecked"),
    payoutsChecked: t.exposeInt("payoutsChecked", {
      description: "Distribution payouts compared with the distributor's DistributionPaid events",
    }),
    drift: t.field({ type: [DriftRef], resolve: (r) => r.drift }),
    error: t.exposeString("error", { nullable: true, description: "Why the run stopped early, if it did" }),
    ok: t.boolean({ description: "No drift and no error", resolve: (r) => r.drift.length === 0 && !r.error }),
  }),
});

builder.queryField("reconciliationReport", (t) =>
  t.field({
    type: ReconciliationRunRef,
    nullable: true,
    description:
      "The last reconciliation of the registry against the chain: the cap table against balanceOf, totalSupply and mints per recipient against CONFIRMED mint requests, recorded forced transfers, distribution payouts against DistributionPaid (null before the first). ADMIN, COMPLIANCE_OFFICER or ISSUER.",
    authScopes: { anyRole: ["ADMIN", "COMPLIANCE_OFFICER", "ISSUER"] },
    errors: {},
    resolve: async (_root, _args, ctx) => (await lastReconciliation(ctx)) ?? null,
  }),
);

builder.mutationField("runReconciliation", (t) =>
  t.field({
    type: ReconciliationRunRef,
    description:
      "Reconciles the registry (cap table, CONFIRMED mints, forced transfers, distribution payouts) against the chain now and stores the run. ADMIN.",
    authScopes: { anyRole: ["ADMIN"] },
    errors: {},
    resolve: async (_root, _args, ctx) =>
      reconcile(
        { db: ctx.db, chain: ctx.chain, finalityDepth: await finalityDepthOf(ctx.db, ctx.chain.chainId) },
        "MANUAL",
        auditActor(ctx),
      ),
  }),
);
