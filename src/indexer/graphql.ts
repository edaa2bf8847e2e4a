import { builder } from "../graphql/builder.js";
import { ChainUnavailableError } from "../errors.js";
import { InvestorRef } from "../investors/graphql.js";
import { finalityDepthOf, holdingsOfToken, holdingsOfWallet, type Holding } from "./service.js";
import { lastReconciliation, reconcile, type ReconciliationRun } from "./reconcile.js";
import type { DriftEntry } from "./table.js";

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

const DriftRef = builder.objectRef<DriftEntry>("ReconciliationDrift").implement({
  description: "A balance on which the registry and the chain disagree.",
  fields: (t) => ({
    tokenAddress: t.exposeString("tokenAddress"),
    holder: t.exposeString("holder", { nullable: true, description: "null: the token's total supply" }),
    registryBalance: t.exposeString("registryBalance", { description: "Base units" }),
    chainBalance: t.exposeString("chainBalance", { description: "Base units (balanceOf / totalSupply)" }),
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
    drift: t.field({ type: [DriftRef], resolve: (r) => r.drift }),
    error: t.exposeString("error", { nullable: true, description: "Why the run stopped early, if it did" }),
    ok: t.boolean({ description: "No drift and no error", resolve: (r) => r.drift.length === 0 && !r.error }),
  }),
});

builder.queryField("reconciliationReport", (t) =>
  t.field({
    type: ReconciliationRunRef,
    nullable: true,
    description: "The last reconciliation of the cap table against balanceOf (null before the first). ADMIN, COMPLIANCE_OFFICER or ISSUER.",
    authScopes: { anyRole: ["ADMIN", "COMPLIANCE_OFFICER", "ISSUER"] },
    errors: {},
    resolve: async (_root, _args, ctx) => (await lastReconciliation(ctx)) ?? null,
  }),
);

builder.mutationField("runReconciliation", (t) =>
  t.field({
    type: ReconciliationRunRef,
    description: "Reconciles the cap table against the chain now and stores the run. ADMIN.",
    authScopes: { anyRole: ["ADMIN"] },
    errors: {},
    resolve: async (_root, _args, ctx) =>
      reconcile({ db: ctx.db, chain: ctx.chain, finalityDepth: await finalityDepthOf(ctx.db, ctx.chain.chainId) }, "MANUAL"),
  }),
);
