/**
 * The product rules an offering must meet before it opens, as one pure function over its
 * tranches: the first rule broken, or null. Seniority ranks SENIOR > MEZZANINE > JUNIOR; a
 * tranche is "junior to" another when its rank is strictly lower. Sizes are compared in the
 * settlement currency (target size × price), so tranches of different prices weigh fairly.
 */
import { OfferingStructureError } from "./errors.js";
import { SENIORITIES, type offering, type tranche } from "./table.js";

type Tranche = Pick<typeof tranche.$inferSelect, "id" | "seniority" | "couponKind" | "couponBps" | "supplyCap" | "price" | "tokenAddress">;
type Offering = Pick<typeof offering.$inferSelect, "minSubordinationBps" | "opensAt" | "closesAt">;

const rank = (t: Tranche) => SENIORITIES.length - SENIORITIES.indexOf(t.seniority); // higher is more senior
const value = (t: Tranche) => BigInt(t.supplyCap) * BigInt(t.price);

export function structureProblem(o: Offering, tranches: Tranche[], now: Date): OfferingStructureError | null {
  if (tranches.length === 0) return new OfferingStructureError("AT_LEAST_ONE_TRANCHE", "an offering needs at least one tranche");
  const residual = tranches.filter((t) => t.couponKind === "RESIDUAL");
  if (tranches.length > 1) {
    if (residual.length !== 1) {
      return new OfferingStructureError(
        "ONE_RESIDUAL_TRANCHE",
        `a tranched offering has exactly one RESIDUAL (first-loss) tranche; it has ${residual.length}`,
      );
    }
    const r = residual[0]!;
    const notBelow = tranches.find((t) => t !== r && rank(t) <= rank(r));
    if (notBelow) {
      return new OfferingStructureError(
        "RESIDUAL_MOST_JUNIOR",
        `the RESIDUAL tranche (${r.seniority}) must rank below every other tranche; ${notBelow.id} is ${notBelow.seniority}`,
        r.id,
      );
    }
  }
  const fixed = tranches.filter((t) => t.couponKind === "FIXED");
  for (const senior of fixed) {
    const richerJunior = fixed.find((j) => rank(j) < rank(senior) && j.couponBps < senior.couponBps);
    if (richerJunior) {
      return new OfferingStructureError(
        "COUPON_ORDER",
        `${senior.seniority} tranche pays ${senior.couponBps} bps, more than the junior ${richerJunior.seniority} tranche's ${richerJunior.couponBps} bps`,
        senior.id,
      );
    }
  }
  const total = tranches.reduce((sum, t) => sum + value(t), 0n);
  for (const t of fixed) {
    const below = tranches.filter((j) => rank(j) < rank(t)).reduce((sum, j) => sum + value(j), 0n);
    // below / total >= minSubordinationBps / 10_000, in integers.
    if (below * 10_000n < BigInt(o.minSubordinationBps) * total) {
      const heldBps = total === 0n ? 0n : (below * 10_000n) / total;
      return new OfferingStructureError(
        "SUBORDINATION",
        `the tranches junior to the ${t.seniority} tranche hold ${heldBps} bps of the total target; the offering requires ${o.minSubordinationBps}`,
        t.id,
      );
    }
  }
  if (o.opensAt && o.closesAt && o.opensAt >= o.closesAt) {
    return new OfferingStructureError("SUBSCRIPTION_WINDOW", "opensAt must be before closesAt");
  }
  if (o.closesAt && o.closesAt <= now) {
    return new OfferingStructureError("SUBSCRIPTION_WINDOW", `the window closed at ${o.closesAt.toISOString()}`);
  }
  const undeployed = tranches.find((t) => !t.tokenAddress);
  if (undeployed) return new OfferingStructureError("TOKEN_DEPLOYED", `tranche ${undeployed.id} has no deployed token`, undeployed.id);
  return null;
}
