/**
 * Access control, table-driven: every mutation and every query of the schema (read by
 * introspection, so a new field without a row fails here) is sent by every role, by an
 * anonymous caller and by members of other organizations, and the answer is checked against
 * ONE expected matrix.
 *
 * Outcomes: `allowed` — authorization passed (the answer is the result or a domain error
 * such as a validation or state error); `forbidden` — ForbiddenError; `unauthenticated` —
 * UnauthenticatedError; `hidden` — NotFoundError for another organization's draft, which is
 * never revealed (one tenant never reads another's drafts), or, for a list, the entity the row
 * is about is left out of it; `refused` — authorization passed and the domain rule the row is
 * about refused with its code (so the rule holds for every caller who gets that far).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  ERROR_FIELDS,
  createActors,
  createOfferingWithTranche,
  digest,
  ok,
  registerApprovedAsset,
  registerVerifiedInvestor,
  whitelistInvestor,
  type Actors,
} from "./support/flow.js";
import { buildScenario } from "./support/scenario.js";

const CALLERS = ["anonymous", "owner", "officer", "issuer", "indexer", "admin", "otherOwner", "otherIssuer", "investor"] as const;
type Caller = (typeof CALLERS)[number];
type Outcome = "allowed" | "forbidden" | "unauthenticated" | "hidden" | "refused";
type Row = {
  mutation: string;
  scenario: string;
  /** The operation; its field answers `${SELECTION}`. */
  operation: string;
  /** Fresh variables (and the entities they name), built before a call. */
  setup(): Promise<Record<string, unknown>>;
  /** The domain rule's code that answers `refused` (authorization passed, the rule said no). */
  refusedWith?: string;
  expected: Record<Caller, Outcome>;
};

const SELECTION = `{ __typename ${ERROR_FIELDS} }`;
const A = "allowed",
  F = "forbidden",
  U = "unauthenticated",
  H = "hidden",
  R = "refused";
/** Shorthand for a matrix row, in CALLERS order; without a last (investor) outcome, the investor's is derived (asInvestor). */
const row = (...o: Outcome[]): Record<Caller, Outcome> =>
  Object.fromEntries(CALLERS.map((c, i) => [c, o[i] ?? asInvestor(o[0]!)])) as Record<Caller, Outcome>;

let t: TestGateway;
let a: Actors;
const tokens = {} as Record<Caller, string | undefined>;

async function createOrg(input: Record<string, unknown>): Promise<string> {
  return ok<any>(
    await t.gql(
      `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on Organization { id } ${ERROR_FIELDS} } }`,
      { input },
      t.adminToken,
    ),
    "createOrganization",
    "Organization",
  ).id;
}

beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
  const indexerOrg = await createOrg({ name: "Indexer Co", kind: "VENUE", jurisdiction: "HK" });
  const otherProvider = await createOrg({ name: "Other Provider", kind: "DATA_PROVIDER", jurisdiction: "CN" });
  const otherIssuer = await createOrg({
    name: "Other AM",
    kind: "ISSUER",
    jurisdiction: "HK",
    licenses: [{ type: "SFC_TYPE_9", number: "OTH9", validUntil: new Date(Date.now() + 365 * 24 * 3600_000).toISOString() }],
  });
  Object.assign(tokens, {
    anonymous: undefined,
    owner: a.ownerToken,
    officer: a.officerToken,
    issuer: a.issuerToken,
    indexer: await t.tokenFor(["INDEXER"], indexerOrg, "indexer"),
    admin: t.adminToken,
    otherOwner: await t.tokenFor(["ASSET_OWNER"], otherProvider, "other-owner"),
    otherIssuer: await t.tokenFor(["ISSUER"], otherIssuer, "other-issuer"),
    investor: await signInInvestor(),
  });
});
afterAll(async () => t?.close());

// Fixtures: each builds fresh entities owned by the home organizations of `a`.
const draftAsset = async () =>
  ok<any>(
    await t.gql(
      `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id } ${ERROR_FIELDS} } }`,
      { input: { title: "Draft", category: "C", contentDigest: digest(randomUUID()), securityLevel: "GENERAL" } },
      a.ownerToken,
    ),
    "registerDataAsset",
    "DataAsset",
  ).id as string;
const submittedAsset = async () => {
  const id = await draftAsset();
  ok(
    await t.gql(
      `mutation($id: ID!) { transitionDataAsset(assetId: $id, to: SUBMITTED) { __typename ${ERROR_FIELDS} } }`,
      { id },
      a.ownerToken,
    ),
    "transitionDataAsset",
    "DataAsset",
  );
  return id;
};
const approvedAsset = async (securityLevel = "GENERAL") => {
  if (securityLevel === "GENERAL") return (await registerApprovedAsset(t, a)).assetId;
  const id = ok<any>(
    await t.gql(
      `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id } ${ERROR_FIELDS} } }`,
      { input: { title: "Classified", category: "C", contentDigest: digest(randomUUID()), securityLevel } },
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
        { id, to },
        token,
      ),
      "transitionDataAsset",
      "DataAsset",
    );
  }
  return id;
};
const offeringInput = (assetId: string) => ({
  name: "Note",
  productType: "DEBT",
  assetIds: [assetId],
  allowedInvestorClasses: ["PROFESSIONAL"],
  currency: "USD",
  termsDigest: digest("terms"),
  tranche: { name: "Senior", seniority: "SENIOR", supplyCap: "1000", tokenName: "N", tokenSymbol: "NT" },
});
const pendingInvestor = async () => {
  const wallet = privateKeyToAccount(generatePrivateKey()).address;
  return ok<any>(
    await t.gql(
      `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on Investor { id } ${ERROR_FIELDS} } }`,
      { input: { did: `did:pkh:eip155:31337:${wallet}`, investorClass: "PROFESSIONAL", jurisdiction: "HK", walletAddress: wallet } },
      a.issuerToken,
    ),
    "registerInvestor",
    "Investor",
  ).id as string;
};

const MATRIX: Row[] = [
  {
    mutation: "createOrganization",
    scenario: "an operator creates an organization",
    operation: `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) ${SELECTION} }`,
    setup: async () => ({ input: { name: `Org ${randomUUID()}`, kind: "INVESTOR", jurisdiction: "SG" } }),
    //            anonymous owner officer issuer indexer admin otherOwner otherIssuer
    expected: row(U, F, F, F, F, A, F, F),
  },
  {
    mutation: "registerDataAsset",
    scenario: "a data provider registers an asset of its own",
    operation: `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) ${SELECTION} }`,
    setup: async () => ({ input: { title: "New", category: "C", contentDigest: digest(randomUUID()) } }),
    expected: row(U, A, F, F, F, F, A, F),
  },
  {
    mutation: "transitionDataAsset",
    scenario: "the owner submits its draft (another organization does not even see it)",
    operation: `mutation($id: ID!) { transitionDataAsset(assetId: $id, to: SUBMITTED) ${SELECTION} }`,
    setup: async () => ({ id: await draftAsset() }),
    expected: row(U, A, F, F, F, F, H, F),
  },
  {
    mutation: "transitionDataAsset",
    scenario: "a compliance officer takes a submitted asset into review",
    operation: `mutation($id: ID!) { transitionDataAsset(assetId: $id, to: IN_REVIEW) ${SELECTION} }`,
    setup: async () => ({ id: await submittedAsset() }),
    expected: row(U, F, A, F, F, F, H, F),
  },
  {
    mutation: "transitionDataAsset",
    scenario: "the owner withdraws its published asset; another owner sees it but may not",
    operation: `mutation($id: ID!) { transitionDataAsset(assetId: $id, to: WITHDRAWN) ${SELECTION} }`,
    setup: async () => ({ id: await approvedAsset() }),
    expected: row(U, A, F, F, F, F, F, F),
  },
  {
    mutation: "recordOwnershipRight",
    scenario: "the owner records a right on its published asset",
    operation: `mutation($input: RecordOwnershipRightInput!) { recordOwnershipRight(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: {
        assetId: await approvedAsset(),
        holderOrgId: a.providerOrgId,
        rightType: "PROCESSING_USE",
        shareBps: 100,
        certificateNumber: "C-1",
      },
    }),
    expected: row(U, A, F, F, F, F, F, F),
  },
  {
    mutation: "recordOwnershipRight",
    scenario: "the owner records a right on its draft (hidden from other organizations)",
    operation: `mutation($input: RecordOwnershipRightInput!) { recordOwnershipRight(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: {
        assetId: await draftAsset(),
        holderOrgId: a.providerOrgId,
        rightType: "PROCESSING_USE",
        shareBps: 100,
        certificateNumber: "C-1",
      },
    }),
    expected: row(U, A, F, F, F, F, H, F),
  },
  {
    mutation: "recordOwnershipRights",
    scenario: "the owner replaces the rights of one type on its published asset",
    operation: `mutation($id: ID!, $rights: [OwnershipShareInput!]!) { recordOwnershipRights(assetId: $id, rightType: PROCESSING_USE, rights: $rights) ${SELECTION} }`,
    setup: async () => ({ id: await approvedAsset(), rights: [{ holderOrgId: a.providerOrgId, shareBps: 10000 }] }),
    expected: row(U, A, F, F, F, F, F, F),
  },
  {
    mutation: "recordOwnershipRights",
    scenario: "the owner replaces the rights of one type on its draft (hidden from other organizations)",
    operation: `mutation($id: ID!, $rights: [OwnershipShareInput!]!) { recordOwnershipRights(assetId: $id, rightType: PROCESSING_USE, rights: $rights) ${SELECTION} }`,
    setup: async () => ({ id: await draftAsset(), rights: [{ holderOrgId: a.providerOrgId, shareBps: 10000 }] }),
    expected: row(U, A, F, F, F, F, H, F),
  },
  {
    mutation: "updateDataAsset",
    scenario: "the owner edits its published asset (a new version)",
    operation: `mutation($input: UpdateDataAssetInput!) { updateDataAsset(input: $input) ${SELECTION} }`,
    setup: async () => ({ input: { assetId: await approvedAsset(), title: "Edited" } }),
    expected: row(U, A, F, F, F, F, F, F),
  },
  {
    mutation: "updateDataAsset",
    scenario: "the owner edits its draft (hidden from other organizations)",
    operation: `mutation($input: UpdateDataAssetInput!) { updateDataAsset(input: $input) ${SELECTION} }`,
    setup: async () => ({ input: { assetId: await draftAsset(), title: "Edited" } }),
    expected: row(U, A, F, F, F, F, H, F),
  },
  {
    mutation: "importDataAssets",
    scenario: "a data provider imports assets into its own organization",
    operation: `mutation($input: [RegisterDataAssetInput!]!) { importDataAssets(input: $input) ${SELECTION} }`,
    setup: async () => ({ input: [{ title: "Imported", category: "C", contentDigest: digest(randomUUID()) }] }),
    expected: row(U, A, F, F, F, F, A, F),
  },
  {
    mutation: "recordProvenanceActivity",
    scenario: "the owner records lineage on its published asset",
    operation: `mutation($input: RecordProvenanceActivityInput!) { recordProvenanceActivity(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: { assetId: await approvedAsset(), kind: "CLEANING", startedAt: new Date().toISOString(), outputDigest: digest("out") },
    }),
    expected: row(U, A, F, F, F, F, F, F),
  },
  {
    mutation: "attestCompliance",
    scenario: "a compliance officer attests a valuation",
    operation: `mutation($input: AttestComplianceInput!) { attestCompliance(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: { subjectId: await approvedAsset(), requirementCode: "ONSHORE_VALUATION", status: "SATISFIED", evidenceDigest: digest("v") },
    }),
    expected: row(U, F, A, F, F, F, F, F),
  },
  {
    mutation: "registerInvestor",
    scenario: "an issuer or compliance onboards an investor identity",
    operation: `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) ${SELECTION} }`,
    setup: async () => {
      const wallet = privateKeyToAccount(generatePrivateKey()).address;
      return { input: { did: `did:pkh:eip155:31337:${wallet}`, investorClass: "PROFESSIONAL", jurisdiction: "HK", walletAddress: wallet } };
    },
    expected: row(U, F, A, A, F, F, F, A),
  },
  {
    mutation: "verifyInvestorKyc",
    scenario: "a compliance officer verifies KYC",
    operation: `mutation($id: ID!, $exp: DateTime) { verifyInvestorKyc(investorId: $id, status: VERIFIED, expiresAt: $exp) ${SELECTION} }`,
    setup: async () => ({ id: await pendingInvestor(), exp: new Date(Date.now() + 24 * 3600_000).toISOString() }),
    expected: row(U, F, A, F, F, F, F, F),
  },
  {
    mutation: "registerTrustedIssuer",
    scenario: "a compliance officer trusts a KYC issuer DID",
    operation: `mutation($did: String!) { registerTrustedIssuer(did: $did, name: "KYC Co") ${SELECTION} }`,
    setup: async () => ({ did: `did:pkh:eip155:1:${privateKeyToAccount(generatePrivateKey()).address}` }),
    expected: row(U, F, A, F, F, F, F, F),
  },
  {
    mutation: "submitKycCredential",
    scenario: "a compliance officer submits a KYC credential",
    operation: `mutation($id: ID!) { submitKycCredential(investorId: $id, credential: "eyJhbGciOiJFUzI1NksifQ.eyJpc3MiOiJkaWQ6a2V5OnoifQ.c2ln") ${SELECTION} }`,
    setup: async () => ({ id: await pendingInvestor() }),
    expected: row(U, F, A, F, F, F, F, F),
  },
  {
    mutation: "requestWalletChallenge",
    scenario: "an issuer or compliance asks for a SIWE challenge (investor identities are shared across issuers)",
    operation: `mutation($id: ID!) { requestWalletChallenge(investorId: $id) ${SELECTION} }`,
    setup: async () => ({ id: await pendingInvestor() }),
    expected: row(U, F, A, A, F, F, F, A),
  },
  {
    mutation: "proveWalletControl",
    scenario: "an issuer or compliance relays a signed SIWE message",
    operation: `mutation($id: ID!) { proveWalletControl(investorId: $id, message: "not siwe", signature: "0x00") ${SELECTION} }`,
    setup: async () => ({ id: await pendingInvestor() }),
    expected: row(U, F, A, A, F, F, F, A),
  },
  {
    mutation: "createOffering",
    scenario: "an issuer packages a published asset into its own offering",
    operation: `mutation($input: CreateOfferingInput!) { createOffering(input: $input) ${SELECTION} }`,
    setup: async () => ({ input: offeringInput(await approvedAsset()) }),
    expected: row(U, F, F, A, F, F, F, A),
  },
  {
    mutation: "createOffering",
    scenario: "no issuer packages an asset another offering already holds (issue 13)",
    operation: `mutation($input: CreateOfferingInput!) { createOffering(input: $input) ${SELECTION} }`,
    setup: async () => {
      const assetId = await approvedAsset();
      await createOfferingWithTranche(t, a, assetId);
      return { input: offeringInput(assetId) };
    },
    refusedWith: "ASSET_ALREADY_OFFERED",
    expected: row(U, F, F, R, F, F, F, R),
  },
  {
    mutation: "createOffering",
    scenario: "no issuer packages CORE data (issue 13)",
    operation: `mutation($input: CreateOfferingInput!) { createOffering(input: $input) ${SELECTION} }`,
    setup: async () => ({ input: offeringInput(await approvedAsset("CORE")) }),
    refusedWith: "COMPLIANCE_NOT_SATISFIED",
    expected: row(U, F, F, R, F, F, F, R),
  },
  {
    mutation: "deployTrancheToken",
    scenario: "the offering's issuer deploys the tranche token",
    operation: `mutation($id: ID!) { deployTrancheToken(trancheId: $id) ${SELECTION} }`,
    setup: async () => ({ id: (await createOfferingWithTranche(t, a, await approvedAsset())).trancheId }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "whitelistInvestor",
    scenario: "the offering's issuer (or compliance) whitelists a verified, proven wallet",
    operation: `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) ${SELECTION} }`,
    setup: async () => {
      const { trancheId } = await createOfferingWithTranche(t, a, await approvedAsset());
      ok(
        await t.gql(`mutation($id: ID!) { deployTrancheToken(trancheId: $id) ${SELECTION} }`, { id: trancheId }, a.issuerToken),
        "deployTrancheToken",
        "Tranche",
      );
      return { t: trancheId, i: (await registerVerifiedInvestor(t, a)).investorId };
    },
    expected: row(U, F, A, A, F, F, F, F),
  },
  {
    mutation: "whitelistInvestor",
    scenario: "neither issuer nor compliance admits a RETAIL wallet on a professional-only DEBT offering (issue 13)",
    operation: `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) ${SELECTION} }`,
    setup: async () => {
      const { trancheId } = await createOfferingWithTranche(t, a, await approvedAsset());
      ok(
        await t.gql(`mutation($id: ID!) { deployTrancheToken(trancheId: $id) ${SELECTION} }`, { id: trancheId }, a.issuerToken),
        "deployTrancheToken",
        "Tranche",
      );
      return { t: trancheId, i: (await registerVerifiedInvestor(t, a, "RETAIL")).investorId };
    },
    refusedWith: "COMPLIANCE_NOT_SATISFIED",
    expected: row(U, F, R, R, F, F, F, F),
  },
  {
    mutation: "requestMint",
    scenario: "the offering's issuer requests a mint",
    operation: `mutation($input: RequestMintInput!) { requestMint(input: $input) ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "1" } };
    },
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "requestMints",
    scenario: "the offering's issuer requests mints in bulk (issue 17); another issuer's list is refused whole",
    operation: `mutation($items: [RequestMintInput!]!) { requestMints(items: $items) ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { items: [{ idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "1" }] };
    },
    expected: row(U, F, F, A, F, F, F, F),
  },
  // Offering structure and lifecycle (issue 14): the ISSUER of the offering's organization.
  {
    mutation: "addTranche",
    scenario: "the offering's issuer adds a tranche to its DRAFT offering",
    operation: `mutation($o: ID!, $input: TrancheInput!) { addTranche(offeringId: $o, input: $input) ${SELECTION} }`,
    setup: async () => ({
      o: (await createOfferingWithTranche(t, a, await approvedAsset())).offeringId,
      input: { name: "Junior", seniority: "JUNIOR", couponKind: "RESIDUAL", supplyCap: "1000", tokenName: "Junior", tokenSymbol: "JNR" },
    }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "addTranche",
    scenario: "no tranche is added once the offering is OPEN",
    operation: `mutation($o: ID!, $input: TrancheInput!) { addTranche(offeringId: $o, input: $input) ${SELECTION} }`,
    setup: async () => ({
      o: (await buildScenario(t, a)).offeringId,
      input: { name: "Junior", seniority: "JUNIOR", couponKind: "RESIDUAL", supplyCap: "1000", tokenName: "Junior", tokenSymbol: "JNR" },
    }),
    refusedWith: "OFFERING_STATE",
    expected: row(U, F, F, R, F, F, F, F),
  },
  {
    mutation: "openOffering",
    scenario: "the offering's issuer opens its DRAFT offering (the rules then answer)",
    operation: `mutation($id: ID!) { openOffering(offeringId: $id) ${SELECTION} }`,
    setup: async () => ({ id: (await createOfferingWithTranche(t, a, await approvedAsset())).offeringId }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "openOffering",
    scenario: "an OPEN offering does not open again",
    operation: `mutation($id: ID!) { openOffering(offeringId: $id) ${SELECTION} }`,
    setup: async () => ({ id: (await buildScenario(t, a)).offeringId }),
    refusedWith: "OFFERING_STATE",
    expected: row(U, F, F, R, F, F, F, F),
  },
  {
    mutation: "closeOffering",
    scenario: "the offering's issuer closes its OPEN offering",
    operation: `mutation($id: ID!) { closeOffering(offeringId: $id) ${SELECTION} }`,
    setup: async () => ({ id: (await buildScenario(t, a)).offeringId }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "cancelOffering",
    scenario: "the offering's issuer cancels its DRAFT offering",
    operation: `mutation($id: ID!) { cancelOffering(offeringId: $id) ${SELECTION} }`,
    setup: async () => ({ id: (await createOfferingWithTranche(t, a, await approvedAsset())).offeringId }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "matureOffering",
    scenario: "only a CLOSED offering matures",
    operation: `mutation($id: ID!) { matureOffering(offeringId: $id) ${SELECTION} }`,
    setup: async () => ({ id: (await createOfferingWithTranche(t, a, await approvedAsset())).offeringId }),
    refusedWith: "OFFERING_STATE",
    expected: row(U, F, F, R, F, F, F, F),
  },
  // Token controls: the AGENT is the ISSUER of the offering's organization (issue 5).
  {
    mutation: "pauseToken",
    scenario: "the offering's issuer pauses its tranche token",
    operation: `mutation($t: ID!) { pauseToken(trancheId: $t, reason: "maintenance") ${SELECTION} }`,
    setup: async () => ({ t: (await buildScenario(t, a)).trancheId }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "unpauseToken",
    scenario: "the offering's issuer unpauses its tranche token",
    operation: `mutation($t: ID!) { unpauseToken(trancheId: $t, reason: "done") ${SELECTION} }`,
    setup: async () => ({ t: (await buildScenario(t, a)).trancheId }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "freezeAddress",
    scenario: "the offering's issuer freezes a holder's address",
    operation: `mutation($t: ID!, $addr: String!) { freezeAddress(trancheId: $t, address: $addr, reason: "court order") ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { t: s.trancheId, addr: s.wallet };
    },
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "unfreezeAddress",
    scenario: "the offering's issuer unfreezes a holder's address",
    operation: `mutation($t: ID!, $addr: String!) { unfreezeAddress(trancheId: $t, address: $addr, reason: "lifted") ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { t: s.trancheId, addr: s.wallet };
    },
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "forcedTransfer",
    scenario: "the offering's issuer recovers tokens to an eligible investor",
    operation: `mutation($input: ForcedTransferInput!) { forcedTransfer(input: $input) ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { input: { trancheId: s.trancheId, from: s.wallet, toInvestorId: s.investorId, amount: "1", reason: "lost key" } };
    },
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "runReconciliation",
    scenario: "an operator reconciles the cap table with the chain (issue 6)",
    operation: `mutation { runReconciliation ${SELECTION} }`,
    setup: async () => ({}),
    expected: row(U, F, F, F, F, A, F, F),
  },
];

// --- Issue 14: investor sign-in (INVESTOR, an investor signed in with their wallet). ---------
/**
 * The investor column where a row gives none: an INVESTOR reaches what an anonymous caller
 * reaches (public reads; drafts stay hidden) and is Forbidden where anonymous is
 * Unauthenticated — every existing mutation, every staff read. Rows about the investor's own
 * records say otherwise explicitly.
 */
function asInvestor(anonymous: Outcome): Outcome {
  return anonymous === U ? F : anonymous;
}

/** The signed-in investor: registered, KYC-verified, wallet proven; signs in over GraphQL with its own key. */
const me = {} as { investorId: string; mintRequestId: string };
const SIGN_IN = `mutation($m: String!, $s: String!) { signInWithEthereum(message: $m, signature: $s) { __typename ... on InvestorSignIn { token } ${ERROR_FIELDS} } }`;
async function signInInvestor(): Promise<string> {
  const inv = await registerVerifiedInvestor(t, a);
  me.investorId = inv.investorId;
  const { message } = ok<any>(
    await t.gql(
      `mutation($w: String!) { requestSignInChallenge(walletAddress: $w) { __typename ... on SignInChallenge { message } ${ERROR_FIELDS} } }`,
      { w: inv.wallet },
    ),
    "requestSignInChallenge",
    "SignInChallenge",
  );
  return ok<any>(
    await t.gql(SIGN_IN, { m: message, s: await inv.account.signMessage({ message }) }),
    "signInWithEthereum",
    "InvestorSignIn",
  ).token;
}

MATRIX.push(
  {
    mutation: "requestSignInChallenge",
    scenario: "anyone asks for a sign-in challenge for any wallet (it reveals nothing)",
    operation: `mutation($w: String!) { requestSignInChallenge(walletAddress: $w) ${SELECTION} }`,
    setup: async () => ({ w: privateKeyToAccount(generatePrivateKey()).address }),
    expected: row(A, A, A, A, A, A, A, A, A),
  },
  {
    mutation: "signInWithEthereum",
    scenario: "anyone may send a signed message; a malformed one is refused whoever sends it",
    operation: `mutation { signInWithEthereum(message: "not siwe", signature: "0x00") ${SELECTION} }`,
    setup: async () => ({}),
    refusedWith: "SIWE_MESSAGE_INVALID",
    expected: row(R, R, R, R, R, R, R, R, R),
  },
);
// --- end of issue 14 (investor sign-in) ------------------------------------------------------
// DvP subscriptions and redemptions (issue 14): the offering's ISSUER for any investor, an INVESTOR for themself.
MATRIX.push(
  {
    mutation: "requestSubscription",
    scenario: "the offering's issuer subscribes an investor (another investor signed in: NotFound)",
    operation: `mutation($input: RequestSubscriptionInput!) { requestSubscription(input: $input) ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "1" } };
    },
    expected: row(U, F, F, A, F, F, F, F, H),
  },
  {
    mutation: "requestSubscription",
    scenario: "the signed-in investor subscribes for themself",
    operation: `mutation($input: RequestSubscriptionInput!) { requestSubscription(input: $input) ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: me.investorId, amount: "1" } };
    },
    expected: row(U, F, F, A, F, F, F, F, A),
  },
  {
    mutation: "requestRedemption",
    scenario: "the offering's issuer asks an early redemption for an investor (another investor signed in: NotFound)",
    operation: `mutation($input: RequestRedemptionInput!) { requestRedemption(input: $input) ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "1" } };
    },
    expected: row(U, F, F, A, F, F, F, F, H),
  },
  {
    mutation: "requestRedemption",
    scenario: "the signed-in investor asks an early redemption for themself",
    operation: `mutation($input: RequestRedemptionInput!) { requestRedemption(input: $input) ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: me.investorId, amount: "1" } };
    },
    expected: row(U, F, F, A, F, F, F, F, A),
  },
  {
    mutation: "redeemOffering",
    scenario: "the offering's issuer plans the maturity redemption",
    operation: `mutation($o: ID!) { redeemOffering(offeringId: $o) ${SELECTION} }`,
    setup: async () => ({ o: (await buildScenario(t, a)).offeringId }),
    expected: row(U, F, F, A, F, F, F, F),
  },
);
// Circulation (issue 16): the offering's issuer is the token's AGENT.
MATRIX.push(
  {
    mutation: "setTransferRules",
    scenario: "the offering's issuer sets the token's circulation rules",
    operation: `mutation($input: TransferRulesInput!) { setTransferRules(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: { trancheId: (await buildScenario(t, a)).trancheId, secondaryInvestorClasses: ["PROFESSIONAL"], maxHolders: 10 },
    }),
    expected: row(U, F, F, A, F, F, F, F),
  },
  {
    mutation: "freezePartialTokens",
    scenario: "the offering's issuer freezes part of a holder's tokens",
    operation: `mutation($t: ID!, $addr: String!) { freezePartialTokens(trancheId: $t, address: $addr, amount: "5") ${SELECTION} }`,
    setup: async () => {
      const s = await buildScenario(t, a);
      return { t: s.trancheId, addr: s.wallet };
    },
    expected: row(U, F, F, A, F, F, F, F),
  },
);
// Revenue distributions (issue 15): the exchange's compliance officer records revenue; the offering's issuer declares.
MATRIX.push(
  {
    mutation: "recordAssetRevenue",
    scenario: "a data exchange's compliance officer records an asset's revenue",
    operation: `mutation($input: RecordAssetRevenueInput!) { recordAssetRevenue(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: {
        assetId: (await buildScenario(t, a)).assetId,
        periodStart: "2026-01-01T00:00:00Z",
        periodEnd: "2026-04-01T00:00:00Z",
        amount: "1000",
        currency: "0x000000000000000000000000000000000000dead",
        evidenceDigest: `0x${"ab".repeat(32)}`,
      },
    }),
    expected: row(U, F, A, F, F, F, F, F, F),
  },
  {
    mutation: "declareDistribution",
    scenario: "the offering's issuer declares a distribution (its state refuses it: authorization passed)",
    operation: `mutation($input: DeclareDistributionInput!) { declareDistribution(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: { idempotencyKey: randomUUID(), offeringId: (await buildScenario(t, a)).offeringId, periodEnd: "2026-04-01T00:00:00Z" },
    }),
    expected: row(U, F, F, A, F, F, F, F, F),
  },
);

function outcomeOf(
  result: { data?: any; errors?: { extensions?: { code?: string } }[] },
  field: string,
  refusedWith?: string,
): Outcome | string {
  // Connections have no result union: their refusal is a top-level error with the code.
  const code = result.errors?.length === 1 && result.data?.[field] == null ? result.errors[0]!.extensions?.code : undefined;
  if (code === "FORBIDDEN") return F;
  if (code === "UNAUTHENTICATED") return U;
  if (result.errors) return `top-level errors: ${JSON.stringify(result.errors)}`;
  const answer = result.data?.[field];
  // A list, a connection, a scalar, or null (nothing yet): authorization passed.
  if (Array.isArray(answer) || answer?.edges || typeof answer === "string" || (result.data && answer === null)) return A;
  const typename: string | undefined = answer?.__typename;
  if (typename === "ForbiddenError") return F;
  if (typename === "UnauthenticatedError") return U;
  if (typename === "NotFoundError") return H;
  if (refusedWith && answer.code === refusedWith) return R;
  return typename ? A : `no answer: ${JSON.stringify(result.data)}`;
}

// Venues (issue 16): the offering's ISSUER admits a licensed venue; only a venue's VENUE_OPERATOR settles its trades
// (no caller of this matrix is one: test/venue-trade.test.ts shows the venue's own calls).
MATRIX.push(
  {
    mutation: "admitVenue",
    scenario: "the offering's issuer admits a venue (one without a MAS_RMO licence is refused with its code)",
    operation: `mutation($o: ID!, $v: ID!) { admitVenue(offeringId: $o, venueOrganizationId: $v) ${SELECTION} }`,
    setup: async () => ({
      o: (await createOfferingWithTranche(t, a, await approvedAsset())).offeringId,
      v: await createOrg({ name: `Unlicensed venue ${randomUUID()}`, kind: "VENUE", jurisdiction: "SG" }),
    }),
    refusedWith: "VENUE_NOT_LICENSED",
    expected: row(U, F, F, R, F, F, F, F, F),
  },
  {
    mutation: "settleTrade",
    scenario: "a venue's trade: its VENUE_OPERATOR only",
    operation: `mutation($input: SettleTradeInput!) { settleTrade(input: $input) ${SELECTION} }`,
    setup: async () => ({
      input: {
        idempotencyKey: randomUUID(),
        trancheId: randomUUID(),
        seller: privateKeyToAccount(generatePrivateKey()).address,
        buyer: privateKeyToAccount(generatePrivateKey()).address,
        amount: "1",
        price: "1",
        deadline: "9999999999",
        sellerSignature: `0x${"11".repeat(65)}`,
        buyerSignature: `0x${"22".repeat(65)}`,
      },
    }),
    expected: row(U, F, F, F, F, F, F, F, F),
  },
);

describe("access matrix", () => {
  it("has at least one row for every mutation of the schema, and none for mutations it does not have", async () => {
    const r = await t.gql(`{ __schema { mutationType { fields { name } } } }`);
    const inSchema = r.data.__schema.mutationType.fields.map((f: { name: string }) => f.name).sort();
    expect([...new Set(MATRIX.map((m) => m.mutation))].sort()).toEqual(inSchema);
  });

  for (const entry of MATRIX) {
    it(`${entry.mutation}: ${entry.scenario}`, async () => {
      const actual = {} as Record<Caller, Outcome | string>;
      let variables: Record<string, unknown> | undefined;
      for (const caller of CALLERS) {
        // Fresh entities after any call that passed authorization (it may have changed them).
        variables ??= await entry.setup();
        const outcome = outcomeOf(await t.gql(entry.operation, variables, tokens[caller]), entry.mutation, entry.refusedWith);
        actual[caller] = outcome;
        if (outcome === A) variables = undefined;
      }
      expect(actual).toEqual(entry.expected);
    });
  }
});

/**
 * Entities the query rows read, built once: queries change nothing. A full mint scenario with
 * one mint request, a draft, and a SUSPENDED asset packaged in an offering.
 */
type World = {
  s: Awaited<ReturnType<typeof buildScenario>>;
  mintRequestId: string;
  draftId: string;
  draftWord: string;
  suspendedId: string;
  suspendedOfferingId: string;
  suspendedTrancheId: string;
};
let world: Promise<World> | undefined;
const theWorld = () =>
  (world ??= (async () => {
    const s = await buildScenario(t, a);
    const mint = await t.gql(
      `mutation($input: RequestMintInput!) { requestMint(input: $input) { __typename ... on MintRequest { id } ${ERROR_FIELDS} } }`,
      { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: s.investorId, amount: "1" } },
      a.issuerToken,
    );
    const draftWord = `draftword${randomUUID().replaceAll("-", "")}`;
    const draftId = ok<any>(
      await t.gql(
        `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on DataAsset { id } ${ERROR_FIELDS} } }`,
        { input: { title: `Draft ${draftWord}`, category: "C", contentDigest: digest(randomUUID()), securityLevel: "GENERAL" } },
        a.ownerToken,
      ),
      "registerDataAsset",
      "DataAsset",
    ).id;
    const suspendedId = await approvedAsset();
    const { offeringId: suspendedOfferingId, trancheId: suspendedTrancheId } = await createOfferingWithTranche(t, a, suspendedId);
    ok(
      await t.gql(
        `mutation($id: ID!) { transitionDataAsset(assetId: $id, to: SUSPENDED) { __typename ${ERROR_FIELDS} } }`,
        { id: suspendedId },
        a.officerToken,
      ),
      "transitionDataAsset",
      "DataAsset",
    );
    return {
      s,
      mintRequestId: ok<any>(mint, "requestMint", "MintRequest").id,
      draftId,
      draftWord,
      suspendedId,
      suspendedOfferingId,
      suspendedTrancheId,
    };
  })());

type QueryRow = {
  query: string;
  scenario: string;
  operation: string;
  variables(w: World): Record<string, unknown>;
  /** For a successful answer that is a list or holds one: whether the row's entity is in it (`hidden` when not). */
  observe?(answer: any, w: World): Outcome;
  expected: Record<Caller, Outcome>;
};

const QUERIES: QueryRow[] = [
  {
    query: "auditTrail",
    scenario: "the trail of a published asset: compliance, operators and the owner organization",
    operation: `query($id: ID!) { auditTrail(entityId: $id) ${SELECTION} }`,
    variables: (w) => ({ id: w.s.assetId }),
    //            anonymous owner officer issuer indexer admin otherOwner otherIssuer
    expected: row(U, A, A, F, F, A, F, F),
  },
  {
    query: "complianceReport",
    scenario: "an asset's report follows the asset's visibility (a draft)",
    operation: `query($a: ID) { complianceReport(assetId: $a) ${SELECTION} }`,
    variables: (w) => ({ a: w.draftId }),
    expected: row(H, A, A, H, H, A, H, H),
  },
  {
    query: "complianceReport",
    scenario: "a tranche's report without an investor is public",
    operation: `query($t: ID) { complianceReport(trancheId: $t) ${SELECTION} }`,
    variables: (w) => ({ t: w.s.trancheId }),
    expected: row(A, A, A, A, A, A, A, A),
  },
  {
    query: "complianceReport",
    scenario: "a tranche's report names its assets' facts: NotFound where one of them is (a SUSPENDED asset)",
    operation: `query($t: ID) { complianceReport(trancheId: $t) ${SELECTION} }`,
    variables: (w) => ({ t: w.suspendedTrancheId }),
    expected: row(H, A, A, H, H, A, H, H),
  },
  {
    query: "complianceReport",
    scenario: "a report with the recipient investor is investor facts: the investor(id) rule (issue 13)",
    operation: `query($t: ID, $i: ID) { complianceReport(trancheId: $t, investorId: $i) ${SELECTION} }`,
    variables: (w) => ({ t: w.s.trancheId, i: w.s.investorId }),
    expected: row(U, F, A, A, F, A, F, A, H),
  },
  {
    query: "complianceRequirements",
    scenario: "the requirement catalogue is public",
    operation: `{ complianceRequirements { code } }`,
    variables: () => ({}),
    expected: row(A, A, A, A, A, A, A, A),
  },
  {
    query: "dataAsset",
    scenario: "a draft: its owner organization, compliance and operators only",
    operation: `query($id: ID!) { dataAsset(id: $id) ${SELECTION} }`,
    variables: (w) => ({ id: w.draftId }),
    expected: row(H, A, A, H, H, A, H, H),
  },
  {
    query: "dataAsset",
    scenario: "a SUSPENDED asset: as a draft",
    operation: `query($id: ID!) { dataAsset(id: $id) ${SELECTION} }`,
    variables: (w) => ({ id: w.suspendedId }),
    expected: row(H, A, A, H, H, A, H, H),
  },
  {
    query: "dataAssets",
    scenario: "a search lists a draft to those who may read it",
    operation: `query($q: String) { dataAssets(search: $q, first: 10) { edges { node { id } } } }`,
    variables: (w) => ({ q: w.draftWord }),
    observe: (answer, w) => (answer.edges.some((e: any) => e.node.id === w.draftId) ? A : H),
    expected: row(H, A, A, H, H, A, H, H),
  },
  {
    query: "dryRunMint",
    scenario: "the offering's issuer or compliance previews a mint",
    operation: `query($t: ID!, $i: ID!) { dryRunMint(trancheId: $t, investorId: $i, amount: "1") ${SELECTION} }`,
    variables: (w) => ({ t: w.s.trancheId, i: w.s.investorId }),
    expected: row(U, F, A, A, F, F, F, F),
  },
  {
    query: "transferCheck",
    scenario: "a transfer pre-check: the issuer's staff, compliance, operators (an investor only for their own wallet)",
    operation: `query($input: TransferCheckInput!) { transferCheck(input: $input) ${SELECTION} }`,
    variables: (w) => ({
      input: { trancheId: w.s.trancheId, from: w.s.wallet, to: "0x000000000000000000000000000000000000dEaD", amount: "1" },
    }),
    expected: row(U, F, A, A, F, A, F, F, F),
  },
  {
    query: "holders",
    scenario: "a tranche's holders: the issuer's staff, compliance, operators",
    operation: `query($t: ID!) { holders(trancheId: $t) ${SELECTION} }`,
    variables: (w) => ({ t: w.s.trancheId }),
    expected: row(U, F, A, A, F, A, F, F, F),
  },
  {
    query: "holdingTransfers",
    scenario: "a holding's transfer history: the issuer's staff, compliance, operators",
    operation: `query($t: ID!, $h: String!) { holdingTransfers(trancheId: $t, holder: $h) ${SELECTION} }`,
    variables: (w) => ({ t: w.s.trancheId, h: w.s.wallet }),
    expected: row(U, F, A, A, F, A, F, F, F),
  },
  {
    query: "holdings",
    scenario: "a token's cap table, to any authenticated caller",
    operation: `query($token: String!) { holdings(tokenAddress: $token) ${SELECTION} }`,
    variables: (w) => ({ token: w.s.tokenAddress }),
    expected: row(U, A, A, A, A, A, A, A),
  },
  {
    query: "investor",
    scenario: "investor facts: issuers, compliance officers and operators (another investor: NotFound)",
    operation: `query($id: ID!) { investor(id: $id) ${SELECTION} }`,
    variables: (w) => ({ id: w.s.investorId }),
    expected: row(U, F, A, A, F, A, F, A, H),
  },
  {
    query: "lineage",
    scenario: "the lineage of a draft follows the asset's visibility",
    operation: `query($id: ID!) { lineage(assetId: $id, direction: UPSTREAM) ${SELECTION} }`,
    variables: (w) => ({ id: w.draftId }),
    expected: row(H, A, A, H, H, A, H, H),
  },
  {
    query: "mintRequest",
    scenario: "a mint request: the requesting organization, compliance and operators",
    operation: `query($id: ID!) { mintRequest(id: $id) ${SELECTION} }`,
    variables: (w) => ({ id: w.mintRequestId }),
    expected: row(U, H, A, A, H, A, H, H, H),
  },
  {
    query: "mintRequests",
    scenario: "the list shows a request to the requesting organization, compliance and operators",
    operation: `{ mintRequests(first: 100) { edges { node { id } } } }`,
    variables: () => ({}),
    observe: (answer, w) => (answer.edges.some((e: any) => e.node.id === w.mintRequestId) ? A : H),
    expected: row(U, H, A, A, H, A, H, H, H),
  },
  {
    query: "offering",
    scenario: "an offering is public",
    operation: `query($id: ID!) { offering(id: $id) ${SELECTION} }`,
    variables: (w) => ({ id: w.s.offeringId }),
    expected: row(A, A, A, A, A, A, A, A),
  },
  {
    query: "offering",
    scenario: "its assets follow dataAsset's visibility: a SUSPENDED one is left out (issue 13)",
    operation: `query($id: ID!) { offering(id: $id) { __typename ... on Offering { assets { id title contentDigest } } } }`,
    variables: (w) => ({ id: w.suspendedOfferingId }),
    observe: (answer, w) => (answer.assets.some((x: any) => x.id === w.suspendedId) ? A : H),
    expected: row(H, A, A, H, H, A, H, H),
  },
  {
    query: "organization",
    scenario: "an organization is public",
    operation: `query($id: ID!) { organization(id: $id) ${SELECTION} }`,
    variables: () => ({ id: a.issuerOrgId }),
    expected: row(A, A, A, A, A, A, A, A),
  },
  {
    query: "reconciliationReport",
    scenario: "the last reconciliation: operators, compliance and issuers",
    operation: `{ reconciliationReport { __typename ${ERROR_FIELDS} } }`,
    variables: () => ({}),
    expected: row(U, F, A, A, F, A, F, A),
  },
  {
    query: "trustedIssuers",
    scenario: "the trusted KYC issuers, to any authenticated caller",
    operation: `{ trustedIssuers ${SELECTION} }`,
    variables: () => ({}),
    expected: row(U, A, A, A, A, A, A, A),
  },
  {
    query: "verifyAuditChain",
    scenario: "verifying the audit chain: compliance and operators",
    operation: `{ verifyAuditChain ${SELECTION} }`,
    variables: () => ({}),
    expected: row(U, F, A, F, F, A, F, F),
  },
];

// --- Issue 14: what an INVESTOR reads of their own. ---------------------------------------------
beforeAll(async () => {
  // A mint request to the signed-in investor, on the world's tranche.
  const w = await theWorld();
  await whitelistInvestor(t, a, w.s.trancheId, me.investorId);
  me.mintRequestId = ok<any>(
    await t.gql(
      `mutation($input: RequestMintInput!) { requestMint(input: $input) { __typename ... on MintRequest { id } ${ERROR_FIELDS} } }`,
      { input: { idempotencyKey: randomUUID(), trancheId: w.s.trancheId, investorId: me.investorId, amount: "1" } },
      a.issuerToken,
    ),
    "requestMint",
    "MintRequest",
  ).id;
});
QUERIES.push(
  {
    query: "investor",
    scenario: "the signed-in investor reads their own record",
    operation: `query($id: ID!) { investor(id: $id) ${SELECTION} }`,
    variables: () => ({ id: me.investorId }),
    expected: row(U, F, A, A, F, A, F, A, A),
  },
  {
    query: "investor",
    scenario: "the signed-in investor reads their own holdings and audit trail",
    operation: `query($id: ID!) { investor(id: $id) { __typename ... on Investor { holdings { balance } auditTrail { __typename } } } }`,
    variables: () => ({ id: me.investorId }),
    observe: (answer) => (answer.auditTrail?.__typename === "InvestorAuditTrailSuccess" ? A : F),
    expected: row(U, F, A, A, F, A, F, A, A),
  },
  {
    query: "mintRequest",
    scenario: "a mint request to the signed-in investor: theirs to read too",
    operation: `query($id: ID!) { mintRequest(id: $id) ${SELECTION} }`,
    variables: () => ({ id: me.mintRequestId }),
    expected: row(U, H, A, A, H, A, H, H, A),
  },
  {
    query: "mintRequests",
    scenario: "the list shows a mint request to the signed-in investor to that investor",
    operation: `{ mintRequests(first: 100) { edges { node { id } } } }`,
    variables: () => ({}),
    observe: (answer) => (answer.edges.some((e: any) => e.node.id === me.mintRequestId) ? A : H),
    expected: row(U, H, A, A, H, A, H, H, A),
  },
);
// --- end of issue 14 ------------------------------------------------------------------------------
// DvP reads (issue 14): an investor's own; an issuer its offerings'; compliance and operators all.
QUERIES.push(
  {
    query: "subscription",
    scenario: "a subscription: readers only (an id nobody may see answers NotFound to them)",
    operation: `query($id: ID!) { subscription(id: $id) ${SELECTION} }`,
    variables: () => ({ id: randomUUID() }),
    expected: row(U, F, H, H, F, H, F, H, H),
  },
  {
    query: "subscriptions",
    scenario: "subscriptions: to investor readers and the signed-in investor",
    operation: `{ subscriptions ${SELECTION} }`,
    variables: () => ({}),
    expected: row(U, F, A, A, F, A, F, A, A),
  },
  {
    query: "redemption",
    scenario: "a redemption: readers only",
    operation: `query($id: ID!) { redemption(id: $id) ${SELECTION} }`,
    variables: () => ({ id: randomUUID() }),
    expected: row(U, F, H, H, F, H, F, H, H),
  },
  {
    query: "redemptions",
    scenario: "redemptions: to investor readers and the signed-in investor",
    operation: `{ redemptions ${SELECTION} }`,
    variables: () => ({}),
    expected: row(U, F, A, A, F, A, F, A, A),
  },
  {
    query: "settlementContract",
    scenario: "the DvP settlement contract (the permit spender) is public",
    operation: `{ settlementContract }`,
    variables: () => ({}),
    expected: row(A, A, A, A, A, A, A, A),
  },
  {
    query: "previewDistribution",
    scenario: "a distribution's dry run: the issuer, compliance and operators (an unknown offering answers NotFound)",
    operation: `query($o: ID!) { previewDistribution(offeringId: $o, periodEnd: "2026-04-01T00:00:00Z") ${SELECTION} }`,
    variables: () => ({ o: randomUUID() }),
    expected: row(U, F, H, H, F, H, F, H, F),
  },
  {
    query: "distribution",
    scenario: "a distribution: readers and investors paid in it (an id nobody may see answers NotFound)",
    operation: `query($id: ID!) { distribution(id: $id) ${SELECTION} }`,
    variables: () => ({ id: randomUUID() }),
    expected: row(U, F, H, H, F, H, F, H, H),
  },
  {
    query: "distributions",
    scenario: "an offering's distributions: readers and the signed-in investor",
    operation: `query($o: ID!) { distributions(offeringId: $o) ${SELECTION} }`,
    variables: () => ({ o: randomUUID() }),
    expected: row(U, F, A, A, F, A, F, A, A),
  },
  {
    query: "distributorContract",
    scenario: "the revenue distributor (what a treasury approves) is public",
    operation: `{ distributorContract }`,
    variables: () => ({}),
    expected: row(A, A, A, A, A, A, A, A),
  },
  {
    query: "assetRevenue",
    scenario: "an asset's revenue records: compliance, operators, the asset's owner and the issuer packaging it (others: NotFound)",
    operation: `query($a: ID!) { assetRevenue(assetId: $a) ${SELECTION} }`,
    variables: (w) => ({ a: w.s.assetId }),
    expected: row(U, A, A, A, F, A, H, H, F),
  },
);

// Venues (issue 16): the typed data to sign is the venue's; a venue's trades to it, issuers, compliance and operators.
QUERIES.push(
  {
    query: "tradeAuthorization",
    scenario: "a trade's typed data to sign: a venue's VENUE_OPERATOR only",
    operation: `query($input: TradeTermsInput!) { tradeAuthorization(input: $input) ${SELECTION} }`,
    variables: () => ({
      input: {
        idempotencyKey: "k",
        trancheId: randomUUID(),
        seller: privateKeyToAccount(generatePrivateKey()).address,
        buyer: privateKeyToAccount(generatePrivateKey()).address,
        amount: "1",
        price: "1",
        deadline: "9999999999",
      },
    }),
    expected: row(U, F, F, F, F, F, F, F, F),
  },
  {
    query: "venueTrades",
    scenario: "a venue's trades: the venue's staff, issuers (their offerings'), compliance and operators",
    operation: `query($v: ID!) { venueTrades(venueOrganizationId: $v) ${SELECTION} }`,
    variables: () => ({ v: randomUUID() }),
    expected: row(U, F, A, A, F, A, F, A, F),
  },
);

describe("access matrix of queries", () => {
  it("has at least one row for every query of the schema, and none for queries it does not have", async () => {
    const r = await t.gql(`{ __schema { queryType { fields { name } } } }`);
    const inSchema = r.data.__schema.queryType.fields.map((f: { name: string }) => f.name).sort();
    expect([...new Set(QUERIES.map((q) => q.query))].sort()).toEqual(inSchema);
  });

  for (const entry of QUERIES) {
    it(`${entry.query}: ${entry.scenario}`, async () => {
      const w = await theWorld();
      const variables = entry.variables(w);
      const actual = {} as Record<Caller, Outcome | string>;
      await Promise.all(
        CALLERS.map(async (caller) => {
          const result = await t.gql(entry.operation, variables, tokens[caller]);
          const outcome = outcomeOf(result, entry.query);
          actual[caller] = outcome === A && entry.observe ? entry.observe(result.data[entry.query], w) : outcome;
        }),
      );
      expect(actual).toEqual(entry.expected);
    });
  }
});

describe("organization scoping of reads", () => {
  const READ = `query($id: ID!) { dataAsset(id: $id) { __typename ... on DataAsset { id } ${ERROR_FIELDS} } }`;

  it("shows a draft to its owner organization and compliance only; a published asset to anyone", async () => {
    const draft = await draftAsset();
    const seen = async (id: string, caller: Caller) => (await t.gql(READ, { id }, tokens[caller])).data.dataAsset.__typename;
    expect(await seen(draft, "owner")).toBe("DataAsset");
    expect(await seen(draft, "officer")).toBe("DataAsset");
    expect(await seen(draft, "otherOwner")).toBe("NotFoundError");
    expect(await seen(draft, "issuer")).toBe("NotFoundError");
    expect(await seen(draft, "anonymous")).toBe("NotFoundError");
    const published = await approvedAsset();
    expect(await seen(published, "anonymous")).toBe("DataAsset");
    expect(await seen(published, "otherOwner")).toBe("DataAsset");
  });
});

describe("investor identities", () => {
  it("are read only by issuers, compliance officers and operators", async () => {
    const id = await pendingInvestor();
    const READ = `query($id: ID!) { investor(id: $id) { __typename ${ERROR_FIELDS} } }`;
    const answers = {} as Record<Caller, string>;
    for (const caller of CALLERS) answers[caller] = (await t.gql(READ, { id }, tokens[caller])).data.investor.__typename;
    expect(answers).toEqual({
      anonymous: "UnauthenticatedError",
      owner: "ForbiddenError",
      officer: "Investor",
      issuer: "Investor",
      indexer: "ForbiddenError",
      admin: "Investor",
      otherOwner: "ForbiddenError",
      otherIssuer: "Investor",
      investor: "NotFoundError",
    });
  });
});
