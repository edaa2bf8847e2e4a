/**
 * The one place a request context is built, for every entry point: HTTP /graphql, the
 * graphql-ws server, POST /lineage/openlineage, POST /webhooks/chain and the CLIs. Each used
 * to assemble its own and they drifted apart (the WebSocket and OpenLineage ones lost
 * `siweDomain`); now a transport only says who calls.
 */
import { randomUUID } from "node:crypto";
import { authenticate, issueInvestorToken } from "../auth/jwt.js";
import type { Actor, Auth, InvestorSession } from "../auth/roles.js";
import type { Database } from "../db/index.js";
import { DEFAULTS } from "../config.js";

/** Who calls: an Authorization header value (HTTP header, graphql-ws connectionParams), or an actor a CLI vouches for. */
export type Caller = { authorization: string | null | undefined } | { actor: Actor };

/**
 * What every context shares: the database, and whatever else the entry point has (chain,
 * change feed, siweDomain…), passed through unchanged. `jwtSecret` verifies callers and signs
 * investor sessions, and is not passed on.
 */
export type ContextSettings = {
  db: Database;
  jwtSecret: string;
  /** The clock; tests inject one. */
  now?: () => Date;
  /** Nudges an in-process mint worker; a no-op where none runs (CLIs, webhooks). */
  wakeWorker?: (worker?: string) => void;
  /** How long an investor's session token is valid (config INVESTOR_SESSION_SECONDS). */
  investorSessionSeconds?: number;
};

export type RequestContext<S extends ContextSettings> = Omit<S, "jwtSecret" | "now" | "wakeWorker" | "investorSessionSeconds"> & {
  auth: Auth;
  now(): Date;
  wakeWorker(worker?: string): void;
  /** Signs a session token for an investor who signed in (signInWithEthereum), on this context's clock. */
  issueInvestorToken(session: InvestorSession): Promise<{ token: string; expiresAt: Date }>;
  /** Logged with every line of this request and answered as `x-request-id`. */
  requestId: string;
};

/**
 * Makes the context factory of one process.
 * @example
 * const contextFor = createContextFactory({ db, chain, changes, jwtSecret, siweDomain, wakeWorker });
 * const ctx = await contextFor({ authorization: req.headers.authorization }, requestId);
 */
export function createContextFactory<S extends ContextSettings>(
  settings: S,
): (caller: Caller, requestId?: string) => Promise<RequestContext<S>> {
  const {
    jwtSecret,
    now = () => new Date(),
    wakeWorker = () => {},
    investorSessionSeconds = DEFAULTS.investorSessionSeconds,
    ...shared
  } = settings;
  const signInvestor = (session: InvestorSession) => issueInvestorToken(jwtSecret, session, investorSessionSeconds, now());
  return async (caller, requestId = randomUUID()) => ({
    ...shared,
    auth: "actor" in caller ? { kind: "actor", actor: caller.actor } : await authenticate(jwtSecret, caller.authorization),
    now,
    wakeWorker,
    issueInvestorToken: signInvestor,
    requestId,
  });
}
