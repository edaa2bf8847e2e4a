import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { requireActor } from "../context.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { Database } from "../db/index.js";
import { dateTimeSchema, digestSchema, parseInput, text, uuidSchema } from "../validation.js";
import { dataAsset } from "../assets/table.js";
import { canRead, getDataAsset, listDataAssetsByIds } from "../assets/service.js";
import { ownershipRight } from "../ownership/table.js";
import { activeAt } from "../ownership/service.js";
import { provenanceActivity } from "../provenance/table.js";
import { organizationLicense } from "../organizations/table.js";
import { offering, offeringAsset, tranche } from "../offerings/table.js";
import { investor, trancheWhitelist } from "../investors/table.js";
import { requireInvestorReader } from "../investors/access.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { ATTESTATION_STATUSES, CROSS_BORDER_PATHWAYS, REQUIREMENT_CODES, complianceAttestation, type RequirementCode } from "./table.js";
import {
  evaluateAsset,
  evaluateOffering,
  investorEligible,
  type Attestation,
  type InvestorFacts,
  type RequirementResult,
} from "./requirements.js";

/** Which subject each attestable requirement is about. The others derive from registry data. */
const ATTESTABLE: Partial<Record<RequirementCode, "ASSET" | "OFFERING">> = {
  ONSHORE_CROSS_BORDER_ASSESSED: "ASSET",
  ONSHORE_PERSONAL_INFO_TREATED: "ASSET",
  ONSHORE_VALUATION: "ASSET",
  OFFSHORE_LEGAL_OPINION: "OFFERING",
};

const attestSchema = z
  .object({
    subjectId: uuidSchema,
    requirementCode: z.enum(REQUIREMENT_CODES),
    status: z.enum(ATTESTATION_STATUSES),
    pathway: z.enum(CROSS_BORDER_PATHWAYS).nullish(),
    evidenceDigest: digestSchema.nullish(),
    expiresAt: dateTimeSchema.nullish(),
    note: text().max(2000).nullish(),
  })
  .superRefine((v, ctx) => {
    if (!ATTESTABLE[v.requirementCode]) {
      ctx.addIssue({
        code: "custom",
        path: ["requirementCode"],
        message: `${v.requirementCode} is derived from registry data and cannot be attested`,
      });
    }
    if (v.status === "SATISFIED" && !v.evidenceDigest) {
      ctx.addIssue({ code: "custom", path: ["evidenceDigest"], message: "is required for a SATISFIED attestation" });
    }
    if (v.requirementCode === "ONSHORE_CROSS_BORDER_ASSESSED" && v.status === "SATISFIED" && !v.pathway) {
      ctx.addIssue({ code: "custom", path: ["pathway"], message: "is required for a cross-border attestation" });
    }
    if (v.pathway && v.requirementCode !== "ONSHORE_CROSS_BORDER_ASSESSED") {
      ctx.addIssue({ code: "custom", path: ["pathway"], message: "applies only to ONSHORE_CROSS_BORDER_ASSESSED" });
    }
    if (v.pathway === "EXEMPT" && !v.note) {
      ctx.addIssue({ code: "custom", path: ["note"], message: "an EXEMPT pathway needs the exemption reason" });
    }
  });
export type AttestComplianceParams = z.input<typeof attestSchema>;

/** Records a compliance officer's attestation about an asset or an offering. */
export async function attestCompliance(ctx: ServiceContext, input: AttestComplianceParams): Promise<Attestation> {
  const actor = requireActor(ctx);
  const params = parseInput(attestSchema, input);
  const subjectType = ATTESTABLE[params.requirementCode]!;
  const table = subjectType === "ASSET" ? dataAsset : offering;
  const [subject] = await ctx.db.select({ id: table.id }).from(table).where(eq(table.id, params.subjectId));
  if (!subject) throw new NotFoundError(subjectType === "ASSET" ? "DataAsset" : "Offering", params.subjectId);
  if (params.expiresAt && params.expiresAt <= ctx.now()) {
    throw new ValidationError([{ path: "expiresAt", message: "must be in the future" }]);
  }
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(complianceAttestation)
      .values({
        ...params,
        subjectType,
        attestedBy: actor.subject,
        attestedByOrgId: actor.organizationId,
        attestedAt: ctx.now(),
      })
      .returning();
    // On the subject's trail: the evidence a later requirement report rests on.
    await appendAuditEvent(
      tx,
      {
        ...auditActor(ctx),
        action: "compliance.attested",
        entityType: subjectType === "ASSET" ? "DataAsset" : "Offering",
        entityId: row!.subjectId,
        payload: {
          attestationId: row!.id,
          requirementCode: row!.requirementCode,
          status: row!.status,
          pathway: row!.pathway,
          evidenceDigest: row!.evidenceDigest,
          expiresAt: row!.expiresAt,
          note: row!.note,
        },
      },
      row!.attestedAt,
    );
    return row!;
  });
}

export type ComplianceReport = {
  holds: boolean;
  evaluatedAt: Date;
  requirements: RequirementResult[];
  unmet: RequirementResult[];
};

const report = (requirements: RequirementResult[], now: Date): ComplianceReport => {
  const unmet = requirements.filter((r) => !r.holds);
  return { holds: unmet.length === 0, evaluatedAt: now, requirements, unmet };
};

async function attestationsFor(db: Database, subjectIds: string[]): Promise<Attestation[]> {
  if (subjectIds.length === 0) return [];
  return db.select().from(complianceAttestation).where(inArray(complianceAttestation.subjectId, subjectIds));
}

/**
 * A report as the audit trail keeps it: for every requirement, the rule (its code), whether it
 * held, why, and the evidence it rested on (attestation digests, certificates, the KYC
 * credential's digest), so the trail alone answers why a mint or whitelisting was allowed.
 */
export function auditedReport(r: Pick<ComplianceReport, "holds" | "evaluatedAt" | "requirements">) {
  return {
    holds: r.holds,
    evaluatedAt: r.evaluatedAt,
    requirements: r.requirements.map(auditedRequirement),
  };
}

export function auditedRequirement(q: RequirementResult) {
  return { code: q.code, subjectId: q.subjectId, holds: q.holds, reason: q.reason, evidence: q.evidence, expiresAt: q.expiresAt };
}

/** Evaluates every onshore requirement of the given assets. */
export async function evaluateAssets(db: Database, assetIds: string[], now: Date): Promise<RequirementResult[]> {
  if (assetIds.length === 0) return [];
  const [facts, attestations] = await Promise.all([readAssetFacts(db, assetIds, now), attestationsFor(db, assetIds)]);
  return assetResults(facts, attestations, now);
}

/** The rows the onshore requirements of some assets read, attestations apart (a mint reads those with the offering's). */
async function readAssetFacts(db: Database, assetIds: string[], now: Date) {
  if (assetIds.length === 0) return { assets: [], rights: [], activities: [] };
  const [assets, rights, activities] = await Promise.all([
    db.select().from(dataAsset).where(inArray(dataAsset.id, assetIds)),
    db
      .select()
      .from(ownershipRight)
      .where(and(inArray(ownershipRight.assetId, assetIds), activeAt(now))),
    db.select().from(provenanceActivity).where(inArray(provenanceActivity.assetId, assetIds)),
  ]);
  return { assets, rights, activities };
}

function assetResults(facts: Awaited<ReturnType<typeof readAssetFacts>>, attestations: Attestation[], now: Date): RequirementResult[] {
  return facts.assets.flatMap((asset) =>
    evaluateAsset(
      {
        asset,
        activeRights: facts.rights.filter((r) => r.assetId === asset.id),
        activities: facts.activities.filter((a) => a.assetId === asset.id),
        attestations: attestations.filter((a) => a.subjectId === asset.id),
      },
      now,
    ),
  );
}

/** The rows a mint evaluation reads about its tranche and recipient; absent rows are undefined. */
export type MintSubject = {
  tranche?: typeof tranche.$inferSelect;
  offering?: typeof offering.$inferSelect;
  investor?: typeof investor.$inferSelect;
  assetIds: string[];
  /** Whether the investor's wallet is on the tranche's whitelist. */
  whitelisted: boolean;
};

/**
 * Reads a mint's tranche, offering, packaged assets, recipient and its whitelist entry in two
 * queries sent together (each keys on the ids given, neither waits for the other). Throws
 * nothing for missing rows: callers decide which absence they report first.
 */
export async function loadMintSubject(db: Database, params: { trancheId: string; investorId?: string | null }): Promise<MintSubject> {
  const [trancheRows, [recipient]] = await Promise.all([
    // One row per packaged asset (the tranche and offering repeated).
    db
      .select({ tranche, offering, assetId: offeringAsset.assetId })
      .from(tranche)
      .innerJoin(offering, eq(offering.id, tranche.offeringId))
      .leftJoin(offeringAsset, eq(offeringAsset.offeringId, offering.id))
      .where(eq(tranche.id, params.trancheId)),
    // The investor, with its wallet's whitelist entry on this tranche if there is one.
    params.investorId
      ? db
          .select({ investor, listed: trancheWhitelist.walletAddress })
          .from(investor)
          .leftJoin(
            trancheWhitelist,
            and(eq(trancheWhitelist.trancheId, params.trancheId), eq(trancheWhitelist.walletAddress, investor.walletAddress)),
          )
          .where(eq(investor.id, params.investorId))
      : [],
  ]);
  return {
    tranche: trancheRows[0]?.tranche,
    offering: trancheRows[0]?.offering,
    assetIds: trancheRows.flatMap((r) => (r.assetId ? [r.assetId] : [])),
    investor: recipient?.investor,
    whitelisted: Boolean(recipient?.listed),
  };
}

/** Evaluates a loaded mint subject whose tranche (and investor, when one was asked for) exist. */
export async function evaluateMintSubject(db: Database, subject: MintSubject, now: Date): Promise<ComplianceReport> {
  const trancheResults = await evaluateTrancheRequirements(db, subject, now);
  return investorReport(trancheResults, subject, subject.investor, subject.whitelisted, now);
}

/**
 * The requirements of a mint that do not depend on its recipient: the packaged assets' onshore
 * ones and the offering's offshore ones. One read of the attestations serves both.
 */
async function evaluateTrancheRequirements(db: Database, subject: Pick<MintSubject, "offering" | "assetIds">, now: Date) {
  const o = subject.offering;
  if (!o) throw new Error("evaluating a mint needs a loaded tranche");
  const [facts, attestations, licenses] = await Promise.all([
    readAssetFacts(db, subject.assetIds, now),
    attestationsFor(db, [...subject.assetIds, o.id]),
    db.select().from(organizationLicense).where(eq(organizationLicense.organizationId, o.issuerOrgId)),
  ]);
  return [
    ...assetResults(facts, attestations, now),
    ...evaluateOffering(
      { offeringId: o.id, issuerLicenses: licenses, attestations: attestations.filter((a) => a.subjectId === o.id) },
      now,
    ),
  ];
}

/** A mint's whole report: the tranche's requirements and, when there is a recipient, its eligibility. */
function investorReport(
  trancheResults: RequirementResult[],
  subject: Pick<MintSubject, "tranche" | "offering">,
  inv: MintSubject["investor"],
  whitelisted: boolean,
  now: Date,
): ComplianceReport {
  const results = [...trancheResults];
  if (inv)
    results.push(investorEligible(investorFacts(inv, subject.offering!, whitelisted && Boolean(subject.tranche?.tokenAddress)), now));
  return report(results, now);
}

/** Mints of one tranche to many investors: the rows read once for all of them. */
export type BulkMintSubject = Omit<MintSubject, "investor" | "whitelisted"> & {
  /** The investors found, each with whether its wallet is on the tranche's whitelist. */
  investors: Map<string, { investor: typeof investor.$inferSelect; whitelisted: boolean }>;
};

/** Reads one tranche (offering, packaged assets) and many recipients with their whitelist entries on it, in two queries sent together. */
export async function loadBulkMintSubject(db: Database, trancheId: string, investorIds: string[]): Promise<BulkMintSubject> {
  const [trancheRows, recipients] = await Promise.all([
    db
      .select({ tranche, offering, assetId: offeringAsset.assetId })
      .from(tranche)
      .innerJoin(offering, eq(offering.id, tranche.offeringId))
      .leftJoin(offeringAsset, eq(offeringAsset.offeringId, offering.id))
      .where(eq(tranche.id, trancheId)),
    investorIds.length === 0
      ? []
      : db
          .select({ investor, listed: trancheWhitelist.walletAddress })
          .from(investor)
          .leftJoin(
            trancheWhitelist,
            and(eq(trancheWhitelist.trancheId, trancheId), eq(trancheWhitelist.walletAddress, investor.walletAddress)),
          )
          .where(inArray(investor.id, [...new Set(investorIds)])),
  ]);
  return {
    tranche: trancheRows[0]?.tranche,
    offering: trancheRows[0]?.offering,
    assetIds: trancheRows.flatMap((r) => (r.assetId ? [r.assetId] : [])),
    investors: new Map(recipients.map((r) => [r.investor.id, { investor: r.investor, whitelisted: Boolean(r.listed) }])),
  };
}

/**
 * Evaluates mints of one loaded tranche (which must exist) to each of its loaded investors:
 * the tranche's requirements once, each investor's eligibility from its row. The same reports
 * `evaluateMintSubject` gives one by one.
 */
export async function evaluateBulkMintSubject(db: Database, subject: BulkMintSubject, now: Date): Promise<Map<string, ComplianceReport>> {
  const trancheResults = await evaluateTrancheRequirements(db, subject, now);
  return new Map(
    [...subject.investors].map(([id, { investor: inv, whitelisted }]) => [
      id,
      investorReport(trancheResults, subject, inv, whitelisted, now),
    ]),
  );
}

/** The offering-level (offshore) requirements: the issuer's licence and the legal opinion. A mint and opening the offering both check them. */
export async function evaluateOfferingRequirements(
  db: Database,
  o: Pick<typeof offering.$inferSelect, "id" | "issuerOrgId">,
  now: Date,
): Promise<RequirementResult[]> {
  const [licenses, attestations] = await Promise.all([
    db.select().from(organizationLicense).where(eq(organizationLicense.organizationId, o.issuerOrgId)),
    attestationsFor(db, [o.id]),
  ]);
  return evaluateOffering({ offeringId: o.id, issuerLicenses: licenses, attestations }, now);
}

/** The facts OFFSHORE_INVESTOR_ELIGIBLE reads about one investor and one offering (the mint's and the whitelisting's). */
export function investorFacts(
  inv: typeof investor.$inferSelect,
  o: Pick<typeof offering.$inferSelect, "allowedInvestorClasses" | "blockedJurisdictions">,
  whitelistedOnToken: boolean,
): InvestorFacts {
  return {
    investorId: inv.id,
    kycStatus: inv.kycStatus,
    kycExpiresAt: inv.kycExpiresAt,
    kycEvidence: inv.kycEvidenceDigest,
    investorClass: inv.investorClass,
    jurisdiction: inv.jurisdiction,
    allowedInvestorClasses: o.allowedInvestorClasses,
    blockedJurisdictions: o.blockedJurisdictions,
    whitelistedOnToken,
  };
}

/**
 * Everything a mint of `trancheId` to `investorId` needs: the packaged assets' onshore
 * requirements, the offering's offshore ones and the recipient's eligibility.
 */
export async function evaluateForMint(
  db: Database,
  params: { trancheId: string; investorId?: string | null },
  now: Date,
): Promise<ComplianceReport> {
  const subject = await loadMintSubject(db, params);
  if (!subject.tranche) throw new NotFoundError("Tranche", params.trancheId);
  if (params.investorId && !subject.investor) throw new NotFoundError("Investor", params.investorId);
  return evaluateMintSubject(db, subject, now);
}

const reportSchema = z
  .object({ assetId: uuidSchema.nullish(), trancheId: uuidSchema.nullish(), investorId: uuidSchema.nullish() })
  .refine((v) => Boolean(v.assetId) !== Boolean(v.trancheId), { message: "give exactly one of assetId or trancheId" })
  .refine((v) => !v.investorId || v.trancheId, { path: ["investorId"], message: "needs a trancheId" });

/**
 * The compliance report for an asset (onshore requirements), or for a tranche and optionally
 * a recipient investor (everything a mint needs). With an investor, only investor readers
 * (`requireInvestorReader`) get an answer.
 */
export async function complianceReport(
  ctx: ServiceContext,
  input: { assetId?: string | null; trancheId?: string | null; investorId?: string | null },
): Promise<ComplianceReport> {
  // The recipient's eligibility is investor facts (KYC state and expiry, class, jurisdiction):
  // refused before anything is parsed or read, as `investor(id)` refuses.
  if (input.investorId != null) requireInvestorReader(ctx, input.investorId);
  const params = parseInput(reportSchema, input);
  const now = ctx.now();
  if (params.assetId) {
    await getDataAsset(ctx, params.assetId); // visibility: an unseen draft is not found
    return report(await evaluateAssets(ctx.db, [params.assetId], now), now);
  }
  const subject = await loadMintSubject(ctx.db, { trancheId: params.trancheId!, investorId: params.investorId });
  if (!subject.tranche) throw new NotFoundError("Tranche", params.trancheId!);
  if (params.investorId && !subject.investor) throw new NotFoundError("Investor", params.investorId);
  // The report names each packaged asset's facts (reasons, certificates, digests): an asset the
  // caller may not read (e.g. SUSPENDED, for the public) is not found here either, as in dataAsset.
  const hidden = (await listDataAssetsByIds(ctx.db, subject.assetIds)).find((asset) => !canRead(ctx, asset));
  if (hidden) throw new NotFoundError("DataAsset", hidden.id);
  return evaluateMintSubject(ctx.db, subject, now);
}
