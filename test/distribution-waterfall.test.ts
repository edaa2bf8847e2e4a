/**
 * The revenue waterfall of issue #15 on a senior / mezzanine / junior offering, period by period
 * (good, bad, recovery), with every figure written out by hand; then proRata's exactness and a
 * seeded property loop over random offerings checking the invariants (every base unit accounted
 * for, seniority kept, arrears carried, shares exact).
 */
import { describe, expect, it } from "vitest";
import { periodWaterfall, proRata, type PeriodInput, type PeriodResult, type PeriodTranche } from "../src/distribution/waterfall.js";

const E6 = 10n ** 6n;

/** 1 000 000 dUSD: senior 600 000 at 6 %, mezzanine 300 000 at 9 %, junior 100 000 takes the rest; fee 1 % a year; 90-day periods. */
function offering(available: bigint, arrears: { mezzanine?: bigint; senior?: bigint } = {}, feeArrears = 0n): PeriodInput {
  return {
    available,
    managementFeeBps: 100,
    outstandingPrincipal: 1_000_000n * E6,
    days: 90n,
    feeArrears,
    tranches: [
      { key: "senior", rank: 0, kind: "FIXED", couponBps: 600, principal: 600_000n * E6, arrears: arrears.senior ?? 0n },
      { key: "mezzanine", rank: 1, kind: "FIXED", couponBps: 900, principal: 300_000n * E6, arrears: arrears.mezzanine ?? 0n },
      { key: "junior", rank: 2, kind: "RESIDUAL", couponBps: 0, principal: 100_000n * E6, arrears: 0n },
    ],
  };
}

// By hand: 1 000 000e6 × 100 × 90 / 3 650 000, 600 000e6 × 600 × 90 / 3 650 000, 300 000e6 × 900 × 90 / 3 650 000, rounded down.
const FEE = 2_465_753_424n;
const SENIOR = 8_876_712_328n;
const MEZZANINE = 6_657_534_246n;

const byKey = (r: PeriodResult, key: string) => r.tranches.find((t) => t.key === key)!;
const accounted = (r: PeriodResult) => r.fee + r.tranches.reduce((s, t) => s + t.paid, 0n) + r.residual + r.undistributed;

describe("periodWaterfall: the issue's three periods", () => {
  it("good period: the fee and every coupon paid in full, the rest (with the rounding dust) to the junior tranche", () => {
    const r = periodWaterfall(offering(25_000n * E6));
    expect(r.fee).toBe(FEE);
    expect(r.feeArrears).toBe(0n);
    expect(byKey(r, "senior")).toEqual({
      key: "senior",
      due: SENIOR,
      arrearsBefore: 0n,
      owed: SENIOR,
      paid: SENIOR,
      paidArrears: 0n,
      arrearsAfter: 0n,
      residual: 0n,
    });
    expect(byKey(r, "mezzanine")).toMatchObject({ due: MEZZANINE, paid: MEZZANINE, arrearsAfter: 0n });
    // 25 000e6 − 17 999 999 998: the 2 base units the coupons and fee rounded away go to the junior holders.
    expect(r.residual).toBe(7_000_000_002n);
    expect(byKey(r, "junior").residual).toBe(7_000_000_002n);
    expect(r.undistributed).toBe(0n);
    expect(r.total).toBe(25_000n * E6);
    expect(accounted(r)).toBe(25_000n * E6);
  });

  it("bad period: the senior paid, the mezzanine short (the shortfall becomes arrears), the junior nothing", () => {
    const r = periodWaterfall(offering(12_000n * E6));
    expect(r.fee).toBe(FEE);
    expect(byKey(r, "senior").paid).toBe(SENIOR);
    const mezz = byKey(r, "mezzanine");
    expect(mezz.paid).toBe(12_000n * E6 - FEE - SENIOR);
    expect(mezz.paid).toBe(657_534_248n);
    expect(mezz.arrearsAfter).toBe(5_999_999_998n);
    expect(r.residual).toBe(0n);
    expect(byKey(r, "junior").residual).toBe(0n);
    expect(accounted(r)).toBe(12_000n * E6);
  });

  it("recovery: the mezzanine's arrears paid first, then this period's coupons, then the junior", () => {
    const r = periodWaterfall(offering(30_000n * E6, { mezzanine: 5_999_999_998n }));
    const mezz = byKey(r, "mezzanine");
    expect(mezz).toMatchObject({ due: MEZZANINE, arrearsBefore: 5_999_999_998n, owed: 12_657_534_244n, paid: 12_657_534_244n });
    expect(mezz.paidArrears).toBe(5_999_999_998n);
    expect(mezz.arrearsAfter).toBe(0n);
    expect(r.residual).toBe(30_000n * E6 - FEE - SENIOR - 12_657_534_244n);
    expect(r.residual).toBe(6_000_000_004n);
    expect(accounted(r)).toBe(30_000n * E6);
  });

  it("a partial recovery clears arrears before this period's coupon", () => {
    const r = periodWaterfall(offering(FEE + SENIOR + 1_000n, { mezzanine: 5_000n }));
    expect(byKey(r, "mezzanine")).toMatchObject({ paid: 1_000n, paidArrears: 1_000n, arrearsAfter: MEZZANINE + 4_000n });
    expect(r.residual).toBe(0n);
  });

  it("senior arrears rank before the mezzanine's coupon", () => {
    const r = periodWaterfall(offering(FEE + SENIOR + 700n, { senior: 1_000n }));
    // 1 000 arrears cleared first, then 8 876 711 328 of the 8 876 712 328 coupon: 300 short, carried.
    expect(byKey(r, "senior")).toMatchObject({ paid: SENIOR + 700n, paidArrears: 1_000n, arrearsAfter: 300n });
    expect(byKey(r, "mezzanine").paid).toBe(0n);
  });

  it("a period too poor for the fee: the fee takes it all, the shortfall is fee arrears paid first next period", () => {
    const poor = periodWaterfall(offering(1_000_000_000n));
    expect(poor.fee).toBe(1_000_000_000n);
    expect(poor.feeArrears).toBe(FEE - 1_000_000_000n);
    expect(byKey(poor, "senior")).toMatchObject({ paid: 0n, arrearsAfter: SENIOR });
    const next = periodWaterfall(offering(25_000n * E6, { senior: SENIOR, mezzanine: MEZZANINE }, poor.feeArrears));
    expect(next.fee).toBe(FEE + FEE - 1_000_000_000n);
    expect(byKey(next, "senior").paid).toBe(2n * SENIOR);
    expect(accounted(next)).toBe(25_000n * E6);
  });

  it("without a residual tranche what nobody is owed stays undistributed", () => {
    const input = offering(25_000n * E6);
    input.tranches = input.tranches.filter((t) => t.kind === "FIXED");
    const r = periodWaterfall(input);
    expect(r.residual).toBe(0n);
    expect(r.undistributed).toBe(25_000n * E6 - FEE - SENIOR - MEZZANINE);
    expect(r.total + r.undistributed).toBe(25_000n * E6);
  });

  it("tranches of one rank share a shortfall pro rata to what each is owed (largest remainder)", () => {
    const r = periodWaterfall({
      available: 100n,
      managementFeeBps: 0,
      outstandingPrincipal: 0n,
      days: 365n,
      tranches: [
        { key: "a", rank: 0, kind: "FIXED", couponBps: 10_000, principal: 100n, arrears: 0n },
        { key: "b", rank: 0, kind: "FIXED", couponBps: 10_000, principal: 100n, arrears: 0n },
        { key: "c", rank: 0, kind: "FIXED", couponBps: 10_000, principal: 100n, arrears: 0n },
      ],
    });
    expect(r.tranches.map((t) => t.paid)).toEqual([34n, 33n, 33n]);
    expect(r.tranches.map((t) => t.arrearsAfter)).toEqual([66n, 67n, 67n]);
  });

  it("refuses two residual tranches, duplicate keys and negative amounts", () => {
    const two = offering(1n);
    two.tranches.push({ key: "equity", rank: 3, kind: "RESIDUAL", couponBps: 0, principal: 1n, arrears: 0n });
    expect(() => periodWaterfall(two)).toThrow(RangeError);
    const dup = offering(1n);
    dup.tranches[1]!.key = "senior";
    expect(() => periodWaterfall(dup)).toThrow(RangeError);
    expect(() => periodWaterfall(offering(-1n))).toThrow(RangeError);
  });
});

describe("proRata", () => {
  it("three equal holders share 100 as 34 / 33 / 33 (ties to the order given)", () => {
    const shares = proRata(
      [
        { key: "a", balance: 5n * 10n ** 18n },
        { key: "b", balance: 5n * 10n ** 18n },
        { key: "c", balance: 5n * 10n ** 18n },
      ],
      100n,
    );
    expect([...shares.entries()]).toEqual([
      ["a", 34n],
      ["b", 33n],
      ["c", 33n],
    ]);
  });

  it("gives the leftover units to the largest remainders, never to a zero balance", () => {
    // 10 × 1/7 = 1.43, 10 × 2/7 = 2.86, 10 × 4/7 = 5.71: floors 1 + 2 + 5 = 8, the two left go to b (.86) and c (.71).
    const shares = proRata(
      [
        { key: "z", balance: 0n },
        { key: "a", balance: 1n },
        { key: "b", balance: 2n },
        { key: "c", balance: 4n },
      ],
      10n,
    );
    expect(Object.fromEntries(shares)).toEqual({ z: 0n, a: 1n, b: 3n, c: 6n });
  });

  it("is exact with awkward numbers: 18-decimal balances, a 6-decimal prime amount", () => {
    const holders = [1n, 3n, 7n, 11n, 13n, 17n].map((n, i) => ({ key: `h${i}`, balance: n * 10n ** 18n + BigInt(i) }));
    const amount = 1_000_000_007n;
    const shares = proRata(holders, amount);
    expect([...shares.values()].reduce((s, v) => s + v, 0n)).toBe(amount);
  });

  it("an amount larger than the total balance is still shared in full (not capped like allocate)", () => {
    expect(
      Object.fromEntries(
        proRata(
          [
            { key: "a", balance: 1n },
            { key: "b", balance: 2n },
          ],
          1_000n,
        ),
      ),
    ).toEqual({ a: 333n, b: 667n });
  });

  it("zero amount gives zeros; an amount with nobody holding refuses", () => {
    expect(Object.fromEntries(proRata([{ key: "a", balance: 0n }], 0n))).toEqual({ a: 0n });
    expect(() => proRata([{ key: "a", balance: 0n }], 1n)).toThrow(RangeError);
  });
});

/** A seeded 64-bit LCG (Knuth's MMIX constants): reproducible random bigints, no floats. */
function prng(seed: bigint) {
  let x = seed;
  const next = () => {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
    return x >> 16n;
  };
  return { below: (n: bigint) => (n === 0n ? 0n : next() % n) };
}

describe("invariants over random offerings (seeded)", () => {
  const rnd = prng(15n);

  it("every base unit is accounted for, seniority holds, arrears carry", () => {
    for (let run = 0; run < 500; run++) {
      const count = Number(rnd.below(5n)) + 1;
      const tranches: PeriodTranche[] = Array.from({ length: count }, (_, i) => ({
        key: `t${i}`,
        rank: Number(rnd.below(4n)),
        kind: "FIXED",
        couponBps: Number(rnd.below(2_000n)),
        principal: rnd.below(10n ** 12n),
        arrears: rnd.below(4n) === 0n ? rnd.below(10n ** 9n) : 0n,
      }));
      if (rnd.below(2n) === 0n) tranches.push({ key: "res", rank: 9, kind: "RESIDUAL", couponBps: 0, principal: 1n, arrears: 0n });
      const input: PeriodInput = {
        available: rnd.below(10n ** 11n),
        managementFeeBps: Number(rnd.below(300n)),
        outstandingPrincipal: rnd.below(10n ** 13n),
        days: rnd.below(400n),
        feeArrears: rnd.below(3n) === 0n ? rnd.below(10n ** 9n) : 0n,
        tranches,
      };
      const r = periodWaterfall(input);
      const paid = r.tranches.reduce((s, t) => s + t.paid, 0n);
      expect(r.fee + paid + r.residual).toBe(r.total);
      expect(r.total + r.undistributed).toBe(input.available);
      expect(r.fee + r.feeArrears).toBe(r.feeOwed);
      if (r.feeArrears > 0n) expect(paid + r.residual).toBe(0n);
      const hasResidual = tranches.some((t) => t.kind === "RESIDUAL");
      if (hasResidual) expect(r.undistributed).toBe(0n);
      for (const t of r.tranches) {
        expect(t.owed).toBe(t.due + t.arrearsBefore);
        expect(t.paid >= 0n && t.paid <= t.owed).toBe(true);
        expect(t.arrearsAfter).toBe(t.owed - t.paid);
        expect(t.paidArrears).toBe(t.paid < t.arrearsBefore ? t.paid : t.arrearsBefore);
      }
      // Seniority: a fixed tranche left owed means nothing reached any more junior rank, nor the residual.
      for (const short of tranches.filter((t) => t.kind === "FIXED" && r.tranches.find((p) => p.key === t.key)!.arrearsAfter > 0n)) {
        for (const junior of tranches.filter((t) => t.kind === "FIXED" && t.rank > short.rank)) {
          expect(r.tranches.find((p) => p.key === junior.key)!.paid).toBe(0n);
        }
        expect(r.residual).toBe(0n);
        expect(r.undistributed).toBe(0n);
      }
    }
  });

  it("proRata shares sum to the amount exactly and each is within one unit of the exact share", () => {
    for (let run = 0; run < 500; run++) {
      const holders = Array.from({ length: Number(rnd.below(40n)) + 1 }, (_, i) => ({
        key: `h${i}`,
        balance: rnd.below(3n) === 0n ? 0n : rnd.below(10n ** 24n),
      }));
      const supply = holders.reduce((s, h) => s + h.balance, 0n);
      if (supply === 0n) continue;
      const amount = rnd.below(10n ** 12n);
      const shares = proRata(holders, amount);
      expect([...shares.values()].reduce((s, v) => s + v, 0n)).toBe(amount);
      for (const h of holders) {
        const floor = (amount * h.balance) / supply;
        const share = shares.get(h.key)!;
        expect(share === floor || share === floor + 1n).toBe(true);
        if (h.balance === 0n) expect(share).toBe(0n);
      }
    }
  });
});
