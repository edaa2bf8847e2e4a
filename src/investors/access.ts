/**
 * Who may read investor facts: an investor's identity, KYC state and expiry, class,
 * jurisdiction, wallet and eligibility are personal data, so only the roles that onboard
 * (ISSUER), verify (COMPLIANCE_OFFICER) or operate (ADMIN) read them. Investor identities are
 * shared across issuers (one DID is registered once), so the rule is by role, not by
 * organization. Every field and service that reveals investor facts applies this one rule.
 */
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor } from "../context.js";
import type { Role } from "../auth/roles.js";
import { ForbiddenError } from "../errors.js";

/** The roles that may read investor facts (also declared on the schema fields as their scope). */
export const INVESTOR_READERS = ["ISSUER", "COMPLIANCE_OFFICER", "ADMIN"] as const satisfies readonly Role[];

/** Whether the caller may read investor facts. */
export function canReadInvestor(ctx: ServiceContext): boolean {
  return hasRole(ctx, ...INVESTOR_READERS);
}

/**
 * Refuses a caller who may not read investor facts: `UnauthenticatedError` without a valid
 * token, `ForbiddenError` for other roles — the same answers as the `investor(id)` field's
 * scope. Checked before the investor is looked up, so a refused caller cannot tell an
 * existing investor from a missing one.
 * @example requireInvestorReader(ctx); // then read the investor row
 */
export function requireInvestorReader(ctx: ServiceContext): void {
  requireActor(ctx);
  if (!canReadInvestor(ctx)) throw new ForbiddenError("investor facts are readable only by issuers, compliance officers and operators");
}
