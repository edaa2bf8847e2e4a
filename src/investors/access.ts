/**
 * Who may read investor facts: an investor's identity, KYC state and expiry, class,
 * jurisdiction, wallet and eligibility are personal data, so only the roles that onboard
 * (ISSUER), verify (COMPLIANCE_OFFICER) or operate (ADMIN) read them, and a signed-in
 * INVESTOR reads their own. Investor identities are shared across issuers (one DID is
 * registered once), so the staff rule is by role, not by organization. Every field and
 * service that reveals investor facts applies this one rule; what belongs to an investor
 * (holdings, mint requests, later subscriptions and redemptions) follows it by investor id.
 */
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor } from "../context.js";
import type { Role } from "../auth/roles.js";
import { ForbiddenError, NotFoundError } from "../errors.js";

/** The staff roles that may read investor facts (also declared on the schema fields as their scope, with INVESTOR). */
export const INVESTOR_READERS = ["ISSUER", "COMPLIANCE_OFFICER", "ADMIN"] as const satisfies readonly Role[];

/** Whether the caller may read the facts of investor `investorId`: a staff reader, or that investor signed in. */
export function canReadInvestor(ctx: ServiceContext, investorId: string): boolean {
  if (ctx.auth.kind === "investor") return ctx.auth.investor.investorId === investorId;
  return hasRole(ctx, ...INVESTOR_READERS);
}

/**
 * Refuses a caller who may not read investor `investorId`: `UnauthenticatedError` without a
 * valid token, `ForbiddenError` for other staff roles — the same answers as the
 * `investor(id)` field's scope — and `NotFoundError` for a signed-in investor asking about
 * anyone else (another investor's existence is not revealed). Checked before the investor is
 * looked up, so a refused caller cannot tell an existing investor from a missing one.
 * @example requireInvestorReader(ctx, investorId); // then read the investor row
 */
export function requireInvestorReader(ctx: ServiceContext, investorId: string): void {
  if (ctx.auth.kind === "investor") {
    if (!canReadInvestor(ctx, investorId)) throw new NotFoundError("Investor", investorId);
    return;
  }
  requireActor(ctx);
  if (!hasRole(ctx, ...INVESTOR_READERS)) {
    throw new ForbiddenError("investor facts are readable only by issuers, compliance officers, operators and the investor");
  }
}
