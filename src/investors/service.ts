import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Address } from "viem";
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor, requireSameOrganization } from "../context.js";
import { BaseError, ConflictError, NotFoundError } from "../errors.js";
import type { Database } from "../db/index.js";
import { addressSchema } from "../chain/address.js";
import { dateTimeSchema, jurisdictionSchema, parseInput, uuidSchema } from "../validation.js";
import { identityDidSchema } from "../identity/did.js";
import { getTranche } from "../offerings/service.js";
import { whitelistIdentity } from "../chain/token.js";
import { CLASS_CODES, countryBytes, countryOfJurisdiction } from "../circulation/restrictions.js";
import { transferRules } from "../circulation/table.js";
import { INVESTOR_CLASSES, KYC_STATUSES, investor, trancheWhitelist } from "./table.js";
import { unlistInvestor } from "./whitelist-sync.js";
import { requireInvestorReader } from "./access.js";
import { investorEligible, kycProblem } from "../compliance/requirements.js";
import { auditedRequirement, investorFacts } from "../compliance/service.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";

export type Investor = typeof investor.$inferSelect;

export class KycNotVerifiedError extends BaseError {
  readonly code = "KYC_NOT_VERIFIED";
  override name = "KycNotVerifiedError";
}

/** The investor has not proven control of the wallet (Sign-In with Ethereum) to be whitelisted. */
export class WalletNotProvenError extends BaseError {
  readonly code = "WALLET_NOT_PROVEN";
  override name = "WalletNotProvenError";
}

const registerSchema = z.object({
  did: identityDidSchema,
  investorClass: z.enum(INVESTOR_CLASSES),
  jurisdiction: jurisdictionSchema,
  walletAddress: addressSchema,
});
export type RegisterInvestorParams = z.input<typeof registerSchema>;

/** Registers an investor identity (KYC starts PENDING). A DID is registered once. */
export async function registerInvestor(ctx: ServiceContext, input: RegisterInvestorParams): Promise<Investor> {
  const actor = requireActor(ctx);
  const params = parseInput(registerSchema, input);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(investor)
      .values({ ...params, registeredByOrgId: actor.organizationId })
      .onConflictDoNothing({ target: investor.did })
      .returning();
    if (!row) throw new ConflictError(`an investor with DID ${params.did} is already registered`);
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "investor.registered",
      entityType: "Investor",
      entityId: row.id,
      payload: {
        organizationId: row.registeredByOrgId,
        did: row.did,
        investorClass: row.investorClass,
        jurisdiction: row.jurisdiction,
        walletAddress: row.walletAddress,
        kycStatus: row.kycStatus,
      },
    });
    return row;
  });
}

const verifyKycSchema = z.object({
  investorId: uuidSchema,
  status: z.enum(KYC_STATUSES),
  expiresAt: dateTimeSchema.nullish(),
});

/**
 * A compliance officer's KYC decision. VERIFIED needs a future expiry. Any other status
 * (REVOKED, REJECTED, PENDING) removes the investor's wallet from every token whitelist, on
 * chain and in the registry, before it answers.
 */
export async function verifyInvestorKyc(ctx: ServiceContext, input: z.input<typeof verifyKycSchema>): Promise<Investor> {
  requireActor(ctx);
  const params = parseInput(verifyKycSchema, input);
  if (params.status === "VERIFIED" && (!params.expiresAt || params.expiresAt <= ctx.now())) {
    return parseInput(z.never({ message: "expiresAt must be in the future for VERIFIED" }), undefined);
  }
  const row = await ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(investor)
      .set({ kycStatus: params.status, kycExpiresAt: params.expiresAt ?? null })
      .where(eq(investor.id, params.investorId))
      .returning();
    if (!updated) throw new NotFoundError("Investor", params.investorId);
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "kyc.decided",
      entityType: "Investor",
      entityId: updated.id,
      // A decision by hand: the officer is the evidence (no credential digest).
      payload: { kycStatus: updated.kycStatus, kycExpiresAt: updated.kycExpiresAt, basis: "COMPLIANCE_OFFICER_DECISION" },
    });
    return updated;
  });
  if (row.kycStatus !== "VERIFIED") await unlistInvestor(ctx, row.id, auditActor(ctx), `KYC ${row.kycStatus}`);
  return row;
}

/**
 * Reads one investor for a caller who may read investor facts (`requireInvestorReader`:
 * Unauthenticated / Forbidden otherwise, NotFound for a signed-in investor asking about
 * another, before the id is even looked up).
 */
export async function getInvestor(ctx: ServiceContext, id: string): Promise<Investor> {
  requireInvestorReader(ctx, id);
  const investorId = parseInput(uuidSchema, id);
  const [row] = await ctx.db.select().from(investor).where(eq(investor.id, investorId));
  if (!row) throw new NotFoundError("Investor", id);
  return row;
}

/**
 * Admits an investor's wallet on a tranche's token: sends the on-chain whitelist
 * transaction, then records it. Needs a verified, unexpired KYC (else KYC_NOT_VERIFIED) and
 * the offering's eligibility rule, OFFSHORE_INVESTOR_ELIGIBLE (class allowed, jurisdiction not
 * blocked; else ComplianceNotSatisfiedError with that code, as a mint would be refused).
 * Idempotent.
 */
export async function whitelistInvestor(
  ctx: ServiceContext,
  input: { trancheId: string; investorId: string },
): Promise<{ trancheId: string; investor: Investor; walletAddress: string; txHash: string }> {
  const actor = requireActor(ctx);
  const params = parseInput(z.object({ trancheId: uuidSchema, investorId: uuidSchema }), input);
  const { tranche, offering } = await getTranche(ctx.db, params.trancheId);
  if (!hasRole(ctx, "COMPLIANCE_OFFICER")) requireSameOrganization(actor, offering.issuerOrgId, "offering");
  const inv = await getInvestor(ctx, params.investorId);
  if (!tranche.tokenAddress) throw new ConflictError(`tranche ${tranche.id} has no deployed token yet`);
  const now = ctx.now();
  const kyc = kycProblem(inv, now);
  if (kyc) throw new KycNotVerifiedError(`investor ${inv.id}: ${kyc}`);
  // The offering's eligibility rule, as the mint applies it, for the state this call creates: a
  // wallet the offering does not allow is never whitelisted, so no holder can transfer to it.
  // A class the offering does not issue to may still be admitted to buy on the secondary market
  // when the tranche's circulation rules let it receive there (e.g. RETAIL through a venue);
  // the mint re-checks the offering's own classes, so such a wallet is never issued to.
  const [rules] = await ctx.db
    .select({ secondary: transferRules.secondaryClasses, venue: transferRules.venueClasses })
    .from(transferRules)
    .where(eq(transferRules.trancheId, tranche.id));
  const classes = [...new Set([...offering.allowedInvestorClasses, ...(rules?.secondary ?? []), ...(rules?.venue ?? [])])];
  const eligible = investorEligible(investorFacts(inv, { ...offering, allowedInvestorClasses: classes }, true), now);
  if (!eligible.holds) throw new ComplianceNotSatisfiedError([eligible]);
  if (!inv.walletProvenAt) {
    throw new WalletNotProvenError(`investor ${inv.id} has not proven control of ${inv.walletAddress} (Sign-In with Ethereum)`);
  }
  const existing = await findWhitelistEntry(ctx.db, tranche.id, inv.walletAddress);
  if (existing) return { trancheId: tranche.id, investor: inv, walletAddress: inv.walletAddress, txHash: existing.txHash };
  const { txHash } = await whitelistIdentity(ctx.chain, {
    token: tranche.tokenAddress as Address,
    account: inv.walletAddress as Address,
    country: countryBytes(countryOfJurisdiction(inv.jurisdiction)),
    investorClass: CLASS_CODES[inv.investorClass],
  });
  await ctx.db.transaction(async (tx) => {
    const inserted = await tx
      .insert(trancheWhitelist)
      .values({
        trancheId: tranche.id,
        walletAddress: inv.walletAddress,
        investorId: inv.id,
        txHash,
        country: countryOfJurisdiction(inv.jurisdiction),
        investorClass: inv.investorClass,
      })
      .onConflictDoNothing()
      .returning({ trancheId: trancheWhitelist.trancheId });
    // A concurrent call recorded the same entry first (and its event).
    if (inserted.length === 0) return;
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "investor.whitelisted",
      entityType: "Investor",
      entityId: inv.id,
      payload: {
        organizationId: offering.issuerOrgId,
        offeringId: offering.id,
        trancheId: tranche.id,
        tokenAddress: tranche.tokenAddress,
        walletAddress: inv.walletAddress,
        walletProvenAt: inv.walletProvenAt,
        txHash,
        // The rule that admitted the wallet, and the KYC it rested on.
        eligibility: auditedRequirement(eligible),
        kyc: { status: inv.kycStatus, expiresAt: inv.kycExpiresAt, issuerDid: inv.kycIssuerDid, credentialDigest: inv.kycEvidenceDigest },
      },
    });
  });
  return { trancheId: tranche.id, investor: inv, walletAddress: inv.walletAddress, txHash };
}

async function findWhitelistEntry(db: Database, trancheId: string, walletAddress: string) {
  const [row] = await db
    .select()
    .from(trancheWhitelist)
    .where(and(eq(trancheWhitelist.trancheId, trancheId), eq(trancheWhitelist.walletAddress, walletAddress)));
  return row;
}
