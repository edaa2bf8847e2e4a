/**
 * The main flow as GraphQL operations, driven over HTTP: organizations, an approved asset,
 * an offering with a deployed token and a KYC-verified investor. Shared by tests that need
 * a tranche ready to mint.
 */
import { createHash, randomUUID } from "node:crypto";
import { privateKeyToAccount, generatePrivateKey, type PrivateKeyAccount } from "viem/accounts";
import type { TestGateway } from "./harness.js";

/** What the flow needs of a gateway: GraphQL over HTTP and tokens (a TestGateway, or a gateway in a child process). */
export type GatewayClient = Pick<TestGateway, "gql" | "adminToken" | "tokenFor">;

export const digest = (text: string) => `0x${createHash("sha256").update(text).digest("hex")}`;

/** Asserts a mutation answered its success type (not an error member) and returns it. */
export function ok<T extends { __typename: string }>(result: { data?: any; errors?: unknown }, field: string, typename: string): T {
  if (result.errors) throw new Error(`${field}: GraphQL errors ${JSON.stringify(result.errors)}`);
  const value = result.data?.[field];
  if (value?.__typename !== typename) throw new Error(`${field}: expected ${typename}, got ${JSON.stringify(value)}`);
  return value as T;
}

export const ERROR_FIELDS = `... on Error { __typename code message }`;

export type Actors = {
  ownerToken: string;
  officerToken: string;
  issuerToken: string;
  providerOrgId: string;
  exchangeOrgId: string;
  issuerOrgId: string;
};

export async function createActors(t: GatewayClient): Promise<Actors> {
  const create = async (input: Record<string, unknown>) =>
    ok<{ __typename: string; id: string }>(
      await t.gql(
        `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on Organization { id } ${ERROR_FIELDS} } }`,
        { input },
        t.adminToken,
      ),
      "createOrganization",
      "Organization",
    ).id;
  const nextYear = new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString();
  const providerOrgId = await create({ name: "Port Data Co.", kind: "DATA_PROVIDER", jurisdiction: "CN" });
  const exchangeOrgId = await create({ name: "Data Exchange", kind: "DATA_EXCHANGE", jurisdiction: "CN" });
  const issuerOrgId = await create({
    name: "Harbour AM",
    kind: "ISSUER",
    jurisdiction: "HK",
    licenses: [{ type: "SFC_TYPE_9", number: "BQR123", validUntil: nextYear }],
  });
  return {
    providerOrgId,
    exchangeOrgId,
    issuerOrgId,
    ownerToken: await t.tokenFor(["ASSET_OWNER"], providerOrgId, "owner"),
    officerToken: await t.tokenFor(["COMPLIANCE_OFFICER"], exchangeOrgId, "officer"),
    issuerToken: await t.tokenFor(["ISSUER"], issuerOrgId, "issuer"),
  };
}

export async function registerApprovedAsset(t: GatewayClient, a: Actors, title = "Port logistics 2025") {
  const contentDigest = digest(`${title}-${randomUUID()}`);
  const asset = ok<{ __typename: string; id: string; status: string }>(
    await t.gql(
      `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id status contentDigest } ${ERROR_FIELDS} } }`,
      {
        input: {
          title,
          category: "LOGISTICS",
          tags: ["port", "shipping"],
          contentDigest,
          securityLevel: "GENERAL",
          containsPersonalInfo: true,
          personalInfoTreatment: "DEIDENTIFIED",
          recordCount: "1200000",
        },
      },
      a.ownerToken,
    ),
    "registerDataAsset",
    "DataAsset",
  );
  const move = (to: string, token: string) =>
    t.gql(
      `mutation($id: ID!, $to: AssetStatus!) { transitionDataAsset(assetId: $id, to: $to) { __typename ... on DataAsset { status } ${ERROR_FIELDS} } }`,
      { id: asset.id, to },
      token,
    );
  ok(await move("SUBMITTED", a.ownerToken), "transitionDataAsset", "DataAsset");
  ok(await move("IN_REVIEW", a.officerToken), "transitionDataAsset", "DataAsset");
  ok(await move("APPROVED", a.officerToken), "transitionDataAsset", "DataAsset");
  return { assetId: asset.id, contentDigest };
}

export async function createOfferingWithTranche(t: GatewayClient, a: Actors, assetId: string, supplyCap = "1000000000000000000000000") {
  const offering = ok<{ __typename: string; id: string; tranches: { id: string }[] }>(
    await t.gql(
      `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id tranches { id } } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: "Port Data Note 2027",
          productType: "DEBT",
          assetIds: [assetId],
          allowedInvestorClasses: ["PROFESSIONAL", "INSTITUTIONAL"],
          blockedJurisdictions: ["KP"],
          currency: "USD",
          termsDigest: digest("terms"),
          tranche: { name: "Senior", seniority: "SENIOR", couponBps: 450, supplyCap, tokenName: "Port Data Senior", tokenSymbol: "PDSNR" },
        },
      },
      a.issuerToken,
    ),
    "createOffering",
    "Offering",
  );
  return { offeringId: offering.id, trancheId: offering.tranches[0]!.id };
}

/** Proves control of the investor's wallet with Sign-In with Ethereum (needed before whitelisting). */
export async function proveWallet(t: GatewayClient, token: string, investorId: string, account: PrivateKeyAccount) {
  const challenge = ok<{ __typename: string; message: string }>(
    await t.gql(
      `mutation($id: ID!) { requestWalletChallenge(investorId: $id) { __typename ... on WalletChallenge { nonce message } ${ERROR_FIELDS} } }`,
      { id: investorId },
      token,
    ),
    "requestWalletChallenge",
    "WalletChallenge",
  );
  const signature = await account.signMessage({ message: challenge.message });
  ok(
    await t.gql(
      `mutation($id: ID!, $m: String!, $s: String!) { proveWalletControl(investorId: $id, message: $m, signature: $s) { __typename ... on Investor { walletProvenAt } ${ERROR_FIELDS} } }`,
      { id: investorId, m: challenge.message, s: signature },
      token,
    ),
    "proveWalletControl",
    "Investor",
  );
}

export async function registerVerifiedInvestor(
  t: GatewayClient,
  a: Actors,
  investorClass = "PROFESSIONAL",
  options: { jurisdiction?: string; kycExpiresAt?: Date } = {},
) {
  const account = privateKeyToAccount(generatePrivateKey());
  const wallet = account.address;
  const investor = ok<{ __typename: string; id: string; walletAddress: string }>(
    await t.gql(
      `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on Investor { id walletAddress } ${ERROR_FIELDS} } }`,
      {
        input: {
          did: `did:pkh:eip155:31337:${wallet}`,
          investorClass,
          jurisdiction: options.jurisdiction ?? "HK",
          walletAddress: wallet.toLowerCase(),
        },
      },
      a.issuerToken,
    ),
    "registerInvestor",
    "Investor",
  );
  ok(
    await t.gql(
      `mutation($id: ID!, $exp: DateTime) { verifyInvestorKyc(investorId: $id, status: VERIFIED, expiresAt: $exp) { __typename ... on Investor { kycStatus } ${ERROR_FIELDS} } }`,
      { id: investor.id, exp: (options.kycExpiresAt ?? new Date(Date.now() + 180 * 24 * 3600 * 1000)).toISOString() },
      a.officerToken,
    ),
    "verifyInvestorKyc",
    "Investor",
  );
  await proveWallet(t, a.issuerToken, investor.id, account);
  return { investorId: investor.id, wallet: investor.walletAddress as `0x${string}`, account, did: `did:pkh:eip155:31337:${wallet}` };
}

/** Records everything the onshore and offshore requirements need for one asset and offering. */
export async function satisfyRequirements(
  t: GatewayClient,
  a: Actors,
  ids: { assetId: string; contentDigest: string; offeringId: string },
) {
  ok(
    await t.gql(
      `mutation($input: RecordOwnershipRightInput!) { recordOwnershipRight(input: $input) { __typename ... on OwnershipRight { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          assetId: ids.assetId,
          holderOrgId: a.providerOrgId,
          rightType: "RESOURCE_HOLDING",
          shareBps: 10000,
          certificateNumber: "SH-DR-2025-0001",
        },
      },
      a.ownerToken,
    ),
    "recordOwnershipRight",
    "OwnershipRight",
  );
  ok(
    await t.gql(
      `mutation($input: RecordProvenanceActivityInput!) { recordProvenanceActivity(input: $input) { __typename ... on ProvenanceActivity { id } ${ERROR_FIELDS} } }`,
      {
        input: {
          assetId: ids.assetId,
          kind: "SANDBOX_VALIDATION",
          startedAt: new Date(Date.now() - 3600_000).toISOString(),
          endedAt: new Date().toISOString(),
          inputs: [{ sourceUri: "s3://port-raw/2025.parquet", digest: digest("raw") }],
          outputDigest: ids.contentDigest,
        },
      },
      a.ownerToken,
    ),
    "recordProvenanceActivity",
    "ProvenanceActivity",
  );
  const attest = async (input: Record<string, unknown>) =>
    ok(
      await t.gql(
        `mutation($input: AttestComplianceInput!) { attestCompliance(input: $input) { __typename ... on ComplianceAttestation { id } ${ERROR_FIELDS} } }`,
        { input: { status: "SATISFIED", ...input } },
        a.officerToken,
      ),
      "attestCompliance",
      "ComplianceAttestation",
    );
  await attest({
    subjectId: ids.assetId,
    requirementCode: "ONSHORE_CROSS_BORDER_ASSESSED",
    pathway: "STANDARD_CONTRACT",
    evidenceDigest: digest("scc"),
  });
  await attest({ subjectId: ids.assetId, requirementCode: "ONSHORE_PERSONAL_INFO_TREATED", evidenceDigest: digest("deid") });
  await attest({ subjectId: ids.assetId, requirementCode: "ONSHORE_VALUATION", evidenceDigest: digest("valuation") });
  await attest({ subjectId: ids.offeringId, requirementCode: "OFFSHORE_LEGAL_OPINION", evidenceDigest: digest("opinion") });
}

/** Deploys the tranche token, whitelists the investor (in DRAFT) and opens the offering, so it is ready to mint. */
export async function deployAndWhitelist(t: GatewayClient, a: Actors, trancheId: string, investorId: string) {
  const tranche = ok<{ __typename: string; tokenAddress: `0x${string}`; offeringId: string }>(
    await t.gql(
      `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress chainId offeringId } ${ERROR_FIELDS} } }`,
      { id: trancheId },
      a.issuerToken,
    ),
    "deployTrancheToken",
    "Tranche",
  );
  await whitelistInvestor(t, a, trancheId, investorId);
  await tryOpenOffering(t, a.issuerToken, tranche.offeringId);
  return tranche.tokenAddress;
}

export const OPEN_OFFERING = `mutation($id: ID!) { openOffering(offeringId: $id) { __typename ... on Offering { id status } ... on OfferingStructureError { rule trancheId } ... on OfferingStateError { current attempted } ... on ComplianceNotSatisfiedError { unmetCodes } ${ERROR_FIELDS} } }`;

/**
 * Opens the offering (mints happen only while it is OPEN). Tests that leave an offering-level
 * requirement unmet on purpose keep it DRAFT: their mint is refused for that requirement first,
 * as the mint names unmet compliance before the offering's state. Returns the answer.
 */
export async function tryOpenOffering(t: GatewayClient, token: string, offeringId: string) {
  const r = await t.gql(OPEN_OFFERING, { id: offeringId }, token);
  if (r.errors) throw new Error(`openOffering: GraphQL errors ${JSON.stringify(r.errors)}`);
  return r.data.openOffering as { __typename: string; status?: string; code?: string; rule?: string };
}

/** The issuer whitelists an investor's wallet on the tranche token (on chain); returns the transaction. */
export async function whitelistInvestor(t: GatewayClient, a: Actors, trancheId: string, investorId: string) {
  return ok<{ __typename: string; txHash: `0x${string}` }>(
    await t.gql(
      `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) { __typename ... on WhitelistEntry { txHash } ${ERROR_FIELDS} } }`,
      { t: trancheId, i: investorId },
      a.issuerToken,
    ),
    "whitelistInvestor",
    "WhitelistEntry",
  );
}

export const REQUEST_MINT = `mutation($input: RequestMintInput!) {
  requestMint(input: $input) {
    __typename
    ... on MintRequest { id status amount recipient }
    ... on ComplianceNotSatisfiedError { code unmetCodes unmet { code reason } }
    ... on Error { code message }
    ... on ValidationError { issues { path message } }
  }
}`;

/** requestMints with every refusal detail a client can branch on. */
export const REQUEST_MINTS = `mutation($items: [RequestMintInput!]!) {
  requestMints(items: $items) {
    __typename
    ... on MutationRequestMintsSuccess { data { id idempotencyKey status amount recipient } }
    ... on BulkMintRefusedError { code message retryable items { index idempotencyKey code message retryable unmetCodes existingRequestId issues { path message } } }
    ... on Error { code message }
  }
}`;

export const MINT_REQUEST = `query($id: ID!) { mintRequest(id: $id) { __typename ... on MintRequest { id status txHash blockNumber errorCode errorMessage } ${ERROR_FIELDS} } }`;

/** Polls the mint request over GraphQL until it settles (or the deadline passes). */
export async function waitForMint(t: GatewayClient, token: string, id: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await t.gql(MINT_REQUEST, { id }, token);
    const m = r.data?.mintRequest;
    if (m && ["CONFIRMED", "FAILED", "REVERTED"].includes(m.status)) return m;
    if (Date.now() > deadline) throw new Error(`mint ${id} did not settle: ${JSON.stringify(r)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
