/**
 * The arithmetic of a revenue-rights passthrough, in integer base units only (no floats
 * anywhere): a period's revenue flows down the offering's tranche waterfall (management fee,
 * then each fixed tranche's arrears and coupon senior first, then the residual tranche), and a
 * tranche's share is split among its token holders pro rata to their balances, exact to the
 * base unit. Pure functions: the same inputs give the same payouts on every gateway replica.
 *
 * Where the base units rounding leaves go (the "dust" rule):
 * - coupons and the fee are rounded down (a holder is never promised a unit the formula does
 *   not owe); the units that rounding keeps back stay in `available` and flow to the residual
 *   tranche, whose holders own what is left by definition;
 * - a tranche's amount is split among its holders by largest remainder, so the holders of a
 *   tranche receive its amount exactly and no dust is left over at holder level;
 * - with no residual tranche, what the fixed tranches cannot absorb is `undistributed` (it
 *   stays in the treasury), never spread over tranches that are not owed it.
 */
import { accruedCoupon, allocate } from "../settlement/waterfall.js";

export type TrancheKind = "FIXED" | "RESIDUAL";

export type PeriodTranche = {
  key: string;
  /** 0 is the most senior; tranches of one rank share pro rata to what each is owed. */
  rank: number;
  /** FIXED: a coupon of `couponBps` a year on `principal`; RESIDUAL: what is left (at most one; no coupon, and paid last whatever its rank). */
  kind: TrancheKind;
  couponBps: number;
  principal: bigint;
  /** Coupon owed from earlier periods and not yet paid. */
  arrears: bigint;
};

export type PeriodInput = {
  /** The revenue of the period to distribute, in settlement-currency base units. */
  available: bigint;
  /** The manager's fee, in bps a year of the whole offering's outstanding principal. */
  managementFeeBps: number;
  outstandingPrincipal: bigint;
  /** Days in the period (actual/365, as the coupons). */
  days: bigint;
  /** Fee owed from earlier periods and not yet paid (0 if absent). */
  feeArrears?: bigint;
  tranches: PeriodTranche[];
};

export type TranchePayment = {
  key: string;
  /** The coupon for this period: principal × bps × days / (10 000 × 365), rounded down. */
  due: bigint;
  arrearsBefore: bigint;
  /** due + arrearsBefore. */
  owed: bigint;
  /** What the tranche receives for its coupon (arrears first, then this period's coupon). */
  paid: bigint;
  /** The part of `paid` that cleared arrears. */
  paidArrears: bigint;
  /** owed − paid: carried into the next period as `arrears`. */
  arrearsAfter: bigint;
  /** What the residual tranche receives (0 for a fixed tranche). */
  residual: bigint;
};

export type PeriodResult = {
  /** The fee paid this period (fee arrears first). */
  fee: bigint;
  /** The fee for this period plus fee arrears before: what the manager was owed. */
  feeOwed: bigint;
  /** feeOwed − fee: carried into the next period, paid before any tranche. */
  feeArrears: bigint;
  /** In the order given. */
  tranches: TranchePayment[];
  /** Paid to the residual tranche: what remains after the fee and every fixed tranche. */
  residual: bigint;
  /** What nobody is owed when the offering has no residual tranche (0 otherwise). */
  undistributed: bigint;
  /** fee + Σ paid + residual: everything paid out; total + undistributed === available. */
  total: bigint;
};

/**
 * Runs one period's revenue down the waterfall. The management fee comes first: the manager
 * runs the asset that earns the revenue, and an unpaid fee is carried as `feeArrears` and paid
 * before any tranche the next period (the fee takes all of a period too poor to pay it, and the
 * tranches get nothing). Then each fixed tranche, senior first, is paid what it is owed, arrears
 * before this period's coupon (a shortfall is never paid to a junior while a senior is owed from
 * an earlier period); tranches of one rank share a shortfall pro rata to what each is owed
 * (`allocate`). What is left goes to the residual tranche.
 * @example
 * periodWaterfall({ available: 1_000n, managementFeeBps: 0, outstandingPrincipal: 0n, days: 365n, tranches: [
 *   { key: "senior", rank: 0, kind: "FIXED", couponBps: 500, principal: 10_000n, arrears: 0n },
 *   { key: "junior", rank: 1, kind: "RESIDUAL", couponBps: 0, principal: 5_000n, arrears: 0n } ] })
 * // senior paid 500n, residual 500n
 */
export function periodWaterfall(input: PeriodInput): PeriodResult {
  const { available, managementFeeBps, outstandingPrincipal, days, tranches } = input;
  const feeArrearsBefore = input.feeArrears ?? 0n;
  if (available < 0n || outstandingPrincipal < 0n || days < 0n || feeArrearsBefore < 0n || managementFeeBps < 0) {
    throw new RangeError("periodWaterfall: amounts, days and bps must not be negative");
  }
  if (new Set(tranches.map((t) => t.key)).size !== tranches.length) throw new RangeError("periodWaterfall: tranche keys must be unique");
  const residuals = tranches.filter((t) => t.kind === "RESIDUAL");
  if (residuals.length > 1) throw new RangeError("periodWaterfall: at most one RESIDUAL tranche");
  const fixed = tranches.filter((t) => t.kind === "FIXED");
  for (const t of fixed) {
    if (t.principal < 0n || t.arrears < 0n || t.couponBps < 0)
      throw new RangeError(`periodWaterfall: tranche ${t.key} has a negative term`);
  }

  const feeOwed = accruedCoupon(outstandingPrincipal, managementFeeBps, days) + feeArrearsBefore;
  const fee = available < feeOwed ? available : feeOwed;
  const afterFee = available - fee;

  const dues = new Map(fixed.map((t) => [t.key, accruedCoupon(t.principal, t.couponBps, days)]));
  const paid = allocate(
    fixed.map((t) => ({ key: t.key, rank: t.rank, due: dues.get(t.key)! + t.arrears })),
    afterFee,
  );
  const paidFixed = [...paid.values()].reduce((sum, p) => sum + p, 0n);
  const rest = afterFee - paidFixed;
  const residual = residuals.length === 1 ? rest : 0n;

  const payments = tranches.map((t): TranchePayment => {
    if (t.kind === "RESIDUAL") {
      return { key: t.key, due: 0n, arrearsBefore: 0n, owed: 0n, paid: 0n, paidArrears: 0n, arrearsAfter: 0n, residual };
    }
    const due = dues.get(t.key)!;
    const owed = due + t.arrears;
    const p = paid.get(t.key)!;
    const paidArrears = p < t.arrears ? p : t.arrears;
    return { key: t.key, due, arrearsBefore: t.arrears, owed, paid: p, paidArrears, arrearsAfter: owed - p, residual: 0n };
  });
  return {
    fee,
    feeOwed,
    feeArrears: feeOwed - fee,
    tranches: payments,
    residual,
    undistributed: rest - residual,
    total: fee + paidFixed + residual,
  };
}

export type Holder = { key: string; balance: bigint };

/**
 * Splits `amount` among `holders` pro rata to their balances, exact to the base unit: each
 * gets amount × balance / Σ balance rounded down, and the base units that rounding leaves (fewer
 * than the number of holders) go one each to the largest remainders, ties to the holder given
 * first. The shares sum to `amount` exactly, so a tranche's holders receive the tranche's amount
 * and nothing is lost or invented; a zero balance gets 0. (Not `allocate`: that caps each claim
 * at its due, while a revenue share is not capped by the holder's token balance.)
 * @example proRata([{ key: "a", balance: 1n }, { key: "b", balance: 1n }, { key: "c", balance: 1n }], 100n) // a → 34n, b → 33n, c → 33n
 */
export function proRata(holders: Holder[], amount: bigint): Map<string, bigint> {
  if (amount < 0n) throw new RangeError("proRata: amount must not be negative");
  if (holders.some((h) => h.balance < 0n)) throw new RangeError("proRata: balances must not be negative");
  if (new Set(holders.map((h) => h.key)).size !== holders.length) throw new RangeError("proRata: holder keys must be unique");
  const supply = holders.reduce((sum, h) => sum + h.balance, 0n);
  const shares = new Map<string, bigint>(holders.map((h) => [h.key, 0n]));
  if (amount === 0n) return shares;
  if (supply === 0n) throw new RangeError("proRata: no holder has a balance to share an amount by");

  const exact = holders.map((h) => ({ key: h.key, share: (amount * h.balance) / supply, remainder: (amount * h.balance) % supply }));
  let rest = amount - exact.reduce((sum, e) => sum + e.share, 0n);
  // Array.prototype.sort is stable: equal remainders keep the order given. A zero balance has a
  // zero remainder and rest < number of positive remainders, so it never receives a unit.
  const byRemainder = [...exact].sort((x, y) => (y.remainder > x.remainder ? 1 : y.remainder < x.remainder ? -1 : 0));
  for (const e of byRemainder) {
    if (rest === 0n) break;
    e.share += 1n;
    rest -= 1n;
  }
  for (const e of exact) shares.set(e.key, e.share);
  return shares;
}
