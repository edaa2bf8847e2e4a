/**
 * The arithmetic of settlement, in integer base units only (no floats anywhere):
 * what a number of tokens costs, the coupon a fixed tranche accrues (actual/365), and how a
 * treasury that cannot pay everything is shared out (senior first, pro rata within a tranche,
 * largest remainder for the last base units).
 */

/** Token base units per whole token: tranche tokens have 18 decimals. */
export const TOKEN_UNIT = 10n ** 18n;
const DAY_MS = 86_400_000;

/** Settlement-currency base units for `amount` token base units at `price` per whole token, if exact. */
export function exactCost(amount: bigint, price: bigint): bigint | undefined {
  const product = amount * price;
  return product % TOKEN_UNIT === 0n ? product / TOKEN_UNIT : undefined;
}

/** The principal `amount` tokens stand for (rounded down: a holder of a fraction bought elsewhere gets no more than it is worth). */
export function principalOf(amount: bigint, price: bigint): bigint {
  return (amount * price) / TOKEN_UNIT;
}

/** Whole days from `from` to `to` (0 when `to` is earlier). */
export function daysBetween(from: Date, to: Date): bigint {
  return BigInt(Math.max(0, Math.floor((to.getTime() - from.getTime()) / DAY_MS)));
}

/** A fixed coupon of `bps` a year on `principal` over `days`, actual/365, rounded down. */
export function accruedCoupon(principal: bigint, bps: number, days: bigint): bigint {
  return (principal * BigInt(bps) * days) / (10_000n * 365n);
}

export type Claim = { key: string; rank: number; due: bigint };

/**
 * Shares `available` among the claims: every claim of the most senior rank is paid in full
 * before the next rank gets anything; the rank the money runs out in is paid pro rata to its
 * dues, the base units rounding leaves over going one each to the largest remainders (ties: the
 * order given). The payouts never exceed the dues, and sum to min(available, total due) exactly.
 * @example allocate([{ key: "a", rank: 0, due: 10n }, { key: "b", rank: 1, due: 10n }], 15n) // a → 10n, b → 5n
 */
export function allocate(claims: Claim[], available: bigint): Map<string, bigint> {
  const paid = new Map<string, bigint>(claims.map((c) => [c.key, 0n]));
  let left = available < 0n ? 0n : available;
  const ranks = [...new Set(claims.map((c) => c.rank))].sort((a, b) => a - b);
  for (const rank of ranks) {
    const group = claims.filter((c) => c.rank === rank);
    const due = group.reduce((sum, c) => sum + c.due, 0n);
    if (left >= due) {
      for (const c of group) paid.set(c.key, c.due);
      left -= due;
      continue;
    }
    if (left === 0n) break;
    const shares = group.map((c) => ({ c, pay: (left * c.due) / due, remainder: (left * c.due) % due }));
    let rest = left - shares.reduce((sum, s) => sum + s.pay, 0n);
    const byRemainder = [...shares].sort((x, y) => (y.remainder > x.remainder ? 1 : y.remainder < x.remainder ? -1 : 0));
    for (const s of byRemainder) {
      if (rest === 0n) break;
      if (s.pay < s.c.due) {
        s.pay += 1n;
        rest -= 1n;
      }
    }
    for (const s of shares) paid.set(s.c.key, s.pay);
    left = 0n;
    break;
  }
  return paid;
}
