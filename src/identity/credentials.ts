/**
 * KYC evidence as a W3C Verifiable Credential in JWT form (did-jwt-vc). A credential counts
 * only when its issuer is a trusted issuer registered by a compliance officer, its signature
 * verifies against the issuer DID, it is about the investor's DID and it names this gateway's
 * chain id (`credentialSubject.chainId`): a credential for another chain is refused.
 */
import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { z } from "zod";
import { decodeJWT } from "did-jwt";
import { verifyCredential } from "did-jwt-vc";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import { ConflictError } from "../errors.js";
import { nonEmpty, parseInput, uuidSchema } from "../validation.js";
import { investor } from "../investors/table.js";
import { getInvestor, type Investor } from "../investors/service.js";
import { identityDidSchema } from "./did.js";
import { issuerResolver } from "./resolver.js";
import { trustedIssuer } from "./table.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import {
  CredentialInvalidError,
  CredentialIssuerUntrustedError,
  CredentialSubjectMismatchError,
  CredentialWrongChainError,
} from "./errors.js";

export type TrustedIssuer = typeof trustedIssuer.$inferSelect;

/** The VC type a KYC credential must carry. */
export const KYC_CREDENTIAL_TYPE = "KycCredential";

const registerIssuerSchema = z.object({
  // Trusting a DID the gateway cannot resolve offline would accept no credential at all: refuse it up front.
  did: identityDidSchema.refine(
    (did) => /^did:pkh:eip155:[0-9]{1,32}:0x[0-9a-fA-F]{40}$/.test(did),
    "only did:pkh:eip155 issuers are supported (resolved offline, credentials signed ES256K-R)",
  ),
  name: nonEmpty(200),
});

/**
 * Registers an issuer DID whose KYC credentials are accepted (COMPLIANCE_OFFICER).
 * @example await registerTrustedIssuer(ctx, { did: "did:pkh:eip155:1:0x…", name: "Acme KYC Ltd" });
 */
export async function registerTrustedIssuer(ctx: ServiceContext, input: z.input<typeof registerIssuerSchema>): Promise<TrustedIssuer> {
  const actor = requireActor(ctx);
  const params = parseInput(registerIssuerSchema, input);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(trustedIssuer)
      .values({ ...params, registeredBy: actor.subject, registeredByOrgId: actor.organizationId })
      .onConflictDoNothing({ target: trustedIssuer.did })
      .returning();
    if (!row) throw new ConflictError(`issuer ${params.did} is already trusted`);
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "identity.issuer_trusted",
      entityType: "TrustedIssuer",
      entityId: row.id,
      payload: { organizationId: row.registeredByOrgId, did: row.did, name: row.name },
    });
    return row;
  });
}

export async function listTrustedIssuers(ctx: ServiceContext): Promise<TrustedIssuer[]> {
  return ctx.db.select().from(trustedIssuer).orderBy(trustedIssuer.createdAt);
}

const submitSchema = z.object({
  investorId: uuidSchema,
  credential: z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "must be a compact JWT (header.payload.signature)"),
});

const sha256 = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;

/**
 * Verifies a KYC credential (VC JWT) for an investor and, when it holds, records the investor's
 * KYC as VERIFIED until the credential's expiry, with the issuer and the credential's digest
 * as evidence. Checks run in this order, each with its own error: trusted issuer, signature and
 * validity (did-jwt-vc), subject, chain id.
 */
export async function submitKycCredential(ctx: ServiceContext, input: z.input<typeof submitSchema>): Promise<Investor> {
  requireActor(ctx);
  const params = parseInput(submitSchema, input);
  const inv = await getInvestor(ctx, params.investorId);

  // Trust is checked on the decoded issuer before anything is resolved: an untrusted DID is never resolved.
  let issuer: string | undefined;
  try {
    issuer = decodeJWT(params.credential).payload.iss;
  } catch (error) {
    throw new CredentialInvalidError(`credential is not a decodable JWT: ${(error as Error).message}`, { cause: error });
  }
  if (!issuer) throw new CredentialInvalidError("credential names no issuer (iss)");
  const [trusted] = await ctx.db.select().from(trustedIssuer).where(eq(trustedIssuer.did, issuer));
  if (!trusted) throw new CredentialIssuerUntrustedError(issuer);

  const nowSeconds = Math.floor(ctx.now().getTime() / 1000);
  let verified;
  try {
    verified = await verifyCredential(params.credential, issuerResolver, { policies: { now: nowSeconds } });
  } catch (error) {
    throw new CredentialInvalidError(`credential does not verify: ${(error as Error).message}`, { cause: error });
  }
  const payload = verified.payload;
  const types = ([] as string[]).concat(payload.vc?.type ?? []);
  if (!types.includes(KYC_CREDENTIAL_TYPE)) throw new CredentialInvalidError(`credential type must include ${KYC_CREDENTIAL_TYPE}`);
  if (!payload.exp) throw new CredentialInvalidError("a KYC credential must expire (exp)");
  const subject = (payload.vc?.credentialSubject ?? {}) as Record<string, unknown>;
  const subjectDid = payload.sub ?? (subject.id as string | undefined);
  if (subjectDid !== inv.did) {
    throw new CredentialSubjectMismatchError(`credential is about ${subjectDid ?? "no subject"}, not investor DID ${inv.did}`);
  }
  const chainId = subject.chainId == null ? null : String(subject.chainId);
  if (chainId !== String(ctx.chain.chainId)) throw new CredentialWrongChainError(ctx.chain.chainId, chainId);

  const kycExpiresAt = new Date(payload.exp * 1000);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(investor)
      .set({
        kycStatus: "VERIFIED",
        kycExpiresAt,
        kycIssuerDid: issuer,
        kycEvidenceDigest: sha256(params.credential),
      })
      .where(eq(investor.id, inv.id))
      .returning();
    // The digest names the exact credential; the checks that passed are the rule that applied.
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "kyc.credential_verified",
      entityType: "Investor",
      entityId: inv.id,
      payload: {
        kycStatus: row!.kycStatus,
        kycExpiresAt: row!.kycExpiresAt,
        basis: "VERIFIABLE_CREDENTIAL",
        credentialDigest: row!.kycEvidenceDigest,
        credentialType: KYC_CREDENTIAL_TYPE,
        issuerDid: issuer,
        trustedIssuerId: trusted.id,
        subjectDid: subjectDid,
        chainId,
        checks: ["TRUSTED_ISSUER", "SIGNATURE_AND_VALIDITY", "SUBJECT", "CHAIN_ID"],
      },
    });
    return row!;
  });
}
