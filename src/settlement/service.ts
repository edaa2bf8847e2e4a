/**
 * Subscriptions and redemptions settled by delivery versus payment (see docs/offerings.md):
 * a subscription pays the stablecoin from the investor's wallet to the issuer's treasury and
 * mints the tranche tokens to the investor in one transaction of the DvpSettlement contract;
 * a redemption burns tokens and pays principal plus accrued coupon from the treasury. The
 * services here check and record; the settlement worker (worker.ts) sends and settles.
 */
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, inArray, notInArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { erc20Abi, getAddress, parseSignature, type Address, type Hex } from "viem";
import type { ServiceContext } from "../context.js";
import { hasRole, investorIdOf, requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import type { Database, Transaction } from "../db/index.js";
import { baseUnitAmountSchema, parseInput, text, uuidSchema } from "../validation.js";
import { offering, SENIORITIES, tranche } from "../offerings/table.js";
import { OfferingNotOpenError, OfferingStateError } from "../offerings/errors.js";
import { auditedReport, evaluateMintSubject, loadMintSubject } from "../compliance/service.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { appendAuditEvent, appendAuditEvents, auditActor } from "../audit/service.js";
import { investor, trancheWhitelist } from "../investors/table.js";
import { mintRequest } from "../minting/table.js";
import { InsufficientBalanceError, SupplyCapExceededError } from "../minting/errors.js";
import {
  ensureSettlementContract,
  NO_PERMIT,
  PERMIT_ABI,
  SETTLEMENT_ERRORS_ABI,
  settlementId,
  treasuryFunds,
  type PermitArgs,
} from "../chain/settlement.js";
import { decodeRevert } from "../chain/revert.js";
import { simulateSignerCall } from "../chain/writes.js";
import type { ChainClients } from "../chain/client.js";
import {
  BelowMinimumTicketError,
  EarlyRedemptionNotAllowedError,
  SettlementKeyReusedError,
  SettlementNotConfiguredError,
  SettlementRefusedError,
  TreasuryInsufficientError,
} from "./errors.js";
import { accruedCoupon, allocate, daysBetween, exactCost, principalOf, type Claim } from "./waterfall.js";
import { redemption, SETTLEMENT_STATUSES, subscription, type StoredPermit } from "./table.js";

export type Subscription = typeof subscription.$inferSelect;
export type Redemption = typeof redemption.$inferSelect;
type OfferingRow = typeof offering.$inferSelect;
type TrancheRow = typeof tranche.$inferSelect;

/** Statuses whose amounts count against a tranche's supply cap (and an investor's balance). */
const LIVE = ["REQUESTED", "SUBMITTED", "CONFIRMED"] as const;
/** Open: recorded, not settled yet. */
const OPEN = ["REQUESTED", "SUBMITTED"] as const;

const permitSchema = z.object({
  value: baseUnitAmountSchema,
  deadline: z.string().regex(/^[0-9]{1,20}$/, "must be a unix time in seconds, as a decimal string"),
  signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/, "must be a 65-byte signature as 0x-prefixed hex"),
});

const requestSubscriptionSchema = z.object({
  idempotencyKey: text().trim().min(1, "must not be empty").max(200),
  trancheId: uuidSchema,
  investorId: uuidSchema,
  amount: baseUnitAmountSchema,
  permit: permitSchema.nullish(),
});
export type RequestSubscriptionParams = z.input<typeof requestSubscriptionSchema>;

const requestRedemptionSchema = z.object({
  idempotencyKey: text().trim().min(1, "must not be empty").max(200),
  trancheId: uuidSchema,
  investorId: uuidSchema,
  amount: baseUnitAmountSchema,
});
export type RequestRedemptionParams = z.input<typeof requestRedemptionSchema>;

/**
 * Who may act for an investor: the investor signed in (for themselves only; another investor's
 * id answers NotFound, revealing nothing) or an ISSUER of the offering's organization. Checked
 * before anything is read.
 */
function requireSelfOrIssuer(ctx: ServiceContext, investorId: string): void {
  if (ctx.auth.kind === "investor") {
    if (ctx.auth.investor.investorId !== investorId) throw new NotFoundError("Investor", investorId);
    return;
  }
  requireActor(ctx);
  if (!hasRole(ctx, "ISSUER")) throw new ForbiddenError("only the investor, signed in, or the offering's issuer may ask");
}

/** The issuer-side check, once the offering is known (an investor acting for themselves passes). */
function requireIssuerOf(ctx: ServiceContext, o: OfferingRow): void {
  if (ctx.auth.kind === "investor") return;
  requireSameOrganization(requireActor(ctx), o.issuerOrgId, "offering");
}

/** The settlement terms of an offering paid by DvP, or SettlementNotConfiguredError. */
export function settlementTerms(o: OfferingRow): { currency: Address; treasury: Address } {
  if (!o.settlementToken || !o.treasury) throw new SettlementNotConfiguredError(o.id);
  return { currency: o.settlementToken as Address, treasury: o.treasury as Address };
}

export function permitArgs(permit: StoredPermit | null): PermitArgs {
  if (!permit) return NO_PERMIT;
  return { value: BigInt(permit.value), deadline: BigInt(permit.deadline), v: permit.v, r: permit.r as Hex, s: permit.s as Hex };
}

/** What the contract gets for one subscription. */
export function subscriptionItem(s: Pick<Subscription, "id" | "wallet" | "amount" | "cost" | "permit">) {
  return {
    id: settlementId(s.id),
    investor: s.wallet as Address,
    amount: BigInt(s.amount),
    cost: BigInt(s.cost),
    permit: permitArgs(s.permit),
  };
}

export function redemptionItem(r: Pick<Redemption, "id" | "holder" | "amount" | "payout">) {
  return { id: settlementId(r.id), holder: r.holder as Address, amount: BigInt(r.amount), payout: BigInt(r.payout) };
}

/** Runs a settlement call against the chain's current state; answers the decoded reason when it would revert. */
export function simulateSettlement(
  chain: ChainClients,
  settlement: Address,
  call: { functionName: "subscribeBatch" | "redeemBatch"; args: readonly unknown[] },
): Promise<{ gas: bigint } | { reason: string }> {
  return simulateSignerCall(chain, { address: settlement, abi: SETTLEMENT_ERRORS_ABI, ...call });
}

async function findSubscription(db: Database, investorId: string, key: string) {
  const [row] = await db
    .select()
    .from(subscription)
    .where(and(eq(subscription.investorId, investorId), eq(subscription.idempotencyKey, key)));
  return row;
}

/** Rolls back an insert whose idempotency key another call took first. */
class KeyTakenError extends Error {}

/**
 * Token base units of the tranche recorded so far (mints and subscriptions not refused), read
 * under the tranche's row lock, which serializes every request against its supply cap. Mints
 * (requestMint) and subscriptions share the one cap, so both check it here.
 */
export async function lockTrancheSupply(tx: Transaction, trancheId: string): Promise<bigint> {
  // The lock first, on its own: statements sent together are not guaranteed to reach PostgreSQL
  // in the order they were started (see src/chain/writes.ts), and a sum read before the lock is
  // held could miss a concurrent request's row and let both past the cap.
  await tx.select({ id: tranche.id }).from(tranche).where(eq(tranche.id, trancheId)).for("update");
  const [[mints], [subs]] = await Promise.all([
    tx
      .select({ total: sql<string>`coalesce(sum(${mintRequest.amount}), 0)::text` })
      .from(mintRequest)
      .where(and(eq(mintRequest.trancheId, trancheId), notInArray(mintRequest.status, ["FAILED", "REVERTED"]))),
    tx
      .select({ total: sql<string>`coalesce(sum(${subscription.amount}), 0)::text` })
      .from(subscription)
      .where(and(eq(subscription.trancheId, trancheId), inArray(subscription.status, [...LIVE]))),
  ]);
  return BigInt(mints!.total) + BigInt(subs!.total);
}

/**
 * Requests a DvP subscription of `amount` tranche-token base units for an investor, paid with
 * `permit` (an EIP-2612 permit the investor's wallet signed for the settlement contract) or a
 * prior approve. Refused, with nothing recorded, unless compliance holds, the offering is OPEN
 * and in its window and settles by DvP, the amount meets the minimum ticket, costs a whole
 * number of settlement base units and fits the supply cap, and the chain would settle it now
 * (SettlementRefusedError with the decoded reason: ERC20InsufficientBalance,
 * ERC20InsufficientAllowance, ERC2612ExpiredSignature, EnforcedPause…). Returns REQUESTED;
 * the settlement worker pays and mints in one transaction. The same key from the same
 * investor returns the same subscription.
 */
export async function requestSubscription(ctx: ServiceContext, input: RequestSubscriptionParams): Promise<Subscription> {
  const params = parseInput(requestSubscriptionSchema, input);
  requireSelfOrIssuer(ctx, params.investorId);
  const [existing, subject] = await Promise.all([
    findSubscription(ctx.db, params.investorId, params.idempotencyKey),
    loadMintSubject(ctx.db, { trancheId: params.trancheId, investorId: params.investorId }),
  ]);
  const sameAs = (s: Subscription) => {
    const same = s.trancheId === params.trancheId && s.amount === params.amount;
    if (!same) throw new SettlementKeyReusedError(params.idempotencyKey, s.id);
    return s;
  };
  if (existing) return sameAs(existing);
  const { tranche: t, offering: o, investor: inv } = subject;
  if (!t || !o) throw new NotFoundError("Tranche", params.trancheId);
  requireIssuerOf(ctx, o);
  if (!inv) throw new NotFoundError("Investor", params.investorId);
  const now = ctx.now();
  const report = await evaluateMintSubject(ctx.db, subject, now);
  if (!report.holds) throw new ComplianceNotSatisfiedError(report.unmet);
  if (!t.tokenAddress) throw new ConflictError(`tranche ${t.id} has no deployed token yet`);
  const { currency, treasury } = settlementTerms(o);
  const inWindow = (!o.opensAt || o.opensAt <= now) && (!o.closesAt || now < o.closesAt);
  if (o.status !== "OPEN" || !inWindow) throw new OfferingNotOpenError(o.id, o.status, o.opensAt, o.closesAt);
  const amount = BigInt(params.amount);
  if (amount < BigInt(t.minimumTicket)) throw new BelowMinimumTicketError(t.minimumTicket, params.amount);
  const cost = exactCost(amount, BigInt(t.price));
  if (cost === undefined) {
    throw new ValidationError([
      { path: "amount", message: `amount × price (${t.price} per 10^18 base units) must be a whole number of settlement base units` },
    ]);
  }
  const permit = params.permit ? storedPermit(params.permit) : null;
  const wallet = getAddress(inv.walletAddress);
  const settlement = await ensureSettlementContract(ctx.chain);
  const id = randomUUID();
  if (permit) {
    // The permit alone first: the batch relays it inside try/catch, which would hide why it is refused.
    const p = permitArgs(permit);
    try {
      await ctx.chain.publicClient.simulateContract({
        address: currency,
        abi: [...PERMIT_ABI, ...SETTLEMENT_ERRORS_ABI],
        functionName: "permit",
        args: [wallet, settlement, p.value, p.deadline, p.v, p.r, p.s],
      } as any);
    } catch (error) {
      const reason = decodeRevert(error);
      if (!reason) throw error;
      throw new SettlementRefusedError(reason, "the stablecoin refuses the permit");
    }
  }
  const simulated = await simulateSettlement(ctx.chain, settlement, {
    functionName: "subscribeBatch",
    args: [t.tokenAddress, currency, treasury, [subscriptionItem({ id, wallet, amount: params.amount, cost: cost.toString(), permit })]],
  });
  if ("reason" in simulated) throw new SettlementRefusedError(simulated.reason, "the settlement would be refused on chain");

  const created = await ctx.db
    .transaction(async (tx) => {
      const supply = await lockTrancheSupply(tx, t.id);
      if (supply + amount > BigInt(t.supplyCap)) throw new SupplyCapExceededError(t.supplyCap, supply.toString(), params.amount);
      const [row] = await tx
        .insert(subscription)
        .values({
          id,
          idempotencyKey: params.idempotencyKey,
          requestedBy: auditActor(ctx).actor,
          offeringId: o.id,
          trancheId: t.id,
          investorId: inv.id,
          wallet,
          amount: params.amount,
          cost: cost.toString(),
          permit,
        })
        .onConflictDoNothing({ target: [subscription.investorId, subscription.idempotencyKey] })
        .returning();
      if (!row) throw new KeyTakenError();
      await appendAuditEvent(tx, {
        ...auditActor(ctx),
        action: "subscription.requested",
        entityType: "Subscription",
        entityId: row.id,
        payload: {
          offeringId: o.id,
          trancheId: t.id,
          tokenAddress: t.tokenAddress,
          investorId: inv.id,
          wallet,
          amount: row.amount,
          cost: row.cost,
          price: t.price,
          settlementToken: currency,
          treasury,
          settlementContract: settlement,
          paidWith: permit ? "PERMIT" : "ALLOWANCE",
          supply: { cap: t.supplyCap, requestedBefore: supply.toString() },
          compliance: auditedReport(report),
        },
      });
      return row;
    })
    .catch((error) => {
      if (error instanceof KeyTakenError) return undefined;
      throw error;
    });
  if (!created) return sameAs((await findSubscription(ctx.db, params.investorId, params.idempotencyKey))!);
  ctx.wakeWorker("settlement");
  return created;
}

function storedPermit(p: { value: string; deadline: string; signature: string }): StoredPermit {
  const { r, s, v, yParity } = parseSignature(p.signature as Hex);
  return { value: p.value, deadline: p.deadline, v: Number(v ?? BigInt(27 + (yParity ?? 0))), r, s };
}

async function balanceOf(chain: ChainClients, token: Address, holder: Address): Promise<bigint> {
  return chain.publicClient.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [holder] });
}

/** The coupon a fixed tranche's principal has accrued from the close of the offering to `until`. */
function couponOf(t: TrancheRow, o: OfferingRow, principal: bigint, until: Date): bigint {
  if (t.couponKind !== "FIXED" || !o.closedAt) return 0n;
  return accruedCoupon(principal, t.couponBps, daysBetween(o.closedAt, until));
}

/** Payouts still owed by the treasury for redemptions recorded and not settled (they share its funds). */
async function openPayouts(db: Database | Transaction, offeringId: string): Promise<bigint> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${redemption.payout}), 0)::text` })
    .from(redemption)
    .where(and(eq(redemption.offeringId, offeringId), inArray(redemption.status, [...OPEN])));
  return BigInt(row!.total);
}

/**
 * An early redemption, before maturity, of a tranche that allows it: `amount` tokens burned
 * against principal plus the coupon accrued so far, paid by the treasury in full (refused with
 * TreasuryInsufficientError otherwise: an early exit never takes a shortfall). The investor
 * themself or the issuer asks; the same key returns the same redemption.
 */
export async function requestRedemption(ctx: ServiceContext, input: RequestRedemptionParams): Promise<Redemption> {
  const params = parseInput(requestRedemptionSchema, input);
  requireSelfOrIssuer(ctx, params.investorId);
  const [[existing], [row], [inv]] = await Promise.all([
    ctx.db
      .select()
      .from(redemption)
      .where(and(eq(redemption.investorId, params.investorId), eq(redemption.idempotencyKey, params.idempotencyKey))),
    ctx.db
      .select({ tranche, offering })
      .from(tranche)
      .innerJoin(offering, eq(offering.id, tranche.offeringId))
      .where(eq(tranche.id, params.trancheId)),
    ctx.db.select().from(investor).where(eq(investor.id, params.investorId)),
  ]);
  const sameAs = (r: Redemption) => {
    if (r.trancheId !== params.trancheId || r.amount !== params.amount) throw new SettlementKeyReusedError(params.idempotencyKey, r.id);
    return r;
  };
  if (existing) return sameAs(existing);
  if (!row) throw new NotFoundError("Tranche", params.trancheId);
  const { tranche: t, offering: o } = row;
  requireIssuerOf(ctx, o);
  if (!inv) throw new NotFoundError("Investor", params.investorId);
  if (!t.earlyRedemption) throw new EarlyRedemptionNotAllowedError(t.id);
  if (o.status !== "OPEN" && o.status !== "CLOSED") throw new OfferingStateError(o.id, o.status, "REDEEM_EARLY");
  const { currency, treasury } = settlementTerms(o);
  if (!t.tokenAddress) throw new ConflictError(`tranche ${t.id} has no deployed token yet`);
  const holder = getAddress(inv.walletAddress);
  const amount = BigInt(params.amount);
  const now = ctx.now();
  const principal = principalOf(amount, BigInt(t.price));
  const coupon = couponOf(t, o, principal, now);
  const due = principal + coupon;
  const settlement = await ensureSettlementContract(ctx.chain);
  const [balance, funds] = await Promise.all([
    balanceOf(ctx.chain, t.tokenAddress as Address, holder),
    treasuryFunds(ctx.chain, currency, treasury, settlement),
  ]);
  const id = randomUUID();
  const created = await ctx.db
    .transaction(async (tx) => {
      // The tranche lock serializes redemptions of one tranche: two cannot both count the same tokens.
      // Taken on its own first: the reads below must run under it (see lockTrancheSupply).
      await tx.select({ id: tranche.id }).from(tranche).where(eq(tranche.id, t.id)).for("update");
      const [[pending], owed] = await Promise.all([
        tx
          .select({ total: sql<string>`coalesce(sum(${redemption.amount}), 0)::text` })
          .from(redemption)
          .where(and(eq(redemption.trancheId, t.id), eq(redemption.holder, holder), inArray(redemption.status, [...OPEN]))),
        openPayouts(tx, o.id),
      ]);
      const free = balance - BigInt(pending!.total);
      if (amount > free) throw new InsufficientBalanceError(holder, free.toString(), params.amount);
      if (funds.payable - owed < due) throw new TreasuryInsufficientError(due.toString(), (funds.payable - owed).toString());
      const simulated = await simulateSettlement(ctx.chain, settlement, {
        functionName: "redeemBatch",
        args: [t.tokenAddress, currency, treasury, [redemptionItem({ id, holder, amount: params.amount, payout: due.toString() })]],
      });
      if ("reason" in simulated) throw new SettlementRefusedError(simulated.reason, "the redemption would be refused on chain");
      const [created] = await tx
        .insert(redemption)
        .values({
          id,
          kind: "EARLY",
          idempotencyKey: params.idempotencyKey,
          requestedBy: auditActor(ctx).actor,
          offeringId: o.id,
          trancheId: t.id,
          investorId: inv.id,
          holder,
          amount: params.amount,
          principal: principal.toString(),
          coupon: coupon.toString(),
          due: due.toString(),
          payout: due.toString(),
          shortfall: "0",
        })
        .onConflictDoNothing({ target: [redemption.investorId, redemption.idempotencyKey] })
        .returning();
      if (!created) throw new KeyTakenError();
      await appendAuditEvent(tx, {
        ...auditActor(ctx),
        action: "redemption.requested",
        entityType: "Redemption",
        entityId: created.id,
        payload: {
          kind: "EARLY",
          offeringId: o.id,
          trancheId: t.id,
          investorId: inv.id,
          holder,
          amount: params.amount,
          principal: created.principal,
          coupon: created.coupon,
          due: created.due,
          treasury,
          treasuryPayable: funds.payable.toString(),
        },
      });
      return created;
    })
    .catch((error) => {
      if (error instanceof KeyTakenError) return undefined;
      throw error;
    });
  if (!created) {
    const [winner] = await ctx.db
      .select()
      .from(redemption)
      .where(and(eq(redemption.investorId, params.investorId), eq(redemption.idempotencyKey, params.idempotencyKey)));
    return sameAs(winner!);
  }
  ctx.wakeWorker("settlement");
  return created;
}

/** Every wallet that may hold a tranche's tokens, with its investor: whitelisted ones and those that received tokens. */
async function knownHolders(db: Database, trancheId: string): Promise<Map<string, string>> {
  const [listed, subscribed, minted] = await Promise.all([
    db
      .select({ wallet: trancheWhitelist.walletAddress, investorId: trancheWhitelist.investorId })
      .from(trancheWhitelist)
      .where(eq(trancheWhitelist.trancheId, trancheId)),
    db
      .selectDistinct({ wallet: subscription.wallet, investorId: subscription.investorId })
      .from(subscription)
      .where(and(eq(subscription.trancheId, trancheId), eq(subscription.status, "CONFIRMED"))),
    db
      .selectDistinct({ wallet: mintRequest.recipient, investorId: mintRequest.investorId })
      .from(mintRequest)
      .where(and(eq(mintRequest.trancheId, trancheId), eq(mintRequest.status, "CONFIRMED"))),
  ]);
  const holders = new Map<string, string>();
  for (const h of [...listed, ...subscribed, ...minted]) holders.set(getAddress(h.wallet), h.investorId);
  return holders;
}

/**
 * Plans the maturity redemption of a MATURED offering (ISSUER): every holder's tokens, read
 * from the chain, are to be burned against principal plus the fixed coupon accrued from the
 * close to the tranche's maturity date. The treasury pays what it can (its balance, capped by
 * what it allowed the settlement contract): senior before mezzanine before junior, pro rata
 * within a tranche; the shortfall is recorded per holder. A treasury that can pay nothing at all
 * is refused (TreasuryInsufficientError): fund or approve it first. Planned once; the settlement worker
 * sends one redeemBatch per tranche, and the offering is REDEEMED once every one is confirmed.
 */
export async function redeemOffering(ctx: ServiceContext, input: { offeringId: string }): Promise<OfferingRow> {
  const actor = requireActor(ctx);
  const offeringId = parseInput(uuidSchema, input.offeringId);
  const [o] = await ctx.db.select().from(offering).where(eq(offering.id, offeringId));
  if (!o) throw new NotFoundError("Offering", input.offeringId);
  requireSameOrganization(actor, o.issuerOrgId, "offering");
  if (o.status !== "MATURED") throw new OfferingStateError(o.id, o.status, "REDEEM");
  if (o.redemptionPlannedAt) return o;
  const { currency, treasury } = settlementTerms(o);
  const tranches = await ctx.db.select().from(tranche).where(eq(tranche.offeringId, o.id));
  const settlement = await ensureSettlementContract(ctx.chain);
  type Line = { key: string; t: TrancheRow; holder: Address; investorId: string; amount: bigint; principal: bigint; coupon: bigint };
  const lines: Line[] = [];
  for (const t of tranches) {
    if (!t.tokenAddress) continue;
    const holders = await knownHolders(ctx.db, t.id);
    const balances = await Promise.all([...holders.keys()].map((h) => balanceOf(ctx.chain, t.tokenAddress as Address, h as Address)));
    [...holders.entries()].forEach(([holder, investorId], i) => {
      const amount = balances[i]!;
      if (amount === 0n) return;
      const principal = principalOf(amount, BigInt(t.price));
      const coupon = couponOf(t, o, principal, t.maturityDate ?? ctx.now());
      lines.push({ key: `${t.id}:${holder}`, t, holder: holder as Address, investorId, amount, principal, coupon });
    });
  }
  const funds = await treasuryFunds(ctx.chain, currency, treasury, settlement);
  const available = funds.payable - (await openPayouts(ctx.db, o.id));
  const claims: Claim[] = lines.map((l) => ({ key: l.key, rank: SENIORITIES.indexOf(l.t.seniority), due: l.principal + l.coupon }));
  const totalDue = claims.reduce((sum, c) => sum + c.due, 0n);
  // Burning every holder's tokens against nothing is never what an issuer means: fund or approve first.
  if (totalDue > 0n && available <= 0n) throw new TreasuryInsufficientError(totalDue.toString(), "0");
  const paid = allocate(claims, available);
  const planned = await ctx.db.transaction(async (tx) => {
    // Once: the first plan wins; a second call (or a racing one) changes nothing.
    const [moved] = await tx
      .update(offering)
      .set({ redemptionPlannedAt: ctx.now() })
      .where(and(eq(offering.id, o.id), eq(offering.status, "MATURED"), sql`${offering.redemptionPlannedAt} is null`))
      .returning();
    if (!moved) return undefined;
    const rows = lines.map((l) => {
      const due = l.principal + l.coupon;
      const payout = paid.get(l.key)!;
      return {
        kind: "MATURITY" as const,
        requestedBy: auditActor(ctx).actor,
        offeringId: o.id,
        trancheId: l.t.id,
        investorId: l.investorId,
        holder: l.holder,
        amount: l.amount.toString(),
        principal: l.principal.toString(),
        coupon: l.coupon.toString(),
        due: due.toString(),
        payout: payout.toString(),
        shortfall: (due - payout).toString(),
      };
    });
    const inserted = rows.length > 0 ? await tx.insert(redemption).values(rows).returning() : [];
    const perTranche = tranches.map((t) => {
      const mine = inserted.filter((r) => r.trancheId === t.id);
      const sum = (f: "due" | "payout" | "shortfall") => mine.reduce((s, r) => s + BigInt(r[f]), 0n).toString();
      return {
        trancheId: t.id,
        seniority: t.seniority,
        holders: mine.length,
        due: sum("due"),
        payout: sum("payout"),
        shortfall: sum("shortfall"),
      };
    });
    // Nothing outstanding (no holder has tokens): redeemed at once.
    const final =
      inserted.length > 0 ? moved : (await tx.update(offering).set({ status: "REDEEMED" }).where(eq(offering.id, o.id)).returning())[0]!;
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "offering.redemption_planned",
      entityType: "Offering",
      entityId: o.id,
      payload: {
        treasury,
        treasuryBalance: funds.balance.toString(),
        treasuryAllowance: funds.allowance.toString(),
        available: available.toString(),
        tranches: perTranche,
      },
    });
    return final!;
  });
  ctx.wakeWorker("settlement");
  if (!planned) {
    const [now] = await ctx.db.select().from(offering).where(eq(offering.id, o.id));
    return now!;
  }
  return planned;
}

/**
 * Records a refund (burn the tokens, pay the cost back from the treasury) for every CONFIRMED
 * subscription of a CANCELLED offering that has none yet: at most one per subscription (unique
 * subscription_id). Runs in the cancelling transaction, and in the settlement of a subscription
 * batch that confirms after the cancel.
 */
export async function recordRefunds(tx: Transaction, offeringId: string, subscriptionIds?: string[]): Promise<Redemption[]> {
  const paid = await tx
    .select()
    .from(subscription)
    .where(
      and(
        eq(subscription.offeringId, offeringId),
        eq(subscription.status, "CONFIRMED"),
        subscriptionIds ? inArray(subscription.id, subscriptionIds) : undefined,
      ),
    );
  if (paid.length === 0) return [];
  const refunds = await tx
    .insert(redemption)
    .values(
      paid.map((s) => ({
        kind: "REFUND" as const,
        requestedBy: "SYSTEM",
        offeringId,
        trancheId: s.trancheId,
        investorId: s.investorId,
        holder: s.wallet,
        subscriptionId: s.id,
        amount: s.amount,
        principal: s.cost,
        coupon: "0",
        due: s.cost,
        payout: s.cost,
        shortfall: "0",
      })),
    )
    .onConflictDoNothing({ target: redemption.subscriptionId })
    .returning();
  await appendAuditEvents(
    tx,
    refunds.map((r) => ({
      actor: "SYSTEM",
      action: "redemption.requested",
      entityType: "Redemption",
      entityId: r.id,
      payload: {
        kind: "REFUND",
        offeringId,
        trancheId: r.trancheId,
        investorId: r.investorId,
        holder: r.holder,
        subscriptionId: r.subscriptionId,
        amount: r.amount,
        payout: r.payout,
      },
    })),
  );
  return refunds;
}

/** Subscriptions of a cancelled offering never sent: FAILED, nothing paid. */
export async function failUnsentSubscriptions(tx: Transaction, offeringId: string, code: string, message: string): Promise<void> {
  const failed = await tx
    .update(subscription)
    .set({ status: "FAILED", errorCode: code, errorMessage: message, updatedAt: new Date() })
    .where(and(eq(subscription.offeringId, offeringId), eq(subscription.status, "REQUESTED"), sql`${subscription.batchId} is null`))
    .returning({ id: subscription.id, investorId: subscription.investorId });
  await appendAuditEvents(
    tx,
    failed.map((s) => ({
      actor: "SYSTEM",
      action: "subscription.failed",
      entityType: "Subscription",
      entityId: s.id,
      payload: { offeringId, errorCode: code, onChain: false },
    })),
  );
}

/** The subscriptions a caller reads: an investor their own; compliance and operators all; an issuer its offerings'. */
function readableSubscriptions(ctx: ServiceContext): SQL | undefined {
  const investorId = investorIdOf(ctx);
  if (investorId) return eq(subscription.investorId, investorId);
  const actor = requireActor(ctx);
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return undefined;
  return inArray(
    subscription.offeringId,
    sql`(select ${offering.id} from ${offering} where ${offering.issuerOrgId} = ${actor.organizationId})`,
  );
}

function readableRedemptions(ctx: ServiceContext): SQL | undefined {
  const investorId = investorIdOf(ctx);
  if (investorId) return eq(redemption.investorId, investorId);
  const actor = requireActor(ctx);
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return undefined;
  return inArray(
    redemption.offeringId,
    sql`(select ${offering.id} from ${offering} where ${offering.issuerOrgId} = ${actor.organizationId})`,
  );
}

export async function getSubscription(ctx: ServiceContext, id: string): Promise<Subscription> {
  const readable = readableSubscriptions(ctx);
  const subscriptionId = parseInput(uuidSchema, id);
  const [row] = await ctx.db
    .select()
    .from(subscription)
    .where(and(eq(subscription.id, subscriptionId), readable));
  if (!row) throw new NotFoundError("Subscription", id);
  return row;
}

export async function getRedemption(ctx: ServiceContext, id: string): Promise<Redemption> {
  const readable = readableRedemptions(ctx);
  const redemptionId = parseInput(uuidSchema, id);
  const [row] = await ctx.db
    .select()
    .from(redemption)
    .where(and(eq(redemption.id, redemptionId), readable));
  if (!row) throw new NotFoundError("Redemption", id);
  return row;
}

const listSchema = z.object({
  offeringId: uuidSchema.nullish(),
  trancheId: uuidSchema.nullish(),
  investorId: uuidSchema.nullish(),
  status: z.enum(SETTLEMENT_STATUSES).nullish(),
  first: z.number().int().min(1, "must be at least 1").max(500, "must be at most 500").default(100),
});
export type SettlementFilter = z.input<typeof listSchema>;

/** The subscriptions the caller may read, newest first, filtered (at most 500). */
export async function listSubscriptions(ctx: ServiceContext, input: SettlementFilter): Promise<Subscription[]> {
  const readable = readableSubscriptions(ctx);
  const f = parseInput(listSchema, input);
  return ctx.db
    .select()
    .from(subscription)
    .where(
      and(
        readable,
        f.offeringId ? eq(subscription.offeringId, f.offeringId) : undefined,
        f.trancheId ? eq(subscription.trancheId, f.trancheId) : undefined,
        f.investorId ? eq(subscription.investorId, f.investorId) : undefined,
        f.status ? eq(subscription.status, f.status) : undefined,
      ),
    )
    .orderBy(desc(subscription.createdAt), asc(subscription.id))
    .limit(f.first);
}

/** The redemptions (early, maturity, refunds) the caller may read, newest first, filtered (at most 500). */
export async function listRedemptions(ctx: ServiceContext, input: SettlementFilter): Promise<Redemption[]> {
  const readable = readableRedemptions(ctx);
  const f = parseInput(listSchema, input);
  return ctx.db
    .select()
    .from(redemption)
    .where(
      and(
        readable,
        f.offeringId ? eq(redemption.offeringId, f.offeringId) : undefined,
        f.trancheId ? eq(redemption.trancheId, f.trancheId) : undefined,
        f.investorId ? eq(redemption.investorId, f.investorId) : undefined,
        f.status ? eq(redemption.status, f.status) : undefined,
      ),
    )
    .orderBy(desc(redemption.createdAt), asc(redemption.id))
    .limit(f.first);
}

/** The shortfall of an offering's maturity redemption (what the treasury could not pay), in settlement base units. */
export async function redemptionShortfall(db: Database, offeringId: string): Promise<string> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${redemption.shortfall}), 0)::text` })
    .from(redemption)
    .where(and(eq(redemption.offeringId, offeringId), eq(redemption.kind, "MATURITY")));
  return row!.total;
}
