/**
 * Bad input answers a typed error with a stable code, and changes nothing in the database.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { count } from "drizzle-orm";
import { SignJWT } from "jose";
import { schema } from "../src/db/index.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  ERROR_FIELDS,
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  digest,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  type Actors,
} from "./support/flow.js";

let t: TestGateway;
let a: Actors;
let trancheId: string;
let investorId: string;

/** Row counts of every table, to show a refused call wrote nothing. */
async function snapshot() {
  const tables = [
    schema.organization,
    schema.dataAsset,
    schema.ownershipRight,
    schema.provenanceActivity,
    schema.complianceAttestation,
    schema.offering,
    schema.tranche,
    schema.investor,
    schema.trancheWhitelist,
    schema.mintRequest,
    schema.job,
  ];
  const counts: number[] = [];
  for (const table of tables) {
    const [row] = await t.database.db.select({ n: count() }).from(table as any);
    counts.push(Number(row!.n));
  }
  return counts;
}

beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
  const asset = await registerApprovedAsset(t, a);
  const offering = await createOfferingWithTranche(t, a, asset.assetId, "1000");
  const investor = await registerVerifiedInvestor(t, a);
  await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
  await deployAndWhitelist(t, a, offering.trancheId, investor.investorId);
  trancheId = offering.trancheId;
  investorId = investor.investorId;
});
afterAll(async () => t?.close());

describe("mint amounts are whole base units written as strings", () => {
  it.each([
    ["negative", "-5"],
    ["fractional", "1.5"],
    ["non-numeric", "abc"],
    ["exponent", "1e3"],
    ["zero", "0"],
    ["empty", ""],
    ["beyond uint256", (2n ** 256n).toString()],
  ])("refuses a %s amount with VALIDATION_FAILED on the amount field", async (_label, amount) => {
    const before = await snapshot();
    const r = await t.gql(REQUEST_MINT, { input: { idempotencyKey: `bad-${amount}`, trancheId, investorId, amount } }, a.issuerToken);
    expect(r.status).toBe(200);
    expect(r.data.requestMint).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(r.data.requestMint.issues.map((i: any) => i.path)).toContain("amount");
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a number (a float) in place of the string at the GraphQL layer", async () => {
    const before = await snapshot();
    const r = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "float", trancheId, investorId, amount: 1.5 } }, a.issuerToken);
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a mint past the tranche's supply cap", async () => {
    const before = await snapshot();
    const r = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "cap", trancheId, investorId, amount: "1001" } }, a.issuerToken);
    expect(r.data.requestMint).toMatchObject({ __typename: "SupplyCapExceededError", code: "SUPPLY_CAP_EXCEEDED" });
    expect(await snapshot()).toEqual(before);
  });
});

describe("addresses, digests and ids", () => {
  it("refuses an invalid wallet address", async () => {
    const before = await snapshot();
    const r = await t.gql(
      `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on ValidationError { code issues { path message } } } }`,
      { input: { did: "did:pkh:eip155:1:0xabc", investorClass: "PROFESSIONAL", jurisdiction: "HK", walletAddress: "0x1234" } },
      a.issuerToken,
    );
    expect(r.data.registerInvestor).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(r.data.registerInvestor.issues[0].path).toBe("walletAddress");
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a content digest that is not a sha256", async () => {
    const before = await snapshot();
    const r = await t.gql(
      `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ${ERROR_FIELDS} } }`,
      { input: { title: "x", category: "C", contentDigest: "0xdeadbeef" } },
      a.ownerToken,
    );
    expect(r.data.registerDataAsset).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(await snapshot()).toEqual(before);
  });

  it("answers NOT_FOUND for an unknown id and VALIDATION_FAILED for a malformed one", async () => {
    const before = await snapshot();
    const unknown = "00000000-0000-4000-8000-000000000000";
    const r1 = await t.gql(REQUEST_MINT, { input: { idempotencyKey: "nf", trancheId: unknown, investorId, amount: "1" } }, a.issuerToken);
    expect(r1.data.requestMint).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    const r2 = await t.gql(`query($id: ID!) { dataAsset(id: $id) { __typename ${ERROR_FIELDS} } }`, { id: unknown });
    expect(r2.data.dataAsset).toMatchObject({ __typename: "NotFoundError", code: "NOT_FOUND" });
    const r3 = await t.gql(`query($id: ID!) { dataAsset(id: $id) { __typename ${ERROR_FIELDS} } }`, { id: "not-a-uuid" });
    expect(r3.data.dataAsset).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(await snapshot()).toEqual(before);
  });
});

describe("credentials", () => {
  const register = `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ${ERROR_FIELDS} } }`;
  const input = { title: "x", category: "C", contentDigest: digest("x") };

  it("answers UNAUTHENTICATED with no token", async () => {
    const before = await snapshot();
    const r = await t.gql(register, { input });
    expect(r.data.registerDataAsset).toMatchObject({ __typename: "UnauthenticatedError", code: "UNAUTHENTICATED" });
    expect(await snapshot()).toEqual(before);
  });

  it("answers UNAUTHENTICATED with a forged token (signed with another secret)", async () => {
    const before = await snapshot();
    const forged = await new SignJWT({ org: a.providerOrgId, roles: ["ASSET_OWNER"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("mallory")
      .setIssuer("data-asset-gateway")
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode("some-other-secret-some-other-secret!!"));
    const r = await t.gql(register, { input }, forged);
    expect(r.data.registerDataAsset).toMatchObject({ __typename: "UnauthenticatedError", code: "UNAUTHENTICATED" });
    const garbage = await t.gql(register, { input }, "not.a.jwt");
    expect(garbage.data.registerDataAsset.code).toBe("UNAUTHENTICATED");
    expect(await snapshot()).toEqual(before);
  });

  it("answers FORBIDDEN to a valid token whose role may not do this", async () => {
    const before = await snapshot();
    const r = await t.gql(register, { input }, a.issuerToken);
    expect(r.data.registerDataAsset).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    expect(await snapshot()).toEqual(before);
  });

  it("answers FORBIDDEN to an owner of another organization writing on an asset", async () => {
    const asset = await registerApprovedAsset(t, a, "Other org's asset");
    const before = await snapshot();
    const stranger = await t.tokenFor(["ASSET_OWNER"], a.issuerOrgId, "stranger");
    const r = await t.gql(
      `mutation($input: RecordOwnershipRightInput!) { recordOwnershipRight(input: $input) { __typename ${ERROR_FIELDS} } }`,
      { input: { assetId: asset.assetId, holderOrgId: a.issuerOrgId, rightType: "RESOURCE_HOLDING", shareBps: 10000 } },
      stranger,
    );
    expect(r.data.recordOwnershipRight).toMatchObject({ __typename: "ForbiddenError", code: "FORBIDDEN" });
    expect(await snapshot()).toEqual(before);
  });
});

describe("lifecycle", () => {
  it("answers INVALID_TRANSITION naming the current state, and leaves the row unchanged", async () => {
    const r0 = await t.gql(
      `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id } } }`,
      { input: { title: "Draft", category: "C", contentDigest: digest("draft") } },
      a.ownerToken,
    );
    const id = r0.data.registerDataAsset.id;
    const r = await t.gql(
      `mutation($id: ID!) { transitionDataAsset(assetId: $id, to: APPROVED) { __typename ... on InvalidTransitionError { code currentStatus requestedStatus } } }`,
      { id },
      a.officerToken,
    );
    expect(r.data.transitionDataAsset).toEqual({
      __typename: "InvalidTransitionError",
      code: "INVALID_TRANSITION",
      currentStatus: "DRAFT",
      requestedStatus: "APPROVED",
    });
    const after = await t.gql(`query($id: ID!) { dataAsset(id: $id) { ... on DataAsset { status } } }`, { id }, a.ownerToken);
    expect(after.data.dataAsset.status).toBe("DRAFT");
  });
});
