/**
 * The requirement catalogue's pure functions, over facts built in the test and an explicit
 * `now`: boundaries of expiry, the CORE and IMPORTANT rules, which attestation counts.
 */
import { describe, expect, it } from "vitest";
import {
  REQUIREMENT_CATALOGUE,
  crossBorderAssessed,
  evaluateAsset,
  investorEligible,
  issuerLicensed,
  ownershipConfirmed,
  securityClassified,
  type AssetFacts,
  type Attestation,
  type InvestorFacts,
} from "../src/compliance/requirements.js";
import { REQUIREMENT_CODES } from "../src/compliance/table.js";

const NOW = new Date("2026-06-01T00:00:00Z");
const at = (iso: string) => new Date(iso);
const DIGEST = `0x${"ab".repeat(32)}`;

function attestation(o: Partial<Attestation>): Attestation {
  return {
    id: crypto.randomUUID(),
    subjectType: "ASSET",
    subjectId: "asset-1",
    requirementCode: "ONSHORE_CROSS_BORDER_ASSESSED",
    status: "SATISFIED",
    pathway: "STANDARD_CONTRACT",
    evidenceDigest: DIGEST,
    attestedBy: "officer",
    attestedByOrgId: "org",
    attestedAt: at("2026-05-01T00:00:00Z"),
    expiresAt: null,
    note: null,
    createdAt: at("2026-05-01T00:00:00Z"),
    ...o,
  };
}

function assetFacts(o: { securityLevel?: string | null; attestations?: Attestation[]; rights?: any[] } = {}): AssetFacts {
  return {
    asset: {
      id: "asset-1",
      securityLevel: o.securityLevel === undefined ? "GENERAL" : o.securityLevel,
      containsPersonalInfo: false,
      personalInfoTreatment: "NONE",
      contentDigest: DIGEST,
    } as any,
    activeRights: o.rights ?? [],
    activities: [],
    attestations: o.attestations ?? [],
  };
}

describe("catalogue", () => {
  it("describes every requirement code as data", () => {
    expect(Object.keys(REQUIREMENT_CATALOGUE).sort()).toEqual([...REQUIREMENT_CODES].sort());
    expect(evaluateAsset(assetFacts(), NOW).map((r) => r.code)).toEqual(
      REQUIREMENT_CODES.filter((c) => REQUIREMENT_CATALOGUE[c].subject === "ASSET"),
    );
  });
});

describe("ONSHORE_CROSS_BORDER_ASSESSED", () => {
  it("holds until the instant the attestation expires", () => {
    const f = assetFacts({ attestations: [attestation({ expiresAt: at("2026-06-01T00:00:01Z") })] });
    expect(crossBorderAssessed(f, NOW)).toMatchObject({ holds: true, evidence: DIGEST, expiresAt: at("2026-06-01T00:00:01Z") });
    expect(crossBorderAssessed(f, at("2026-06-01T00:00:01Z"))).toMatchObject({ holds: false, reason: expect.stringContaining("expired") });
  });

  it("counts the latest attestation: a later rejection undoes an earlier satisfaction", () => {
    const f = assetFacts({
      attestations: [attestation({}), attestation({ status: "REJECTED", evidenceDigest: null, attestedAt: at("2026-05-02T00:00:00Z") })],
    });
    expect(crossBorderAssessed(f, NOW)).toMatchObject({ holds: false, reason: "latest attestation is REJECTED" });
  });

  it("needs a reason for EXEMPT, and a security ASSESSMENT for IMPORTANT data", () => {
    expect(crossBorderAssessed(assetFacts({ attestations: [attestation({ pathway: "EXEMPT" })] }), NOW).holds).toBe(false);
    expect(
      crossBorderAssessed(assetFacts({ attestations: [attestation({ pathway: "EXEMPT", note: "below threshold" })] }), NOW).holds,
    ).toBe(true);
    for (const pathway of ["STANDARD_CONTRACT", "CERTIFICATION", "EXEMPT"] as const) {
      const f = assetFacts({ securityLevel: "IMPORTANT", attestations: [attestation({ pathway, note: "x" })] });
      expect(crossBorderAssessed(f, NOW)).toMatchObject({ holds: false, reason: expect.stringContaining("ASSESSMENT") });
    }
    const assessed = assetFacts({ securityLevel: "IMPORTANT", attestations: [attestation({ pathway: "ASSESSMENT" })] });
    expect(crossBorderAssessed(assessed, NOW).holds).toBe(true);
  });

  it("does not count a satisfied attestation without evidence", () => {
    expect(crossBorderAssessed(assetFacts({ attestations: [attestation({ evidenceDigest: null })] }), NOW).holds).toBe(false);
  });
});

describe("ONSHORE_SECURITY_CLASSIFIED", () => {
  it("never holds for CORE data, whatever is attested", () => {
    const everything = REQUIREMENT_CODES.map((requirementCode) => attestation({ requirementCode, pathway: "ASSESSMENT" }));
    expect(securityClassified(assetFacts({ securityLevel: "CORE", attestations: everything }))).toMatchObject({
      holds: false,
      reason: "CORE data can never be tokenized",
    });
    expect(securityClassified(assetFacts({ securityLevel: null })).holds).toBe(false);
    expect(securityClassified(assetFacts({ securityLevel: "IMPORTANT" }))).toMatchObject({ holds: true, evidence: "IMPORTANT" });
  });
});

describe("ONSHORE_OWNERSHIP_CONFIRMED", () => {
  it("names the certificates and expires with the first right to lapse", () => {
    const rights = [
      { rightType: "RESOURCE_HOLDING", shareBps: 6000, certificateNumber: "A", validUntil: at("2027-01-01T00:00:00Z") },
      { rightType: "RESOURCE_HOLDING", shareBps: 4000, certificateNumber: "B", validUntil: at("2026-09-01T00:00:00Z") },
      { rightType: "PROCESSING_USE", shareBps: 10000, certificateNumber: null, validUntil: null },
    ];
    expect(ownershipConfirmed(assetFacts({ rights }))).toMatchObject({
      holds: true,
      evidence: "A,B",
      expiresAt: at("2026-09-01T00:00:00Z"),
    });
    expect(ownershipConfirmed(assetFacts({ rights: [{ ...rights[0], shareBps: 10000, certificateNumber: null }] })).holds).toBe(false);
  });
});

describe("OFFSHORE_ISSUER_LICENSED", () => {
  it("holds with an SFC Type 9 licence valid at evaluation time only", () => {
    const f = {
      offeringId: "o",
      attestations: [],
      issuerLicenses: [{ type: "SFC_TYPE_9", number: "BQR1", validUntil: at("2026-07-01T00:00:00Z") }] as any,
    };
    expect(issuerLicensed(f, NOW)).toMatchObject({ holds: true, evidence: "BQR1", expiresAt: at("2026-07-01T00:00:00Z") });
    expect(issuerLicensed(f, at("2026-07-01T00:00:00Z")).holds).toBe(false);
    expect(issuerLicensed({ ...f, issuerLicenses: [{ ...f.issuerLicenses[0], type: "SFC_TYPE_1" }] }, NOW).holds).toBe(false);
  });
});

describe("OFFSHORE_INVESTOR_ELIGIBLE", () => {
  const eligible: InvestorFacts = {
    investorId: "i",
    kycStatus: "VERIFIED",
    kycExpiresAt: at("2026-12-01T00:00:00Z"),
    kycEvidence: DIGEST,
    investorClass: "PROFESSIONAL",
    jurisdiction: "HK",
    allowedInvestorClasses: ["PROFESSIONAL", "INSTITUTIONAL"],
    blockedJurisdictions: ["KP"],
    whitelistedOnToken: true,
  };
  it.each([
    [{}, true, "KYC verified"],
    [{ kycStatus: "REVOKED" }, false, "KYC is REVOKED"],
    [{ kycExpiresAt: NOW }, false, "KYC expired"],
    [{ investorClass: "RETAIL" }, false, "RETAIL is not among"],
    [{ allowedInvestorClasses: ["RETAIL", "PROFESSIONAL"], investorClass: "RETAIL" }, true, "class allowed"],
    [{ jurisdiction: "KP" }, false, "jurisdiction KP is blocked"],
    [{ whitelistedOnToken: false }, false, "not whitelisted"],
  ] as const)("%j → holds %s", (change, holds, reason) => {
    expect(investorEligible({ ...eligible, ...(change as Partial<InvestorFacts>) }, NOW)).toMatchObject({
      holds,
      reason: expect.stringContaining(reason),
      evidence: DIGEST,
    });
  });
});
