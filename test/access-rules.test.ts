/**
 * Issue 13, access holes: investor facts follow one read rule; one asset backs at most one
 * live offering (race-safe); `offering { assets }` follows `dataAsset`'s visibility; CORE data
 * is refused where it is packaged; whitelisting applies the offering's eligibility rule, and the
 * chain agrees (the wallet is not whitelisted, a holder's transfer to it reverts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Address } from "viem";
import { DataAssetTokenAbi } from "../src/chain/generated/DataAssetToken.js";
import { offeringAsset } from "../src/offerings/table.js";
import { trancheWhitelist } from "../src/investors/table.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  ERROR_FIELDS,
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  digest,
  ok,
  registerApprovedAsset,
  registerVerifiedInvestor,
  waitForMint,
  type Actors,
} from "./support/flow.js";
import { COMPLIANCE_REPORT, buildScenario } from "./support/scenario.js";
import { registerInvestorWithKey, transferAs, whitelist } from "./support/indexer.js";

let t: TestGateway;
let a: Actors;
/** An ISSUER of another licensed issuer organization. */
let otherIssuerToken: string;
beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
  const org = ok<any>(
    await t.gql(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on Organization { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: "Rival AM",
          kind: "ISSUER",
          jurisdiction: "HK",
          licenses: [{ type: "SFC_TYPE_9", number: "RIV9", validUntil: new Date(Date.now() + 365 * 24 * 3600_000).toISOString() }],
        },
      },
      t.adminToken,
    ),
    "createOrganization",
    "Organization",
  );
  otherIssuerToken = await t.tokenFor(["ISSUER"], org.id, "rival-issuer");
});
afterAll(async () => t?.close());

const CREATE_OFFERING = `mutation($input: CreateOfferingInput!) {
  createOffering(input: $input) {
    __typename
    ... on Offering { id }
    ... on AssetAlreadyOfferedError { assetId offeringId }
    ... on ComplianceNotSatisfiedError { unmetCodes unmet { code subjectId reason } }
    ${ERROR_FIELDS}
  }
}`;
const offeringInput = (assetId: string) => ({
  name: "Second note",
  productType: "DEBT",
  assetIds: [assetId],
  allowedInvestorClasses: ["PROFESSIONAL"],
  currency: "USD",
  termsDigest: digest("other terms"),
  tranche: { name: "Senior", seniority: "SENIOR", supplyCap: "1000", tokenName: "Second", tokenSymbol: "SEC" },
});
const packageAsset = async (assetId: string, token: string) =>
  (await t.gql(CREATE_OFFERING, { input: offeringInput(assetId) }, token)).data.createOffering;
const transition = async (id: string, to: string) =>
  ok(
    await t.gql(
      `mutation($id: ID!, $to: AssetStatus!) { transitionDataAsset(assetId: $id, to: $to) { __typename ${ERROR_FIELDS} } }`,
      { id, to },
      a.officerToken,
    ),
    "transitionDataAsset",
    "DataAsset",
  );
const offeringsOf = async (assetId: string) =>
  (await t.database.db.select().from(offeringAsset).where(eq(offeringAsset.assetId, assetId))).map((r) => r.offeringId);

describe("investor facts follow the investor(id) rule", () => {
  it("complianceReport with an investor answers as investor(id) does: nothing about KYC to anonymous callers or asset owners", async () => {
    const s = await buildScenario(t, a);
    const INVESTOR = `query($id: ID!) { investor(id: $id) { __typename ${ERROR_FIELDS} } }`;
    for (const [token, expected] of [
      [undefined, "UnauthenticatedError"],
      [a.ownerToken, "ForbiddenError"],
      [a.issuerToken, null],
      [a.officerToken, null],
    ] as const) {
      const report = await t.gql(COMPLIANCE_REPORT, { t: s.trancheId, i: s.investorId }, token);
      const direct = await t.gql(INVESTOR, { id: s.investorId }, token);
      expect(report.data.complianceReport.__typename).toBe(expected ?? "ComplianceReport");
      expect(direct.data.investor.__typename).toBe(expected ?? "Investor");
      if (expected) expect(JSON.stringify(report)).not.toMatch(/KYC|PROFESSIONAL|HK/);
    }
    // Refused before the id is even read: a malformed or unknown id answers the same.
    for (const i of ["not-a-uuid", randomUUID()]) {
      expect((await t.gql(COMPLIANCE_REPORT, { t: s.trancheId, i }, a.ownerToken)).data.complianceReport.__typename).toBe("ForbiddenError");
    }
    // Without an investor, the tranche's report stays public.
    expect((await t.gql(COMPLIANCE_REPORT, { t: s.trancheId }, undefined)).data.complianceReport).toMatchObject({ holds: true });
  });
});

describe("mint requests show their investor only to investor readers", () => {
  it("answers investor null, not an error that nulls the request, for a member of the issuer's organization without a reader role", async () => {
    const s = await buildScenario(t, a);
    const mint = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "3" } },
      a.issuerToken,
    );
    const id = mint.data.requestMint.id;
    const LIST = `query($trancheId: ID) { mintRequests(first: 5, filter: { trancheId: $trancheId }) { edges { node { id investor { id kycStatus } } } } }`;
    const asIssuer = await t.gql(LIST, { trancheId: s.trancheId }, a.issuerToken);
    expect(asIssuer.errors).toBeUndefined();
    expect(asIssuer.data.mintRequests.edges).toEqual([{ node: { id, investor: { id: s.investorId, kycStatus: expect.any(String) } } }]);
    const colleague = await t.tokenFor(["ASSET_OWNER"], a.issuerOrgId, "issuer-org-data-owner");
    const asColleague = await t.gql(LIST, { trancheId: s.trancheId }, colleague);
    expect(asColleague.errors).toBeUndefined();
    expect(asColleague.data.mintRequests.edges).toEqual([{ node: { id, investor: null } }]);
  });
});

describe("one asset backs at most one live offering", () => {
  it("refuses another issuer packaging an asset already OFFERED or TOKENIZED, and no second token anchors it", async () => {
    const s = await buildScenario(t, a); // packaged, token deployed
    const mint = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "5" } },
      a.issuerToken,
    );
    expect((await waitForMint(t, a.issuerToken, mint.data.requestMint.id)).status).toBe("CONFIRMED");
    const status = async () =>
      (await t.gql(`query($id: ID!) { dataAsset(id: $id) { __typename ... on DataAsset { status } } }`, { id: s.assetId })).data.dataAsset
        .status;
    expect(await status()).toBe("TOKENIZED");
    for (const token of [otherIssuerToken, a.issuerToken]) {
      expect(await packageAsset(s.assetId, token)).toEqual({
        __typename: "AssetAlreadyOfferedError",
        assetId: s.assetId,
        offeringId: s.offeringId,
        code: "ASSET_ALREADY_OFFERED",
        message: expect.any(String),
      });
    }
    expect(await offeringsOf(s.assetId)).toEqual([s.offeringId]);

    // OFFERED (no token yet) too.
    const { assetId } = await registerApprovedAsset(t, a);
    const first = await createOfferingWithTranche(t, a, assetId);
    expect(await packageAsset(assetId, otherIssuerToken)).toMatchObject({
      __typename: "AssetAlreadyOfferedError",
      offeringId: first.offeringId,
    });
  });

  it("still refuses it after a suspension puts the asset back to APPROVED: the first offering is still live", async () => {
    const { assetId } = await registerApprovedAsset(t, a);
    const first = await createOfferingWithTranche(t, a, assetId);
    await transition(assetId, "SUSPENDED");
    await transition(assetId, "APPROVED");
    expect(await packageAsset(assetId, otherIssuerToken)).toMatchObject({
      __typename: "AssetAlreadyOfferedError",
      offeringId: first.offeringId,
    });
    expect(await offeringsOf(assetId)).toEqual([first.offeringId]);
  });

  it("lets exactly one of two concurrent packagings of one asset win", async () => {
    for (let round = 0; round < 3; round++) {
      const { assetId } = await registerApprovedAsset(t, a);
      const answers = await Promise.all([packageAsset(assetId, a.issuerToken), packageAsset(assetId, otherIssuerToken)]);
      const won = answers.filter((x) => x.__typename === "Offering");
      expect(won, JSON.stringify(answers)).toHaveLength(1);
      expect(answers.find((x) => x.__typename !== "Offering")).toMatchObject({
        __typename: "AssetAlreadyOfferedError",
        offeringId: won[0].id,
      });
      expect(await offeringsOf(assetId)).toEqual([won[0].id]);
    }
  });
});

describe("offering { assets } follows dataAsset's visibility", () => {
  it("hides a SUSPENDED asset from those to whom dataAsset answers NotFound", async () => {
    const { assetId } = await registerApprovedAsset(t, a, "Suspended port data");
    const { offeringId } = await createOfferingWithTranche(t, a, assetId);
    await transition(assetId, "SUSPENDED");
    const OFFERING = `query($id: ID!) { offering(id: $id) { __typename ... on Offering { assets { id title contentDigest } } } }`;
    const DATA_ASSET = `query($id: ID!) { dataAsset(id: $id) { __typename } }`;
    for (const [token, sees] of [
      [undefined, false],
      [a.issuerToken, false],
      [otherIssuerToken, false],
      [a.ownerToken, true],
      [a.officerToken, true],
    ] as const) {
      const listed = (await t.gql(OFFERING, { id: offeringId }, token)).data.offering.assets.map((x: { id: string }) => x.id);
      const direct = (await t.gql(DATA_ASSET, { id: assetId }, token)).data.dataAsset.__typename;
      expect({ listed, direct }).toEqual(sees ? { listed: [assetId], direct: "DataAsset" } : { listed: [], direct: "NotFoundError" });
    }
  });
});

describe("CORE data is refused where it is packaged", () => {
  it("answers createOffering with the requirement's code, as the mint would, and leaves the asset APPROVED", async () => {
    const s = await buildScenario(t, a); // a whole offering beside it, to read the mint refusal's code
    const core = ok<any>(
      await t.gql(
        `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id } ${ERROR_FIELDS} } }`,
        { input: { title: "Grid dispatch", category: "ENERGY", contentDigest: digest(randomUUID()), securityLevel: "CORE" } },
        a.ownerToken,
      ),
      "registerDataAsset",
      "DataAsset",
    ).id as string;
    for (const [to, token] of [
      ["SUBMITTED", a.ownerToken],
      ["IN_REVIEW", a.officerToken],
      ["APPROVED", a.officerToken],
    ] as const) {
      ok(
        await t.gql(
          `mutation($id: ID!, $to: AssetStatus!) { transitionDataAsset(assetId: $id, to: $to) { __typename ${ERROR_FIELDS} } }`,
          { id: core, to },
          token,
        ),
        "transitionDataAsset",
        "DataAsset",
      );
    }
    const refused = await packageAsset(core, a.issuerToken);
    expect(refused).toMatchObject({
      __typename: "ComplianceNotSatisfiedError",
      code: "COMPLIANCE_NOT_SATISFIED",
      unmetCodes: ["ONSHORE_SECURITY_CLASSIFIED"],
      unmet: [{ code: "ONSHORE_SECURITY_CLASSIFIED", subjectId: core, reason: "CORE data can never be tokenized" }],
    });
    expect(await offeringsOf(core)).toEqual([]);
    expect(
      (await t.gql(`query($id: ID!) { dataAsset(id: $id) { ... on DataAsset { status } } }`, { id: core })).data.dataAsset.status,
    ).toBe("APPROVED");

    // The same code a mint refusal names for an asset reclassified CORE after its token was deployed.
    ok(
      await t.gql(
        `mutation($input: UpdateDataAssetInput!) { updateDataAsset(input: $input) { __typename ${ERROR_FIELDS} } }`,
        { input: { assetId: s.assetId, securityLevel: "CORE" } },
        a.ownerToken,
      ),
      "updateDataAsset",
      "DataAsset",
    );
    const mint = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "1" } },
      a.issuerToken,
    );
    expect(mint.data.requestMint).toMatchObject({ code: refused.code, unmetCodes: refused.unmetCodes });
  });

  it("refuses to deploy a token for an offering whose asset became CORE after it was packaged", async () => {
    const { assetId } = await registerApprovedAsset(t, a);
    const { offeringId, trancheId } = await createOfferingWithTranche(t, a, assetId);
    ok(
      await t.gql(
        `mutation($input: UpdateDataAssetInput!) { updateDataAsset(input: $input) { __typename ${ERROR_FIELDS} } }`,
        { input: { assetId, securityLevel: "CORE" } },
        a.ownerToken,
      ),
      "updateDataAsset",
      "DataAsset",
    );
    const r = await t.gql(
      `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress } ... on ComplianceNotSatisfiedError { unmetCodes } ${ERROR_FIELDS} } }`,
      { id: trancheId },
      a.issuerToken,
    );
    expect(r.data.deployTrancheToken).toMatchObject({
      __typename: "ComplianceNotSatisfiedError",
      unmetCodes: ["ONSHORE_SECURITY_CLASSIFIED"],
    });
    const tranche = await t.gql(`query($id: ID!) { offering(id: $id) { ... on Offering { tranches { tokenAddress } } } }`, {
      id: offeringId,
    });
    expect(tranche.data.offering.tranches).toEqual([{ tokenAddress: null }]);
  });
});

describe("whitelisting applies the offering's eligibility rule", () => {
  const WHITELIST = `mutation($t: ID!, $i: ID!) {
    whitelistInvestor(trancheId: $t, investorId: $i) {
      __typename
      ... on WhitelistEntry { txHash }
      ... on ComplianceNotSatisfiedError { unmetCodes unmet { code subjectId reason } }
      ${ERROR_FIELDS}
    }
  }`;
  const isWhitelisted = (token: Address, wallet: Address) =>
    t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "isWhitelisted", args: [wallet] });

  it("refuses a RETAIL investor on a professional-only DEBT offering and a blocked jurisdiction; the chain never admits them", async () => {
    const s = await buildScenario(t, a, { blockedJurisdictions: ["KP", "US"] });
    // An eligible holder with tokens and gas.
    const holder = await registerInvestorWithKey(t, a);
    await whitelist(t, a, s.trancheId, holder.investorId);
    const mint = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: holder.investorId, amount: "100" } },
      a.issuerToken,
    );
    expect((await waitForMint(t, a.issuerToken, mint.data.requestMint.id)).status).toBe("CONFIRMED");

    const retail = await registerVerifiedInvestor(t, a, "RETAIL");
    const blocked = await registerVerifiedInvestor(t, a, "PROFESSIONAL", { jurisdiction: "US" });
    for (const [investor, why] of [
      [retail, "investor class RETAIL is not among PROFESSIONAL, INSTITUTIONAL"],
      [blocked, "jurisdiction US is blocked for this offering"],
    ] as const) {
      for (const token of [a.issuerToken, a.officerToken]) {
        const r = await t.gql(WHITELIST, { t: s.trancheId, i: investor.investorId }, token);
        expect(r.data.whitelistInvestor).toMatchObject({
          __typename: "ComplianceNotSatisfiedError",
          code: "COMPLIANCE_NOT_SATISFIED",
          unmetCodes: ["OFFSHORE_INVESTOR_ELIGIBLE"],
          unmet: [{ code: "OFFSHORE_INVESTOR_ELIGIBLE", subjectId: investor.investorId, reason: why }],
        });
      }
      expect(await isWhitelisted(s.tokenAddress, investor.wallet)).toBe(false);
      expect(await t.database.db.select().from(trancheWhitelist).where(eq(trancheWhitelist.investorId, investor.investorId))).toEqual([]);
      await expect(transferAs(t, holder.account, s.tokenAddress, investor.wallet, 1n)).rejects.toThrow(/NotWhitelisted/);
    }
    // The eligible counterpart is admitted, on chain too, and the holder can pay it.
    const eligible = await registerVerifiedInvestor(t, a, "INSTITUTIONAL");
    expect((await t.gql(WHITELIST, { t: s.trancheId, i: eligible.investorId }, a.issuerToken)).data.whitelistInvestor.__typename).toBe(
      "WhitelistEntry",
    );
    expect(await isWhitelisted(s.tokenAddress, eligible.wallet)).toBe(true);
    await transferAs(t, holder.account, s.tokenAddress, eligible.wallet, 1n);
  });
});
