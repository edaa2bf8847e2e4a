import type { Database } from "./db/index.js";
import type { ChainClients } from "./chain/client.js";
import type { Actor, Auth, Role } from "./auth/roles.js";
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
  /** Nudges the in-process mint worker after a job is enqueued (a no-op when none runs here). */
  wakeWorker(): void;
};

/** The caller, or an `UnauthenticatedError` when there is none. */
export function requireActor(ctx: ServiceContext): Actor {
  if (ctx.auth.kind === "actor") return ctx.auth.actor;
  throw new UnauthenticatedError(ctx.auth.kind === "invalid" ? ctx.auth.reason : "authentication required");
}

export function hasRole(ctx: ServiceContext, ...roles: Role[]): boolean {
  return ctx.auth.kind === "actor" && roles.some((r) => (ctx.auth as { actor: Actor }).actor.roles.includes(r));
}

/** Writes are scoped to the caller's organization. */
export function requireSameOrganization(actor: Actor, organizationId: string, what: string): void {
  if (actor.organizationId !== organizationId) {
    throw new ForbiddenError(`${what} belongs to another organization`);
  }
}
