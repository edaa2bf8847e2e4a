/**
 * The offering lifecycle, in one place. A move is legal only if it is listed here. Every move
 * is the issuer's (of the issuing organization) except REDEEMED, which the redemption flow makes
 * once every token is paid off (a later issue; the state is allowed now so data written then fits).
 */
import type { OfferingStatus } from "./table.js";

type Mover = "ISSUER" | "SYSTEM";

const TRANSITIONS: Record<OfferingStatus, Partial<Record<OfferingStatus, Mover>>> = {
  DRAFT: { OPEN: "ISSUER", CANCELLED: "ISSUER" },
  OPEN: { CLOSED: "ISSUER", CANCELLED: "ISSUER" },
  CLOSED: { MATURED: "ISSUER" },
  MATURED: { REDEEMED: "SYSTEM" },
  REDEEMED: {},
  CANCELLED: {},
};

/** Whether `from → to` is legal, and who makes it. */
export function offeringMover(from: OfferingStatus, to: OfferingStatus): Mover | undefined {
  return TRANSITIONS[from][to];
}
