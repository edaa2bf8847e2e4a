/**
 * The requirement catalogue (docs/compliance-identity.md): one small pure function per code, over facts
 * loaded beforehand. Nothing here touches the database or the clock; `now` is passed in.
 */
import type { RequirementCode } from "./table.js";
import type { complianceAttestation } from "./table.js";
import type { DataAsset } from "../assets/service.js";
import type { OwnershipRight } from "../ownership/service.js";
import type { ProvenanceActivity } from "../provenance/service.js";
import type { OrganizationLicense } from "../organizations/service.js";

export type Attestation = typeof complianceAttestation.$inferSelect;

export type RequirementSubject = "ASSET" | "OFFERING" | "INVESTOR";

/** The catalogue as data: what each requirement is about, when it holds, and whether an officer attests it. */
export const REQUIREMENT_CATALOGUE: Record<RequirementCode, { subject: RequirementSubject; holdsWhen: string; attested: boolean }> = {
  ONSHORE_OWNERSHIP_CONFIRMED: {
    subject: "ASSET",
    holdsWhen: "active RESOURCE_HOLDING rights sum to 10000 bps, each with a registration certificate",
    attested: false,
  },
  ONSHORE_SECURITY_CLASSIFIED: {
    subject: "ASSET",
    holdsWhen: "the security level is set and is not CORE (CORE data is never tokenizable)",
    attested: false,
  },
  ONSHORE_CROSS_BORDER_ASSESSED: {
    subject: "ASSET",
    holdsWhen:
      "an unexpired SATISFIED attestation with evidence names the pathway (ASSESSMENT, STANDARD_CONTRACT, CERTIFICATION, or EXEMPT with a reason); IMPORTANT data needs ASSESSMENT",
    attested: true,
  },
  ONSHORE_PERSONAL_INFO_TREATED: {
    subject: "ASSET",
    holdsWhen: "no personal information, or it is DEIDENTIFIED / ANONYMIZED with an unexpired SATISFIED attestation with evidence",
    attested: true,
  },
  ONSHORE_SANDBOX_VALIDATED: {
    subject: "ASSET",
    holdsWhen: "a SANDBOX_VALIDATION activity's output digest equals the content digest",
    attested: false,
  },
  ONSHORE_VALUATION: { subject: "ASSET", holdsWhen: "an unexpired SATISFIED valuation attestation with evidence", attested: true },
  OFFSHORE_ISSUER_LICENSED: {
    subject: "OFFERING",
    holdsWhen: "the issuer holds an SFC Type 9 licence valid at evaluation time",
    attested: false,
  },
  OFFSHORE_LEGAL_OPINION: {
    subject: "OFFERING",
    holdsWhen: "an unexpired SATISFIED legal-opinion attestation with evidence",
    attested: true,
  },
  OFFSHORE_INVESTOR_ELIGIBLE: {
    subject: "INVESTOR",
    holdsWhen:
      "KYC VERIFIED and unexpired, class among the offering's allowed classes, jurisdiction not blocked by the offering, wallet whitelisted on the tranche token",
    attested: false,
  },
};

export type RequirementResult = {
  code: RequirementCode;
  /** The asset, offering or investor the requirement was evaluated for. */
  subjectId: string;
  holds: boolean;
  reason: string;
  /** Digest or id of the evidence used, when there is one. */
  evidence: string | null;
  /** When the evidence stops counting, when it expires. */
  expiresAt: Date | null;
};

export type AssetFacts = {
  asset: DataAsset;
  activeRights: OwnershipRight[];
  activities: ProvenanceActivity[];
  attestations: Attestation[];
};
export type OfferingFacts = {
  offeringId: string;
  issuerLicenses: OrganizationLicense[];
  attestations: Attestation[];
};
export type InvestorFacts = {
  investorId: string;
  kycStatus: string;
  kycExpiresAt: Date | null;
  /** Digest of the KYC evidence (a verified credential), when KYC came from one. */
  kycEvidence: string | null;
  investorClass: string;
  jurisdiction: string;
  allowedInvestorClasses: string[];
  blockedJurisdictions: string[];
  whitelistedOnToken: boolean;
};

const result = (
  code: RequirementCode,
  subjectId: string,
  holds: boolean,
  reason: string,
  evidence: string | null = null,
  expiresAt: Date | null = null,
): RequirementResult => ({ code, subjectId, holds, reason, evidence, expiresAt });

/** The latest attestation for a code, and whether it counts now (SATISFIED, with evidence, unexpired). */
function latestAttestation(attestations: Attestation[], code: RequirementCode, now: Date) {
  const latest = attestations.filter((a) => a.requirementCode === code).sort((a, b) => b.attestedAt.getTime() - a.attestedAt.getTime())[0];
  if (!latest) return { latest, counts: false, why: "no attestation recorded" };
  if (latest.status !== "SATISFIED") return { latest, counts: false, why: `latest attestation is ${latest.status}` };
  if (!latest.evidenceDigest) return { latest, counts: false, why: "latest attestation has no evidence" };
  if (latest.expiresAt && latest.expiresAt <= now) {
    return { latest, counts: false, why: `attestation expired at ${latest.expiresAt.toISOString()}` };
  }
  return { latest, counts: true, why: "attested with evidence" };
}

function attested(code: RequirementCode, subjectId: string, attestations: Attestation[], now: Date): RequirementResult {
  const { latest, counts, why } = latestAttestation(attestations, code, now);
  return result(code, subjectId, counts, why, latest?.evidenceDigest ?? null, latest?.expiresAt ?? null);
}

export function ownershipConfirmed(f: AssetFacts): RequirementResult {
  const holding = f.activeRights.filter((r) => r.rightType === "RESOURCE_HOLDING");
  const sum = holding.reduce((s, r) => s + r.shareBps, 0);
  const code = "ONSHORE_OWNERSHIP_CONFIRMED";
  if (sum !== 10_000) return result(code, f.asset.id, false, `active RESOURCE_HOLDING shares sum to ${sum} bps, not 10000`);
  const missing = holding.filter((r) => !r.certificateNumber);
  if (missing.length > 0)
    return result(code, f.asset.id, false, `${missing.length} RESOURCE_HOLDING right(s) lack a registration certificate`);
  // The confirmation lasts as long as the first right to lapse.
  const ends = holding.map((r) => r.validUntil).filter((d): d is Date => d != null);
  const expiresAt = ends.length > 0 ? new Date(Math.min(...ends.map((d) => d.getTime()))) : null;
  return result(
    code,
    f.asset.id,
    true,
    "RESOURCE_HOLDING rights sum to 10000 bps, each with a certificate",
    holding.map((r) => r.certificateNumber).join(","),
    expiresAt,
  );
}

export function securityClassified(f: { asset: Pick<DataAsset, "id" | "securityLevel"> }): RequirementResult {
  const code = "ONSHORE_SECURITY_CLASSIFIED";
  const level = f.asset.securityLevel;
  if (!level) return result(code, f.asset.id, false, "security level is not set");
  if (level === "CORE") return result(code, f.asset.id, false, "CORE data can never be tokenized");
  return result(code, f.asset.id, true, `classified ${level}`, level);
}

/**
 * The requirements of an asset that nothing done later (an attestation, a record, a
 * classification still to come) can make hold: CORE data is never tokenizable. They refuse the
 * asset where it is packaged and where its token would be deployed, not only at the mint.
 */
export function neverTokenizable(asset: Pick<DataAsset, "id" | "securityLevel">): RequirementResult[] {
  return asset.securityLevel === "CORE" ? [securityClassified({ asset })] : [];
}

export function crossBorderAssessed(f: AssetFacts, now: Date): RequirementResult {
  const code = "ONSHORE_CROSS_BORDER_ASSESSED";
  const base = attested(code, f.asset.id, f.attestations, now);
  if (!base.holds) return base;
  const { latest } = latestAttestation(f.attestations, code, now);
  if (!latest?.pathway) return { ...base, holds: false, reason: "attestation names no cross-border pathway" };
  if (latest.pathway === "EXEMPT" && !latest.note) return { ...base, holds: false, reason: "an EXEMPT pathway needs a reason in the note" };
  if (f.asset.securityLevel === "IMPORTANT" && latest.pathway !== "ASSESSMENT") {
    return { ...base, holds: false, reason: `IMPORTANT data needs a security ASSESSMENT pathway, not ${latest.pathway}` };
  }
  return { ...base, reason: `pathway ${latest.pathway} attested with evidence` };
}

export function personalInfoTreated(f: AssetFacts, now: Date): RequirementResult {
  const code = "ONSHORE_PERSONAL_INFO_TREATED";
  if (!f.asset.containsPersonalInfo) return result(code, f.asset.id, true, "the asset holds no personal information");
  const treatment = f.asset.personalInfoTreatment;
  if (treatment !== "DEIDENTIFIED" && treatment !== "ANONYMIZED") {
    return result(code, f.asset.id, false, `personal information treatment is ${treatment}; it must be DEIDENTIFIED or ANONYMIZED`);
  }
  return attested(code, f.asset.id, f.attestations, now);
}

export function sandboxValidated(f: AssetFacts): RequirementResult {
  const code = "ONSHORE_SANDBOX_VALIDATED";
  const match = f.activities.find((a) => a.kind === "SANDBOX_VALIDATION" && a.outputDigest === f.asset.contentDigest);
  if (match)
    return result(code, f.asset.id, true, `sandbox validation ${match.id} produced the asset's content digest`, match.outputDigest);
  const other = f.activities.some((a) => a.kind === "SANDBOX_VALIDATION");
  return result(
    code,
    f.asset.id,
    false,
    other ? "sandbox validation output digest differs from the content digest" : "no SANDBOX_VALIDATION activity recorded",
  );
}

export function valuation(f: AssetFacts, now: Date): RequirementResult {
  return attested("ONSHORE_VALUATION", f.asset.id, f.attestations, now);
}

export function issuerLicensed(f: OfferingFacts, now: Date): RequirementResult {
  const code = "OFFSHORE_ISSUER_LICENSED";
  const licence = f.issuerLicenses.find((l) => l.type === "SFC_TYPE_9" && l.validUntil > now);
  if (licence)
    return result(code, f.offeringId, true, `issuer holds SFC Type 9 licence ${licence.number}`, licence.number, licence.validUntil);
  return result(code, f.offeringId, false, "issuer holds no unexpired SFC Type 9 licence");
}

export function legalOpinion(f: OfferingFacts, now: Date): RequirementResult {
  return attested("OFFSHORE_LEGAL_OPINION", f.offeringId, f.attestations, now);
}

/** Why the investor's KYC does not count at `now` (not VERIFIED, or expired); null when it does. */
export function kycProblem(f: Pick<InvestorFacts, "kycStatus" | "kycExpiresAt">, now: Date): string | null {
  if (f.kycStatus !== "VERIFIED") return `KYC is ${f.kycStatus}`;
  if (f.kycExpiresAt && f.kycExpiresAt <= now) return `KYC expired at ${f.kycExpiresAt.toISOString()}`;
  return null;
}

/**
 * The recipient may hold the offering's tokens. Whitelisting evaluates it too, with
 * `whitelistedOnToken: true` (the state it is about to create), so a wallet the offering does
 * not allow never gets on the token's whitelist, where holders could transfer to it.
 */
export function investorEligible(f: InvestorFacts, now: Date): RequirementResult {
  const code = "OFFSHORE_INVESTOR_ELIGIBLE";
  const no = (reason: string) => result(code, f.investorId, false, reason, f.kycEvidence, f.kycExpiresAt);
  const kyc = kycProblem(f, now);
  if (kyc) return no(kyc);
  if (!f.allowedInvestorClasses.includes(f.investorClass)) {
    return no(`investor class ${f.investorClass} is not among ${f.allowedInvestorClasses.join(", ")}`);
  }
  if (f.blockedJurisdictions.includes(f.jurisdiction)) return no(`jurisdiction ${f.jurisdiction} is blocked for this offering`);
  if (!f.whitelistedOnToken) return no("wallet is not whitelisted on the tranche token");
  return result(
    code,
    f.investorId,
    true,
    "KYC verified, class allowed, jurisdiction open, wallet whitelisted",
    f.kycEvidence,
    f.kycExpiresAt,
  );
}

/** Every onshore requirement of one asset. */
export function evaluateAsset(f: AssetFacts, now: Date): RequirementResult[] {
  return [
    ownershipConfirmed(f),
    securityClassified(f),
    crossBorderAssessed(f, now),
    personalInfoTreated(f, now),
    sandboxValidated(f),
    valuation(f, now),
  ];
}

export function evaluateOffering(f: OfferingFacts, now: Date): RequirementResult[] {
  return [issuerLicensed(f, now), legalOpinion(f, now)];
}
