/**
 * The circulation layer (docs/circulation.md): a tranche token's secondary-market rules, set by
 * the issuer as the token's AGENT and mirrored here; partial freezes; a transfer pre-check that
 * answers what the token would (and what only the registry knows); the holders of a tranche.
 *
 * The token holds the rules that bind. `transferCheck` evaluates them here, from the registry's
 * mirror of the rules and identities and the chain's balances, in the token's own order, so its
 * first chain reason is the token's `detectTransferRestriction` code (test/circulation.test.ts
 * runs a matrix of transfers against both).
 */
import { and, asc, eq, inArray, or, sql } from "drizzle-orm";
import { z } from "zod";
import { getAddress, type Address } from "viem";
import type { ServiceContext } from "../context.js";
import { hasRole, investorIdOf, requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, ForbiddenError } from "../errors.js";
import { addressSchema } from "../chain/address.js";
import { DataAssetTokenAbi, callToken } from "../chain/token.js";
import { settlementId } from "../chain/settlement.js";
import { baseUnitAmountSchema, dateTimeSchema, nonEmpty, parseInput, uuidSchema } from "../validation.js";
import { getTranche, type Tranche } from "../offerings/service.js";
import { investor, INVESTOR_CLASSES, trancheWhitelist } from "../investors/table.js";
import { frozenAddress, tokenControlState } from "../minting/table.js";
import { agentTranche } from "../minting/controls.js";
import { venueLicenceProblem } from "../venues/service.js";
import { chainEvent } from "../indexer/table.js";
import { finalityDepthOf, queryHoldings, safeBlockNumber } from "../indexer/service.js";
import { kycProblem } from "../compliance/requirements.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import {
  ANY_CLASS_MASK,
  CLASS_CODES,
  classMask,
  countryBytes,
  countryOfJurisdiction,
  RESTRICTION_MESSAGES,
  type ChainRestriction,
  type RestrictionCode,
} from "./restrictions.js";
import { frozenTokens, transferRules } from "./table.js";

type InvestorClass = (typeof INVESTOR_CLASSES)[number];
export type TransferRules = Omit<typeof transferRules.$inferSelect, "txHash" | "updatedBy" | "updatedAt"> & {
  txHash: string | null;
  updatedBy: string | null;
  updatedAt: Date | null;
};

/** A token without rules set: no lock-up, no caps, any class may receive, no country list. */
function defaultRules(trancheId: string): TransferRules {
  return {
    trancheId,
    lockUntil: null,
    maxHolders: null,
    maxBalance: null,
    secondaryClasses: [...INVESTOR_CLASSES],
    venueClasses: [],
    allowedCountries: [],
    blockedCountries: [],
    txHash: null,
    updatedBy: null,
    updatedAt: null,
  };
}

/** The rules in force on a tranche's token (its defaults when none were set). */
export async function getTransferRules(ctx: Pick<ServiceContext, "db">, trancheId: string): Promise<TransferRules> {
  const [row] = await ctx.db.select().from(transferRules).where(eq(transferRules.trancheId, trancheId));
  return row ?? defaultRules(trancheId);
}

const countrySchema = z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 country code such as SG");
const classesSchema = z.array(z.enum(INVESTOR_CLASSES)).max(INVESTOR_CLASSES.length);
const rulesSchema = z.object({
  trancheId: uuidSchema,
  lockUntil: dateTimeSchema.nullish(),
  maxHolders: z.number().int().min(1).max(4_294_967_295).nullish(),
  maxBalance: baseUnitAmountSchema.nullish(),
  secondaryInvestorClasses: classesSchema,
  venueInvestorClasses: classesSchema.default([]),
  allowedCountries: z.array(countrySchema).max(250).default([]),
  blockedCountries: z.array(countrySchema).max(250).default([]),
  reason: nonEmpty(500).optional(),
});
export type SetTransferRulesParams = z.input<typeof rulesSchema>;

/**
 * Replaces the circulation rules of a tranche's token: sent on chain through the write pipeline
 * (`setTransferRules`, every rule at once), then mirrored and audited.
 * @example await setTransferRules(ctx, { trancheId, secondaryInvestorClasses: ["PROFESSIONAL"], venueInvestorClasses: ["RETAIL"] });
 */
export async function setTransferRules(ctx: ServiceContext, input: SetTransferRulesParams): Promise<TransferRules> {
  const p = parseInput(rulesSchema, input);
  const t = await agentTranche(ctx, p.trancheId);
  const unique = <T>(xs: T[]) => [...new Set(xs)];
  const rules = {
    lockUntil: p.lockUntil ?? null,
    maxHolders: p.maxHolders ?? null,
    maxBalance: p.maxBalance ?? null,
    secondaryClasses: unique(p.secondaryInvestorClasses),
    venueClasses: unique(p.venueInvestorClasses),
    allowedCountries: unique(p.allowedCountries),
    blockedCountries: unique(p.blockedCountries),
  };
  const { txHash } = await callToken(ctx.chain, {
    token: t.tokenAddress as Address,
    functionName: "setTransferRules",
    args: [
      BigInt(rules.lockUntil ? Math.floor(rules.lockUntil.getTime() / 1000) : 0),
      rules.maxHolders ?? 0,
      BigInt(rules.maxBalance ?? "0"),
      classMask(rules.secondaryClasses),
      classMask(rules.venueClasses),
      rules.allowedCountries.map(countryBytes),
      rules.blockedCountries.map(countryBytes),
    ],
  });
  const updatedBy = requireActor(ctx).subject;
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(transferRules)
      .values({ trancheId: t.id, ...rules, txHash, updatedBy })
      .onConflictDoUpdate({ target: transferRules.trancheId, set: { ...rules, txHash, updatedBy, updatedAt: new Date() } })
      .returning();
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "token.transfer_rules_set",
      entityType: "Offering",
      entityId: t.offeringId,
      payload: { trancheId: t.id, tokenAddress: t.tokenAddress, ...rules, reason: p.reason ?? null, txHash },
    });
    return row!;
  });
}

const partialFreezeSchema = z.object({
  trancheId: uuidSchema,
  address: addressSchema,
  amount: baseUnitAmountSchema,
  reason: nonEmpty(500).optional(),
});

/**
 * Freezes `amount` of a holder's tokens (replacing an earlier partial freeze; "0" lifts it):
 * that much of the balance may not be transferred. Sent on chain, then mirrored and audited.
 */
export async function freezePartialTokens(
  ctx: ServiceContext,
  input: z.input<typeof partialFreezeSchema>,
): Promise<{ trancheId: string; address: string; amount: string; txHash: string }> {
  const p = parseInput(partialFreezeSchema, input);
  const t = await agentTranche(ctx, p.trancheId);
  const { txHash } = await callToken(ctx.chain, {
    token: t.tokenAddress as Address,
    functionName: "setFrozenAmount",
    args: [p.address as Address, BigInt(p.amount)],
  });
  const address = p.address.toLowerCase();
  await ctx.db.transaction(async (tx) => {
    if (p.amount === "0") {
      await tx.delete(frozenTokens).where(and(eq(frozenTokens.trancheId, t.id), eq(frozenTokens.address, address)));
    } else {
      await tx
        .insert(frozenTokens)
        .values({ trancheId: t.id, address, amount: p.amount, txHash })
        .onConflictDoUpdate({
          target: [frozenTokens.trancheId, frozenTokens.address],
          set: { amount: p.amount, txHash, updatedAt: new Date() },
        });
    }
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "token.partial_freeze",
      entityType: "Offering",
      entityId: t.offeringId,
      payload: { trancheId: t.id, tokenAddress: t.tokenAddress, account: address, amount: p.amount, reason: p.reason ?? null, txHash },
    });
  });
  return { trancheId: t.id, address: getAddress(p.address), amount: p.amount, txHash };
}

const checkSchema = z.object({
  trancheId: uuidSchema,
  from: addressSchema,
  to: addressSchema,
  amount: baseUnitAmountSchema,
  /** The VENUE organization the trade would settle on; absent: a holder's own transfer. */
  venueId: uuidSchema.nullish(),
  /** The time the transfer is meant for; default: the chain's latest block. */
  at: dateTimeSchema.nullish(),
});
export type TransferCheckParams = z.input<typeof checkSchema>;

export type TransferReason = { code: RestrictionCode; message: string; enforcedBy: "CHAIN" | "REGISTRY" };
export type TransferCheck = {
  allowed: boolean;
  /** No reason the token enforces: what its canTransfer (or, with a venue, a venue trade) answers. */
  chainAllowed: boolean;
  reasons: TransferReason[];
  /** The block whose balances were read, and the time the rules were applied at. */
  blockNumber: bigint;
  at: Date;
};

/** Who may ask: the issuer's staff, compliance, admins; a venue about trades on itself; an investor signed in about a transfer of their own wallet. */
function requireCheckAccess(
  ctx: ServiceContext,
  issuerOrgId: string,
  parties: { from: string; to: string },
  wallet: string | undefined,
  venueId: string | null | undefined,
) {
  if (investorIdOf(ctx)) {
    if (!wallet || ![parties.from, parties.to].some((a) => a.toLowerCase() === wallet.toLowerCase())) {
      throw new ForbiddenError("an investor may check only transfers from or to their own wallet");
    }
    return;
  }
  const actor = requireActor(ctx);
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return;
  if (hasRole(ctx, "ISSUER") && actor.organizationId === issuerOrgId) return;
  // A venue asks about trades on itself before it takes the parties' signatures.
  if (hasRole(ctx, "VENUE_OPERATOR") && venueId === actor.organizationId) return;
  throw new ForbiddenError(
    "transferCheck needs the ISSUER role of the offering's organization, COMPLIANCE_OFFICER, ADMIN, or VENUE_OPERATOR of the venue asked about",
  );
}

/**
 * Whether `amount` of a tranche's tokens may move from `from` to `to` (optionally as a trade on
 * a venue, at a given time), with every reason that applies: the token's own rules, evaluated
 * in the token's order (the first CHAIN reason is its detectTransferRestriction code), then what
 * the registry alone knows (KYC, the offering's blocked jurisdictions, the venue's licence).
 * Reads nothing it changes; sends nothing.
 */
export async function transferCheck(ctx: ServiceContext, input: TransferCheckParams): Promise<TransferCheck> {
  const p = parseInput(checkSchema, input);
  const { tranche, offering } = await getTranche(ctx.db, p.trancheId);
  const signedIn = investorIdOf(ctx);
  const [self] = signedIn ? await ctx.db.select({ wallet: investor.walletAddress }).from(investor).where(eq(investor.id, signedIn)) : [];
  requireCheckAccess(ctx, offering.issuerOrgId, p, self?.wallet, p.venueId);
  if (!tranche.tokenAddress) throw new ConflictError(`tranche ${tranche.id} has no deployed token yet`);
  const token = tranche.tokenAddress as Address;
  const from = getAddress(p.from);
  const to = getAddress(p.to);
  const amount = BigInt(p.amount);

  const block = await ctx.chain.publicClient.getBlock({ blockTag: "latest" });
  const at = p.at ?? new Date(Number(block.timestamp) * 1000);
  const read = <T>(functionName: string, args: readonly unknown[]) =>
    ctx.chain.publicClient.readContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName,
      args,
      blockNumber: block.number,
    } as any) as Promise<T>;
  const venue = p.venueId ? settlementId(p.venueId) : null;
  const [fromBalance, toBalance, holderCount, venueAdmitted] = await Promise.all([
    read<bigint>("balanceOf", [from]),
    read<bigint>("balanceOf", [to]),
    read<bigint>("holderCount", []),
    venue ? read<boolean>("venueAdmitted", [venue]) : Promise.resolve(true),
  ]);

  const wallets = [from.toLowerCase(), to.toLowerCase()];
  const [rules, [control], listed, frozen, partial] = await Promise.all([
    getTransferRules(ctx, tranche.id),
    ctx.db.select({ paused: tokenControlState.paused }).from(tokenControlState).where(eq(tokenControlState.trancheId, tranche.id)),
    ctx.db
      .select({
        wallet: trancheWhitelist.walletAddress,
        country: trancheWhitelist.country,
        investorClass: trancheWhitelist.investorClass,
        inv: investor,
      })
      .from(trancheWhitelist)
      .innerJoin(investor, eq(investor.id, trancheWhitelist.investorId))
      .where(and(eq(trancheWhitelist.trancheId, tranche.id), inArray(sql`lower(${trancheWhitelist.walletAddress})`, wallets))),
    ctx.db
      .select({ address: frozenAddress.address })
      .from(frozenAddress)
      .where(and(eq(frozenAddress.trancheId, tranche.id), inArray(frozenAddress.address, wallets))),
    ctx.db
      .select({ address: frozenTokens.address, amount: frozenTokens.amount })
      .from(frozenTokens)
      .where(and(eq(frozenTokens.trancheId, tranche.id), inArray(frozenTokens.address, wallets))),
  ]);
  const entry = (a: Address) => listed.find((l) => l.wallet.toLowerCase() === a.toLowerCase());
  const isFrozen = (a: Address) => frozen.some((f) => f.address === a.toLowerCase());
  const sender = entry(from);
  const receiver = entry(to);

  // The token's _restriction, step by step: the first failing step is its code; the rest are
  // every other rule that also fails.
  const chain: ChainRestriction[] = [];
  if (control?.paused) chain.push("PAUSED");
  if (!sender) chain.push("SENDER_NOT_WHITELISTED");
  if (!receiver) chain.push("RECEIVER_NOT_WHITELISTED");
  if (isFrozen(from)) chain.push("SENDER_FROZEN");
  if (isFrozen(to)) chain.push("RECEIVER_FROZEN");
  if (rules.lockUntil && at.getTime() < rules.lockUntil.getTime()) chain.push("LOCKED_UP");
  const frozenAmount = BigInt(partial.find((f) => f.address === from.toLowerCase())?.amount ?? "0");
  if (amount > fromBalance) chain.push("INSUFFICIENT_BALANCE");
  else if (amount > fromBalance - (frozenAmount < fromBalance ? frozenAmount : fromBalance)) chain.push("AMOUNT_FROZEN");
  if (venue && !venueAdmitted) chain.push("VENUE_NOT_ADMITTED");
  if (from !== to && amount !== 0n) {
    const country = receiver?.country ?? null;
    if (country && rules.blockedCountries.includes(country)) chain.push("COUNTRY_BLOCKED");
    if (rules.allowedCountries.length > 0 && !(country && rules.allowedCountries.includes(country))) chain.push("COUNTRY_NOT_ALLOWED");
    const secondary = rules.txHash ? classMask(rules.secondaryClasses) : ANY_CLASS_MASK;
    const classes = venue ? secondary | classMask(rules.venueClasses) : secondary;
    const receiverClass = receiver?.investorClass ? CLASS_CODES[receiver.investorClass as InvestorClass] : 0;
    if ((classes & (1 << receiverClass)) === 0) chain.push("INVESTOR_CLASS_NOT_ALLOWED");
    if (rules.maxHolders && toBalance === 0n && amount < fromBalance && holderCount >= BigInt(rules.maxHolders)) {
      chain.push("HOLDER_LIMIT_REACHED");
    }
    if (rules.maxBalance && toBalance + amount > BigInt(rules.maxBalance)) chain.push("BALANCE_LIMIT_EXCEEDED");
  }

  const registry: RestrictionCode[] = [];
  for (const party of [sender, receiver]) {
    if (!party) continue;
    const problem = kycProblem(party.inv, at);
    if (problem) registry.push(party.inv.kycStatus === "VERIFIED" ? "KYC_EXPIRED" : "KYC_NOT_VERIFIED");
  }
  // The offering blocks a jurisdiction ("CN-SH") or a whole country ("KP").
  const jurisdiction = receiver?.inv.jurisdiction;
  if (jurisdiction && [jurisdiction, countryOfJurisdiction(jurisdiction)].some((j) => offering.blockedJurisdictions.includes(j))) {
    registry.push("JURISDICTION_BLOCKED");
  }
  if (p.venueId && (await venueLicenceProblem(ctx, p.venueId, at)) !== null) registry.push("VENUE_NOT_LICENSED");

  const reasons: TransferReason[] = [
    ...chain.map((code) => ({ code, message: RESTRICTION_MESSAGES[code], enforcedBy: "CHAIN" as const })),
    ...[...new Set(registry)].map((code) => ({ code, message: RESTRICTION_MESSAGES[code], enforcedBy: "REGISTRY" as const })),
  ];
  return { allowed: reasons.length === 0, chainAllowed: chain.length === 0, reasons, blockNumber: block.number, at };
}

export type TrancheHolder = {
  address: string;
  balance: bigint;
  finalBalance: bigint;
  investorId: string | null;
  country: string | null;
  investorClass: InvestorClass | null;
  lockedUntil: Date | null;
  frozen: boolean;
  frozenAmount: bigint;
};

/** Staff who may read a tranche's holders: the issuer's organization, compliance, admins. */
async function readableTranche(ctx: ServiceContext, trancheId: string) {
  const actor = requireActor(ctx);
  const { tranche, offering } = await getTranche(ctx.db, trancheId);
  if (!hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) requireSameOrganization(actor, offering.issuerOrgId, "offering");
  return { tranche, offering };
}

/**
 * The holders of a tranche as the indexer's cap table shows them (balance through the latest
 * indexed block, finalBalance past FINALITY_DEPTH), each with the lock-up, freeze and partial
 * freeze that bind them, and who they are in the registry.
 */
export async function trancheHolders(ctx: ServiceContext, trancheId: string): Promise<TrancheHolder[]> {
  const { tranche } = await readableTranche(ctx, trancheId);
  if (!tranche.tokenAddress) return [];
  const safeBlock = await safeBlockNumber(ctx.chain, await finalityDepthOf(ctx.db, ctx.chain.chainId));
  const holdings = (await queryHoldings(ctx.db, { chainId: ctx.chain.chainId, tokenAddress: tranche.tokenAddress, safeBlock })).filter(
    (h) => h.balance > 0n,
  );
  const [rules, listed, frozen, partial] = await Promise.all([
    getTransferRules(ctx, tranche.id),
    ctx.db.select().from(trancheWhitelist).where(eq(trancheWhitelist.trancheId, tranche.id)),
    ctx.db.select().from(frozenAddress).where(eq(frozenAddress.trancheId, tranche.id)),
    ctx.db.select().from(frozenTokens).where(eq(frozenTokens.trancheId, tranche.id)),
  ]);
  return holdings.map((h) => {
    const key = h.holder.toLowerCase();
    const entry = listed.find((l) => l.walletAddress.toLowerCase() === key);
    return {
      address: getAddress(h.holder),
      balance: h.balance,
      finalBalance: h.finalBalance,
      investorId: entry?.investorId ?? null,
      country: entry?.country ?? null,
      investorClass: entry?.investorClass ?? null,
      lockedUntil: rules.lockUntil,
      frozen: frozen.some((f) => f.address === key),
      frozenAmount: BigInt(partial.find((f) => f.address === key)?.amount ?? "0"),
    };
  });
}

/**
 * Holders with a non-zero balance in the indexed cap table; null for a caller who may not read
 * the holders (the count is not public: it reveals how widely an offering is held).
 */
export async function trancheHolderCount(
  ctx: ServiceContext,
  t: Pick<Tranche, "id" | "offeringId" | "tokenAddress">,
): Promise<number | null> {
  if (ctx.auth.kind !== "actor") return null;
  if (!hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) {
    const { offering } = await getTranche(ctx.db, t.id);
    if (offering.issuerOrgId !== ctx.auth.actor.organizationId) return null;
  }
  if (!t.tokenAddress) return 0;
  const safeBlock = await safeBlockNumber(ctx.chain, await finalityDepthOf(ctx.db, ctx.chain.chainId));
  const holdings = await queryHoldings(ctx.db, { chainId: ctx.chain.chainId, tokenAddress: t.tokenAddress, safeBlock });
  return holdings.filter((h) => h.balance > 0n).length;
}

export type HoldingTransfer = {
  txHash: string;
  blockNumber: bigint;
  logIndex: number;
  from: string;
  to: string;
  amount: bigint;
};

/** The indexed transfers in and out of one holding, oldest first. */
export async function holdingTransfers(ctx: ServiceContext, trancheId: string, holder: string): Promise<HoldingTransfer[]> {
  const { tranche } = await readableTranche(ctx, trancheId);
  const wallet = parseInput(addressSchema, holder);
  if (!tranche.tokenAddress) return [];
  const rows = await ctx.db
    .select()
    .from(chainEvent)
    .where(
      and(
        eq(chainEvent.chainId, ctx.chain.chainId),
        eq(chainEvent.contract, tranche.tokenAddress),
        eq(chainEvent.eventName, "Transfer"),
        eq(chainEvent.removed, false),
        or(eq(chainEvent.fromAddress, wallet), eq(chainEvent.toAddress, wallet)),
      ),
    )
    .orderBy(asc(chainEvent.blockNumber), asc(chainEvent.logIndex));
  return rows.map((r) => ({
    txHash: r.txHash,
    blockNumber: r.blockNumber,
    logIndex: r.logIndex,
    from: r.fromAddress ?? "",
    to: r.toAddress ?? "",
    amount: BigInt(r.value ?? "0"),
  }));
}
