import type { Database } from "./db/index.js";
import type { ChainClients } from "./chain/client.js";
import { rolesOf, type Actor, type Auth, type CallerRole, type InvestorSession } from "./auth/roles.js";
import { ForbiddenError, UnauthenticatedError } from "./errors.js";

/** What every service function receives: the database, the chain, who calls, and the clock. */
export type ServiceContext = {
  db: Database;
  chain: ChainClients;
  auth: Auth;
  /** The clock, injectable so tests control time instead of sleeping. */
  now(): Date;
  /** The domain wallets sign Sign-In with Ethereum messages for (SIWE_DOMAIN); "localhost" when unset. */
  siweDomain?: string;
  /** Signs an investor's session token (the edge holds the JWT secret and INVESTOR_SESSION_SECONDS); absent where nobody signs in (CLIs, workers). */
  issueInvestorToken?(session: InvestorSession): Promise<{ token: string; expiresAt: Date }>;
  /**
   * Nudges the in-process worker named `worker` ("mint", "settlement", "distribution": the
   * composition root maps names to workers) after work is enqueued; no name: every worker. A
   * no-op when none runs here.
   */
  wakeWorker(worker?: string): void;
};

/**
 * The caller, a member of an organization; `UnauthenticatedError` when there is none, and
 * `ForbiddenError` for a signed-in investor (who reaches only what names INVESTOR).
 */
export function requireActor(ctx: ServiceContext): Actor {
  if (ctx.auth.kind === "actor") return ctx.auth.actor;
  if (ctx.auth.kind === "investor") throw new ForbiddenError("investors may read only their own records");
  throw new UnauthenticatedError(ctx.auth.kind === "invalid" ? ctx.auth.reason : "authentication required");
}

export function hasRole(ctx: ServiceContext, ...roles: CallerRole[]): boolean {
  const held = rolesOf(ctx.auth);
  return roles.some((r) => held.includes(r));
}

/** The signed-in investor's id, or undefined for any other caller. */
export function investorIdOf(ctx: Pick<ServiceContext, "auth">): string | undefined {
  return ctx.auth.kind === "investor" ? ctx.auth.investor.investorId : undefined;
}

/** Writes are scoped to the caller's organization. */
export function requireSameOrganization(actor: Actor, organizationId: string, what: string): void {
  if (actor.organizationId !== organizationId) {
    throw new ForbiddenError(`${what} belongs to another organization`);
  }
}
