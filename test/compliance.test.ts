/**
 * The compliance gate: for each requirement code, a scenario in which only that requirement
 * fails is refused by requestMint with exactly that code, and nothing reaches the chain.
 * Investor eligibility is a product rule; attestations expire on the injected clock;
 * dryRunMint reports, encodes and estimates without sending anything.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFunctionData } from "viem";
import { eq } from "drizzle-orm";
import { DataAssetTokenAbi } from "../src/chain/generated/DataAssetToken.js";
import { REQUIREMENT_CODES } from "../src/compliance/table.js";
import { mintRequest } from "../src/minting/table.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, REQUEST_MINT, createActors, ok, type Actors } from "./support/flow.js";
import { COMPLIANCE_REPORT, buildScenario, type Scenario, type ScenarioOptions } from "./support/scenario.js";

const HOUR = 3600_000;
let offsetMs = 0;
let t: TestGateway;
let a: Actors;
beforeAll(async () => {
  t = await startTestGateway({ now: () => new Date(Date.now() + offsetMs) });
  a = await createActors(t);
});
afterAll(async () => t?.close());

const totalSupply = (token: `0x${string}`) =>
  t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "totalSupply" });

/** An issuer organization whose only licence is not SFC Type 9. */
async function unlicensedIssuer(): Promise<Actors> {
  const org = ok<any>(
    await t.gql(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on Organization { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: "Unlicensed AM",
          kind: "ISSUER",
          jurisdiction: "HK",
          licenses: [{ type: "SFC_TYPE_1", number: "X1", validUntil: new Date(Date.now() + 365 * 24 * HOUR).toISOString() }],
        },
      },
      t.adminToken,
    ),
    "createOrganization",
    "Organization",
  );
  return { ...a, issuerOrgId: org.id, issuerToken: await t.tokenFor(["ISSUER"], org.id, "unlicensed") };
}

describe("each requirement alone refuses the mint", () => {
  // `after` breaks the requirement once the scenario stands, for rules that refuse earlier steps too.
  type Breaker = { actors?: Actors; options: ScenarioOptions; after?(s: Scenario): Promise<void> };
  const breakers: Record<(typeof REQUIREMENT_CODES)[number], () => Promise<Breaker>> = {
    ONSHORE_OWNERSHIP_CONFIRMED: async () => ({ options: { ownershipBps: 6000 } }),
    // CORE data is refused where it is packaged (test/access-rules.test.ts); an asset its owner
    // reclassifies CORE once its token is deployed is still refused at the mint.
    ONSHORE_SECURITY_CLASSIFIED: async () => ({
      options: {},
      after: async (s) => {
        ok(
          await t.gql(
            `mutation($input: UpdateDataAssetInput!) { updateDataAsset(input: $input) { __typename ${ERROR_FIELDS} } }`,
            { input: { assetId: s.assetId, securityLevel: "CORE" } },
            a.ownerToken,
          ),
          "updateDataAsset",
          "DataAsset",
        );
      },
    }),
    // IMPORTANT data with a standard contract: attested, but not the security assessment it needs.
    ONSHORE_CROSS_BORDER_ASSESSED: async () => ({ options: { securityLevel: "IMPORTANT", pathway: "STANDARD_CONTRACT" } }),
    ONSHORE_PERSONAL_INFO_TREATED: async () => ({ options: { skipPersonalInfoAttestation: true } }),
    ONSHORE_SANDBOX_VALIDATED: async () => ({ options: { sandboxMismatch: true } }),
    ONSHORE_VALUATION: async () => ({ options: { valuationStatus: "REJECTED" } }),
    OFFSHORE_ISSUER_LICENSED: async () => ({ actors: await unlicensedIssuer(), options: {} }),
    OFFSHORE_LEGAL_OPINION: async () => ({ options: { skipLegalOpinion: true } }),
    // Whitelisting refuses a RETAIL wallet on a DEBT placement, so it is not whitelisted either.
    OFFSHORE_INVESTOR_ELIGIBLE: async () => ({ options: { investorClass: "RETAIL", whitelist: false } }),
  };

  it("has a case for every code of the catalogue", () => {
    expect(Object.keys(breakers).sort()).toEqual([...REQUIREMENT_CODES].sort());
  });

  it("mints when nothing is broken (the baseline the cases deviate from)", async () => {
    const s = await buildScenario(t, a);
    const report = await t.gql(COMPLIANCE_REPORT, { t: s.trancheId, i: s.investorId }, a.issuerToken);
    expect(report.data.complianceReport).toMatchObject({ holds: true, unmetCodes: [] });
    const r = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: "baseline", trancheId: s.trancheId, investorId: s.investorId, amount: "5" } },
      a.issuerToken,
    );
    expect(r.data.requestMint).toMatchObject({ __typename: "MintRequest", status: "REQUESTED" });
  });

  for (const code of REQUIREMENT_CODES) {
    it(`${code}: refused with exactly that code, nothing on chain`, async () => {
      const { actors, options, after } = await breakers[code]();
      const who = actors ?? a;
      const s = await buildScenario(t, who, options);
      await after?.(s);
      const supplyBefore = await totalSupply(s.tokenAddress);
      const r = await t.gql(
        REQUEST_MINT,
        { input: { idempotencyKey: `only-${code}`, trancheId: s.trancheId, investorId: s.investorId, amount: "1000" } },
        who.issuerToken,
      );
      expect(r.data.requestMint.__typename).toBe("ComplianceNotSatisfiedError");
      expect(r.data.requestMint.code).toBe("COMPLIANCE_NOT_SATISFIED");
      expect(r.data.requestMint.unmetCodes).toEqual([code]);
      expect(r.data.requestMint.unmet.every((u: { reason: string }) => u.reason.length > 0)).toBe(true);
      expect(await t.database.db.select().from(mintRequest).where(eq(mintRequest.trancheId, s.trancheId))).toEqual([]);
      expect(await totalSupply(s.tokenAddress)).toBe(supplyBefore);
      expect(supplyBefore).toBe(0n);
    });
  }
});

describe("investor eligibility is a product rule", () => {
  const eligibility = async (options: ScenarioOptions) => {
    const s = await buildScenario(t, a, options);
    const r = await t.gql(COMPLIANCE_REPORT, { t: s.trancheId, i: s.investorId }, a.issuerToken);
    return r.data.complianceReport.requirements.find((x: { code: string }) => x.code === "OFFSHORE_INVESTOR_ELIGIBLE");
  };

  it("refuses a RETAIL investor on a DEBT placement but admits one on a FUND open to RETAIL", async () => {
    // Not whitelisted (whitelisting refuses it); the class is the first reason given.
    expect(await eligibility({ investorClass: "RETAIL", whitelist: false })).toMatchObject({
      holds: false,
      reason: expect.stringContaining("RETAIL"),
    });
    expect(
      await eligibility({ investorClass: "RETAIL", productType: "FUND", allowedInvestorClasses: ["RETAIL", "PROFESSIONAL"] }),
    ).toMatchObject({ holds: true });
  });

  it("refuses a jurisdiction the offering blocks, and an investor not whitelisted on the token", async () => {
    expect(await eligibility({ investorJurisdiction: "US", blockedJurisdictions: ["US"], whitelist: false })).toMatchObject({
      holds: false,
      reason: expect.stringContaining("jurisdiction US"),
    });
    expect(await eligibility({ whitelist: false })).toMatchObject({ holds: false, reason: expect.stringContaining("whitelisted") });
  });

  it("names the KYC expiry, and stops holding once it passes", async () => {
    const kycExpiresAt = new Date(Date.now() + offsetMs + 2 * HOUR);
    const s = await buildScenario(t, a, { kycExpiresAt });
    const read = async () =>
      (await t.gql(COMPLIANCE_REPORT, { t: s.trancheId, i: s.investorId }, a.issuerToken)).data.complianceReport.requirements.find(
        (x: { code: string }) => x.code === "OFFSHORE_INVESTOR_ELIGIBLE",
      );
    expect(await read()).toMatchObject({ holds: true, expiresAt: kycExpiresAt.toISOString() });
    offsetMs += 3 * HOUR;
    try {
      expect(await read()).toMatchObject({ holds: false, reason: expect.stringContaining("KYC expired") });
    } finally {
      offsetMs -= 3 * HOUR;
    }
  });
});

describe("attestations expire", () => {
  it("turns the report from holding to not holding when an attestation expires between two calls", async () => {
    const expiresAt = new Date(Date.now() + offsetMs + HOUR);
    const s = await buildScenario(t, a, { valuationExpiresAt: expiresAt });
    const valuation = async () => {
      const r = await t.gql(COMPLIANCE_REPORT, { a: s.assetId }, a.officerToken);
      return {
        holds: r.data.complianceReport.holds,
        entry: r.data.complianceReport.requirements.find((x: any) => x.code === "ONSHORE_VALUATION"),
      };
    };
    const before = await valuation();
    expect(before.holds).toBe(true);
    expect(before.entry).toMatchObject({
      holds: true,
      expiresAt: expiresAt.toISOString(),
      evidence: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });

    offsetMs += 2 * HOUR; // the injected clock moves; nothing sleeps
    try {
      const after = await valuation();
      expect(after.holds).toBe(false);
      expect(after.entry).toMatchObject({ holds: false, reason: expect.stringContaining("expired") });
      const refused = await t.gql(
        REQUEST_MINT,
        { input: { idempotencyKey: "expired-valuation", trancheId: s.trancheId, investorId: s.investorId, amount: "1" } },
        a.issuerToken,
      );
      expect(refused.data.requestMint.unmetCodes).toEqual(["ONSHORE_VALUATION"]);
    } finally {
      offsetMs -= 2 * HOUR;
    }
  });

  it("accepts IMPORTANT data only with a security ASSESSMENT pathway", async () => {
    const s = await buildScenario(t, a, { securityLevel: "IMPORTANT", pathway: "ASSESSMENT" });
    const r = await t.gql(COMPLIANCE_REPORT, { a: s.assetId }, a.officerToken);
    expect(r.data.complianceReport.requirements.find((x: any) => x.code === "ONSHORE_CROSS_BORDER_ASSESSED")).toMatchObject({
      holds: true,
      reason: expect.stringContaining("ASSESSMENT"),
    });
  });
});

const DRY_RUN = `query($t: ID!, $i: ID!, $amount: String!) {
  dryRunMint(trancheId: $t, investorId: $i, amount: $amount) {
    __typename
    ... on MintDryRun { to from recipient amount calldata gasEstimate simulationError report { holds unmetCodes } }
    ${ERROR_FIELDS}
  }
}`;

describe("dryRunMint", () => {
  it("returns the report, the mint calldata and a gas estimate, and sends nothing", async () => {
    const s = await buildScenario(t, a);
    const amount = "1234500000000000000000";
    const [nonceBefore, blockBefore] = await Promise.all([
      t.chain.publicClient.getTransactionCount({ address: t.chain.account.address, blockTag: "pending" }),
      t.chain.publicClient.getBlockNumber({ cacheTime: 0 }),
    ]);
    const r = await t.gql(DRY_RUN, { t: s.trancheId, i: s.investorId, amount }, a.issuerToken);
    const d = r.data.dryRunMint;
    expect(d).toMatchObject({
      __typename: "MintDryRun",
      to: s.tokenAddress,
      from: t.chain.account.address,
      recipient: s.wallet,
      amount,
      simulationError: null,
      report: { holds: true, unmetCodes: [] },
    });
    expect(d.calldata).toBe(encodeFunctionData({ abi: DataAssetTokenAbi, functionName: "mint", args: [s.wallet, BigInt(amount)] }));
    expect(BigInt(d.gasEstimate)).toBeGreaterThan(21_000n);
    expect(await t.chain.publicClient.getTransactionCount({ address: t.chain.account.address, blockTag: "pending" })).toBe(nonceBefore);
    expect(await t.chain.publicClient.getBlockNumber({ cacheTime: 0 })).toBe(blockBefore);
    expect(await totalSupply(s.tokenAddress)).toBe(0n);
    expect(await t.database.db.select().from(mintRequest).where(eq(mintRequest.trancheId, s.trancheId))).toEqual([]);
  });

  it("reports what blocks the mint and the revert the chain predicts", async () => {
    const s = await buildScenario(t, a, { whitelist: false });
    const r = await t.gql(DRY_RUN, { t: s.trancheId, i: s.investorId, amount: "1" }, a.issuerToken);
    expect(r.data.dryRunMint).toMatchObject({
      gasEstimate: null,
      simulationError: "NotWhitelisted",
      report: { holds: false, unmetCodes: ["OFFSHORE_INVESTOR_ELIGIBLE"] },
    });
  });

  it("is refused to an issuer of another organization", async () => {
    const s = await buildScenario(t, a);
    const other = await unlicensedIssuer();
    const r = await t.gql(DRY_RUN, { t: s.trancheId, i: s.investorId, amount: "1" }, other.issuerToken);
    expect(r.data.dryRunMint).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
  });
});
