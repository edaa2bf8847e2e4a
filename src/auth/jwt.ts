/**
 * Bearer tokens: HS256 JWTs (jose). A staff token carries `sub`, `org` and `roles`; an
 * investor's session token (signInWithEthereum) carries `sub` (the wallet), `investorId` and
 * `roles: ["INVESTOR"]`, and no `org`.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { z } from "zod";
import { INVESTOR_ROLE, ROLES, type Actor, type Auth, type InvestorSession } from "./roles.js";

const ISSUER = "data-asset-gateway";
const claimsSchema = z.object({
  sub: z.string().min(1),
  org: z.string().uuid(),
  roles: z.array(z.enum(ROLES)).min(1),
  investorId: z.undefined(),
});
// A token with an organization, or with any other role, is not an investor session.
const investorClaimsSchema = z.object({
  sub: z.string().min(1),
  org: z.undefined(),
  investorId: z.string().uuid(),
  roles: z.tuple([z.literal(INVESTOR_ROLE)]),
});

// Given raw bytes, jose imports the HMAC key into WebCrypto on every call (about 1 ms per
// request under load); the imported key is kept per secret instead.
const keys = new Map<string, Promise<CryptoKey>>();
const key = (secret: string): Promise<CryptoKey> => {
  let imported = keys.get(secret);
  if (!imported) {
    imported = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    keys.set(secret, imported);
  }
  return imported;
};

/**
 * Signs a token for `actor`.
 * @example const jwt = await issueToken(secret, { subject: "alice", organizationId, roles: ["ISSUER"] }, "12h");
 */
export async function issueToken(secret: string, actor: Actor, expiresIn: string = "12h"): Promise<string> {
  return new SignJWT({ org: actor.organizationId, roles: actor.roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(actor.subject)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await key(secret));
}

/**
 * Signs an investor's session token, valid `seconds` from `now` (the gateway's clock).
 * @example const { token, expiresAt } = await issueInvestorToken(secret, { subject: wallet, investorId }, 900, new Date());
 */
export async function issueInvestorToken(
  secret: string,
  session: InvestorSession,
  seconds: number,
  now: Date,
): Promise<{ token: string; expiresAt: Date }> {
  const expiresAt = new Date(Math.floor(now.getTime() / 1000) * 1000 + seconds * 1000);
  const token = await new SignJWT({ investorId: session.investorId, roles: [INVESTOR_ROLE] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(session.subject)
    .setIssuer(ISSUER)
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .sign(await key(secret));
  return { token, expiresAt };
}

/** Reads an `Authorization` header value. Never throws: a bad token becomes `{ kind: "invalid" }`. */
export async function authenticate(secret: string, header: string | undefined | null): Promise<Auth> {
  if (!header) return { kind: "anonymous" };
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!match) return { kind: "invalid", reason: "Authorization header must be 'Bearer <token>'" };
  try {
    const { payload } = await jwtVerify(match[1]!, await key(secret), { issuer: ISSUER, algorithms: ["HS256"] });
    if (payload.investorId !== undefined) {
      const investor = investorClaimsSchema.safeParse(payload);
      if (!investor.success) return { kind: "invalid", reason: "token claims are malformed" };
      return { kind: "investor", investor: { subject: investor.data.sub, investorId: investor.data.investorId } };
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) return { kind: "invalid", reason: "token claims are malformed" };
    return {
      kind: "actor",
      actor: { subject: claims.data.sub, organizationId: claims.data.org, roles: claims.data.roles },
    };
  } catch (error) {
    const reason = error instanceof joseErrors.JWTExpired ? "token expired" : "token signature or format is invalid";
    return { kind: "invalid", reason };
  }
}
