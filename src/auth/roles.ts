/** Roles of organization members: what a staff token (npm run token, the demo) carries. */
export const ROLES = ["ASSET_OWNER", "COMPLIANCE_OFFICER", "ISSUER", "INDEXER", "ADMIN", "VENUE_OPERATOR"] as const;
export type Role = (typeof ROLES)[number];

/**
 * The role of an investor signed in with their own wallet (signInWithEthereum). Never in a
 * staff token: an investor belongs to no organization, so it is a caller of its own kind.
 */
export const INVESTOR_ROLE = "INVESTOR";
/** A role a field may admit: a staff role, or INVESTOR. */
export type CallerRole = Role | typeof INVESTOR_ROLE;

/** Who is calling: the token's subject, their organization and roles. */
export type Actor = { subject: string; organizationId: string; roles: Role[] };

/** An investor signed in with their wallet: the wallet that signed (subject) and the investor it is registered to. */
export type InvestorSession = { subject: string; investorId: string };

/**
 * The result of reading the Authorization header. A bad token is kept, not thrown, so each field can answer typed.
 * An investor is not an `Actor`: it has no organization, so no organization check can ever pass for it.
 */
export type Auth =
  | { kind: "anonymous" }
  | { kind: "invalid"; reason: string }
  | { kind: "actor"; actor: Actor }
  | { kind: "investor"; investor: InvestorSession };

/** The roles of a caller (none when anonymous or invalid). */
export function rolesOf(auth: Auth): readonly CallerRole[] {
  if (auth.kind === "actor") return auth.actor.roles;
  if (auth.kind === "investor") return [INVESTOR_ROLE];
  return [];
}
