export const ROLES = ["ASSET_OWNER", "COMPLIANCE_OFFICER", "ISSUER", "INDEXER", "ADMIN"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the token's subject, their organization and roles. */
export type Actor = { subject: string; organizationId: string; roles: Role[] };

/** The result of reading the Authorization header. A bad token is kept, not thrown, so each field can answer typed. */
export type Auth = { kind: "anonymous" } | { kind: "invalid"; reason: string } | { kind: "actor"; actor: Actor };
