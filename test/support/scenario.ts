/**
 * A mint scenario built over GraphQL in which every compliance requirement holds, unless an
 * option breaks one on purpose. Used by the compliance tests ("only this requirement fails").
 */
import { randomUUID } from "node:crypto";
import type { TestGateway } from "./harness.js";
import { ERROR_FIELDS, digest, ok, registerVerifiedInvestor, tryOpenOffering, type Actors } from "./flow.js";

export type ScenarioOptions = {
  securityLevel?: "GENERAL" | "IMPORTANT" | "CORE";
  pathway?: "ASSESSMENT" | "STANDARD_CONTRACT" | "CERTIFICATION" | "EXEMPT";
  /** Attestation expiry for the valuation (to test expiry with the clock). */
  valuationExpiresAt?: Date;
  valuationStatus?: "SATISFIED" | "REJECTED";
  skipPersonalInfoAttestation?: boolean;
  skipLegalOpinion?: boolean;
  ownershipBps?: number;
  /** Sandbox validation output differs from the content digest. */
  sandboxMismatch?: boolean;
  productType?: "FUND" | "DEBT" | "REVENUE_RIGHTS";
  allowedInvestorClasses?: string[];
  blockedJurisdictions?: string[];
  investorClass?: string;
  investorJurisdiction?: string;
  kycExpiresAt?: Date;
  whitelist?: boolean;
};

export type Scenario = {
  assetId: string;
  contentDigest: string;
  offeringId: string;
  trancheId: string;
  tokenAddress: `0x${string}`;
  investorId: string;
  wallet: `0x${string}`;
};

const gqlOk = async (t: TestGateway, token: string, field: string, type: string, query: string, variables: Record<string, unknown>) =>
  ok<any>(await t.gql(query, variables, token), field, type);

export async function buildScenario(t: TestGateway, a: Actors, o: ScenarioOptions = {}): Promise<Scenario> {
  const contentDigest = digest(`asset-${randomUUID()}`);
  const asset = await gqlOk(
    t,
    a.ownerToken,
    "registerDataAsset",
    "DataAsset",
    `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id } ${ERROR_FIELDS} } }`,
    {
      input: {
        title: "Scenario asset",
        category: "LOGISTICS",
        contentDigest,
        securityLevel: o.securityLevel ?? "GENERAL",
        containsPersonalInfo: true,
        personalInfoTreatment: "DEIDENTIFIED",
      },
    },
  );
  const assetId: string = asset.id;
  for (const [to, token] of [
    ["SUBMITTED", a.ownerToken],
    ["IN_REVIEW", a.officerToken],
    ["APPROVED", a.officerToken],
  ] as const) {
    await gqlOk(
      t,
      token,
      "transitionDataAsset",
      "DataAsset",
      `mutation($id: ID!, $to: AssetStatus!) { transitionDataAsset(assetId: $id, to: $to) { __typename ... on DataAsset { status } ${ERROR_FIELDS} } }`,
      { id: assetId, to },
    );
  }
  // A partial holding cannot be on record (shares of a right type sum to exactly 10000 bps, or 0):
  // a scenario asking for less than 10000 leaves RESOURCE_HOLDING unrecorded, which the requirement refuses too.
  if ((o.ownershipBps ?? 10000) >= 10000)
    await gqlOk(
      t,
      a.ownerToken,
      "recordOwnershipRight",
      "OwnershipRight",
      `mutation($input: RecordOwnershipRightInput!) { recordOwnershipRight(input: $input) { __typename ... on OwnershipRight { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          assetId,
          holderOrgId: a.providerOrgId,
          rightType: "RESOURCE_HOLDING",
          shareBps: o.ownershipBps ?? 10000,
          certificateNumber: "SH-DR-1",
        },
      },
    );
  await gqlOk(
    t,
    a.ownerToken,
    "recordProvenanceActivity",
    "ProvenanceActivity",
    `mutation($input: RecordProvenanceActivityInput!) { recordProvenanceActivity(input: $input) { __typename ... on ProvenanceActivity { id } ${ERROR_FIELDS} } }`,
    {
      input: {
        assetId,
        kind: "SANDBOX_VALIDATION",
        startedAt: new Date(Date.now() - 3600_000).toISOString(),
        inputs: [{ sourceUri: "s3://raw/x.parquet", digest: digest("raw") }],
        outputDigest: o.sandboxMismatch ? digest("something else") : contentDigest,
      },
    },
  );
  const attest = (input: Record<string, unknown>) =>
    gqlOk(
      t,
      a.officerToken,
      "attestCompliance",
      "ComplianceAttestation",
      `mutation($input: AttestComplianceInput!) { attestCompliance(input: $input) { __typename ... on ComplianceAttestation { id } ${ERROR_FIELDS} } }`,
      { input },
    );
  await attest({
    subjectId: assetId,
    requirementCode: "ONSHORE_CROSS_BORDER_ASSESSED",
    status: "SATISFIED",
    pathway: o.pathway ?? "STANDARD_CONTRACT",
    evidenceDigest: digest("scc"),
  });
  if (!o.skipPersonalInfoAttestation) {
    await attest({
      subjectId: assetId,
      requirementCode: "ONSHORE_PERSONAL_INFO_TREATED",
      status: "SATISFIED",
      evidenceDigest: digest("deid"),
    });
  }
  const valuationStatus = o.valuationStatus ?? "SATISFIED";
  await attest({
    subjectId: assetId,
    requirementCode: "ONSHORE_VALUATION",
    status: valuationStatus,
    ...(valuationStatus === "SATISFIED" ? { evidenceDigest: digest("valuation") } : {}),
    ...(o.valuationExpiresAt ? { expiresAt: o.valuationExpiresAt.toISOString() } : {}),
  });

  const offering = await gqlOk(
    t,
    a.issuerToken,
    "createOffering",
    "Offering",
    `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id tranches { id } } ${ERROR_FIELDS} } }`,
    {
      input: {
        name: "Scenario note",
        productType: o.productType ?? "DEBT",
        assetIds: [assetId],
        allowedInvestorClasses: o.allowedInvestorClasses ?? ["PROFESSIONAL", "INSTITUTIONAL"],
        blockedJurisdictions: o.blockedJurisdictions ?? ["KP"],
        currency: "USD",
        termsDigest: digest("terms"),
        tranche: { name: "Senior", seniority: "SENIOR", supplyCap: "1000000000000000000000000", tokenName: "Scenario", tokenSymbol: "SCN" },
      },
    },
  );
  const offeringId: string = offering.id;
  const trancheId: string = offering.tranches[0].id;
  if (!o.skipLegalOpinion) {
    await attest({
      subjectId: offeringId,
      requirementCode: "OFFSHORE_LEGAL_OPINION",
      status: "SATISFIED",
      evidenceDigest: digest("opinion"),
    });
  }
  const tranche = await gqlOk(
    t,
    a.issuerToken,
    "deployTrancheToken",
    "Tranche",
    `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress } ${ERROR_FIELDS} } }`,
    { id: trancheId },
  );
  const { investorId, wallet } = await registerVerifiedInvestor(t, a, o.investorClass ?? "PROFESSIONAL", {
    jurisdiction: o.investorJurisdiction,
    kycExpiresAt: o.kycExpiresAt,
  });
  if (o.whitelist !== false) {
    await gqlOk(
      t,
      a.issuerToken,
      "whitelistInvestor",
      "WhitelistEntry",
      `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) { __typename ... on WhitelistEntry { txHash } ${ERROR_FIELDS} } }`,
      { t: trancheId, i: investorId },
    );
  }
  // Opened once ready (a skipped legal opinion keeps it DRAFT: the mint names the requirement first).
  await tryOpenOffering(t, a.issuerToken, offeringId);
  return { assetId, contentDigest, offeringId, trancheId, tokenAddress: tranche.tokenAddress, investorId, wallet };
}

export const COMPLIANCE_REPORT = `query($t: ID, $i: ID, $a: ID) {
  complianceReport(trancheId: $t, investorId: $i, assetId: $a) {
    __typename
    ... on ComplianceReport { holds unmetCodes requirements { code subjectId holds reason evidence expiresAt } }
    ... on Error { code message }
  }
}`;
