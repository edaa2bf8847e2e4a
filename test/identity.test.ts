/**
 * Identity: DID syntax, KYC credentials (W3C VC JWTs via did-jwt-vc) from trusted issuers for
 * this chain, and wallet control proven with Sign-In with Ethereum before whitelisting. Each
 * refusal answers its own error code and changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { hexToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createSiweMessage, generateSiweNonce, parseSiweMessage } from "viem/siwe";
import { ES256KSigner } from "did-jwt";
import { createVerifiableCredentialJwt } from "did-jwt-vc";
import { investor } from "../src/investors/table.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, createActors, ok, proveWallet, type Actors } from "./support/flow.js";

let t: TestGateway;
let a: Actors;
beforeAll(async () => {
  t = await startTestGateway();
  a = await createActors(t);
});
afterAll(async () => t?.close());

const REGISTER = `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on Investor { id did walletAddress kycStatus } ... on ValidationError { issues { path message } } ${ERROR_FIELDS} } }`;

async function newInvestor() {
  const account = privateKeyToAccount(generatePrivateKey());
  const did = `did:pkh:eip155:${t.chain.chainId}:${account.address}`;
  const inv = ok<any>(
    await t.gql(
      REGISTER,
      { input: { did, investorClass: "PROFESSIONAL", jurisdiction: "HK", walletAddress: account.address } },
      a.issuerToken,
    ),
    "registerInvestor",
    "Investor",
  );
  return { id: inv.id as string, did, account };
}

const row = async (id: string) => (await t.database.db.select().from(investor).where(eq(investor.id, id)))[0]!;

describe("DID syntax", () => {
  it.each([
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
    "did:pkh:eip155:1:0xb9c5714089478a327f09197987f16f9e5d936e8a",
    "did:pkh:solana:4sGjMW1sUnHzSxGspuhpqLDx6wiyjNtZ:CKg5d12Jhpej1JqtmxLJgaFqqeYjxgPqToJ4LBdvG9Ev",
    "did:web:example.com",
    "did:web:issuer.example.com%3A8443:users:alice",
  ])("accepts %s", async (did) => {
    const wallet = privateKeyToAccount(generatePrivateKey()).address;
    const r = await t.gql(
      REGISTER,
      { input: { did, investorClass: "INSTITUTIONAL", jurisdiction: "SG", walletAddress: wallet } },
      a.issuerToken,
    );
    expect(r.data.registerInvestor).toMatchObject({ __typename: "Investor", did });
  });

  it.each([
    "did:example:123456",
    "did:key:abc",
    "did:key:z0OIl", // not base58btc, too short
    "did:pkh:eip155:0xb9c5714089478a327f09197987f16f9e5d936e8a", // CAIP-10 needs namespace:reference:address
    "did:web:",
    "did:web:exa mple.com",
    "did:web:-bad-.com",
    "not-a-did",
  ])("refuses %s with a validation error on did", async (did) => {
    const wallet = privateKeyToAccount(generatePrivateKey()).address;
    const r = await t.gql(
      REGISTER,
      { input: { did, investorClass: "INSTITUTIONAL", jurisdiction: "SG", walletAddress: wallet } },
      a.issuerToken,
    );
    expect(r.data.registerInvestor).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(r.data.registerInvestor.issues.map((i: { path: string }) => i.path)).toEqual(["did"]);
  });
});

describe("KYC verifiable credentials", () => {
  const SUBMIT = `mutation($id: ID!, $vc: String!) { submitKycCredential(investorId: $id, credential: $vc) {
    __typename ... on Investor { kycStatus kycExpiresAt kycIssuerDid kycEvidenceDigest }
    ... on CredentialWrongChainError { expectedChainId credentialChainId }
    ${ERROR_FIELDS} } }`;
  const REGISTER_ISSUER = `mutation($did: String!, $name: String!) { registerTrustedIssuer(did: $did, name: $name) { __typename ... on TrustedIssuer { id did } ${ERROR_FIELDS} } }`;

  /** A did:pkh issuer over a fresh secp256k1 key, signing ES256K-R (verifiable offline). */
  function newIssuer() {
    const key = generatePrivateKey();
    const did = `did:pkh:eip155:1:${privateKeyToAccount(key).address}`;
    const issue = (subject: string, claims: Record<string, unknown> = {}, options: { expSeconds?: number } = {}) =>
      createVerifiableCredentialJwt(
        {
          sub: subject,
          nbf: Math.floor(Date.now() / 1000) - 60,
          exp: Math.floor(Date.now() / 1000) + (options.expSeconds ?? 90 * 24 * 3600),
          vc: {
            "@context": ["https://www.w3.org/2018/credentials/v1"],
            type: ["VerifiableCredential", "KycCredential"],
            credentialSubject: { kycStatus: "VERIFIED", investorClass: "PROFESSIONAL", chainId: t.chain.chainId, ...claims },
          },
        },
        { did, signer: ES256KSigner(hexToBytes(key), true), alg: "ES256K-R" },
      );
    return { did, issue };
  }

  async function trusted() {
    const issuer = newIssuer();
    ok(await t.gql(REGISTER_ISSUER, { did: issuer.did, name: "Acme KYC" }, a.officerToken), "registerTrustedIssuer", "TrustedIssuer");
    return issuer;
  }

  it("verifies a credential from a trusted issuer for this chain and records KYC until it expires", async () => {
    const issuer = await trusted();
    const inv = await newInvestor();
    const vc = await issuer.issue(inv.did);
    const r = await t.gql(SUBMIT, { id: inv.id, vc }, a.officerToken);
    expect(r.data.submitKycCredential).toMatchObject({
      __typename: "Investor",
      kycStatus: "VERIFIED",
      kycIssuerDid: issuer.did,
      kycEvidenceDigest: expect.stringMatching(/^0x[0-9a-f]{64}$/),
    });
    const stored = await row(inv.id);
    const exp = JSON.parse(Buffer.from(vc.split(".")[1]!, "base64url").toString()).exp;
    expect(stored.kycExpiresAt?.getTime()).toBe(exp * 1000);
  });

  it("refuses a registered issuer twice, and lets only compliance officers register issuers", async () => {
    const issuer = await trusted();
    const again = await t.gql(REGISTER_ISSUER, { did: issuer.did, name: "again" }, a.officerToken);
    expect(again.data.registerTrustedIssuer.code).toBe("CONFLICT");
    const byIssuer = await t.gql(REGISTER_ISSUER, { did: newIssuer().did, name: "self-trust" }, a.issuerToken);
    expect(byIssuer.data.registerTrustedIssuer.code).toBe("FORBIDDEN");
    // A DID the gateway cannot resolve offline would verify nothing: refused up front.
    const web = await t.gql(REGISTER_ISSUER, { did: "did:web:kyc.example.com", name: "web" }, a.officerToken);
    expect(web.data.registerTrustedIssuer.code).toBe("VALIDATION_FAILED");
  });

  const refusals: [string, string, (inv: { did: string }) => Promise<string>][] = [
    ["an untrusted issuer", "CREDENTIAL_ISSUER_UNTRUSTED", (inv) => newIssuer().issue(inv.did)],
    ["a credential for another chain id", "CREDENTIAL_WRONG_CHAIN", async (inv) => (await trusted()).issue(inv.did, { chainId: 1 })],
    ["a credential naming no chain id", "CREDENTIAL_WRONG_CHAIN", async (inv) => (await trusted()).issue(inv.did, { chainId: undefined })],
    [
      "a tampered JWT (payload changed after signing)",
      "CREDENTIAL_INVALID",
      async (inv) => {
        const other = await newInvestor();
        const [header, payload, signature] = (await (await trusted()).issue(other.did)).split(".");
        const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
        claims.sub = inv.did; // re-target someone else's credential
        return [header, Buffer.from(JSON.stringify(claims)).toString("base64url"), signature].join(".");
      },
    ],
    ["an expired credential", "CREDENTIAL_INVALID", async (inv) => (await trusted()).issue(inv.did, {}, { expSeconds: -3600 })],
    ["a credential about another DID", "CREDENTIAL_SUBJECT_MISMATCH", async () => (await trusted()).issue((await newInvestor()).did)],
  ];

  it.each(refusals)("refuses %s with %s and leaves KYC unchanged", async (_what, code, make) => {
    const inv = await newInvestor();
    const vc = await make(inv);
    const r = await t.gql(SUBMIT, { id: inv.id, vc }, a.officerToken);
    expect(r.data.submitKycCredential).toMatchObject({ code });
    const stored = await row(inv.id);
    expect(stored).toMatchObject({ kycStatus: "PENDING", kycExpiresAt: null, kycIssuerDid: null });
  });

  it("names the expected and the credential's chain in a wrong-chain refusal", async () => {
    const inv = await newInvestor();
    const r = await t.gql(SUBMIT, { id: inv.id, vc: await (await trusted()).issue(inv.did, { chainId: 5 }) }, a.officerToken);
    expect(r.data.submitKycCredential).toMatchObject({
      __typename: "CredentialWrongChainError",
      expectedChainId: t.chain.chainId,
      credentialChainId: "5",
    });
  });

  it("refuses a string that is not a JWT as invalid input", async () => {
    const inv = await newInvestor();
    const r = await t.gql(SUBMIT, { id: inv.id, vc: "not a jwt" }, a.officerToken);
    expect(r.data.submitKycCredential.code).toBe("VALIDATION_FAILED");
  });
});

describe("Sign-In with Ethereum before whitelisting", () => {
  const CHALLENGE = `mutation($id: ID!) { requestWalletChallenge(investorId: $id) { __typename ... on WalletChallenge { nonce message expiresAt } ${ERROR_FIELDS} } }`;
  const PROVE = `mutation($id: ID!, $m: String!, $s: String!) { proveWalletControl(investorId: $id, message: $m, signature: $s) { __typename ... on Investor { walletProvenAt } ${ERROR_FIELDS} } }`;

  async function challenge(investorId: string) {
    return ok<{ __typename: string; nonce: string; message: string }>(
      await t.gql(CHALLENGE, { id: investorId }, a.issuerToken),
      "requestWalletChallenge",
      "WalletChallenge",
    );
  }

  it("issues an EIP-4361 message for the investor's wallet, this chain and the gateway's domain", async () => {
    const inv = await newInvestor();
    const c = await challenge(inv.id);
    expect(parseSiweMessage(c.message)).toMatchObject({
      domain: "localhost",
      address: inv.account.address,
      chainId: t.chain.chainId,
      nonce: c.nonce,
      version: "1",
    });
  });

  it("records wallet control from a correctly signed challenge, once", async () => {
    const inv = await newInvestor();
    const c = await challenge(inv.id);
    const signature = await inv.account.signMessage({ message: c.message });
    const r = await t.gql(PROVE, { id: inv.id, m: c.message, s: signature }, a.issuerToken);
    expect(r.data.proveWalletControl.__typename).toBe("Investor");
    expect((await row(inv.id)).walletProvenAt).toBeInstanceOf(Date);
    // The nonce is consumed: replaying the same signed message is refused.
    const replay = await t.gql(PROVE, { id: inv.id, m: c.message, s: signature }, a.issuerToken);
    expect(replay.data.proveWalletControl.code).toBe("SIWE_NONCE_INVALID");
  });

  const tamper: [string, string, (msg: ReturnType<typeof parseSiweMessage>) => Record<string, unknown>][] = [
    ["a nonce the gateway never issued", "SIWE_NONCE_INVALID", () => ({ nonce: generateSiweNonce() })],
    ["another domain", "SIWE_DOMAIN_MISMATCH", () => ({ domain: "evil.example", uri: "https://evil.example" })],
    ["another chain", "SIWE_MESSAGE_INVALID", () => ({ chainId: 1 })],
    ["an expired message", "SIWE_MESSAGE_INVALID", () => ({ expirationTime: new Date(Date.now() - 1000) })],
  ];

  it.each(tamper)("refuses a message signed by the wallet but with %s (%s)", async (_what, code, change) => {
    const inv = await newInvestor();
    const c = await challenge(inv.id);
    const message = createSiweMessage({ ...(parseSiweMessage(c.message) as any), ...change(parseSiweMessage(c.message)) });
    const signature = await inv.account.signMessage({ message });
    const r = await t.gql(PROVE, { id: inv.id, m: message, s: signature }, a.issuerToken);
    expect(r.data.proveWalletControl).toMatchObject({ code });
    expect((await row(inv.id)).walletProvenAt).toBeNull();
  });

  it("refuses a signature by another key (SIWE_SIGNATURE_INVALID)", async () => {
    const inv = await newInvestor();
    const c = await challenge(inv.id);
    const signature = await privateKeyToAccount(generatePrivateKey()).signMessage({ message: c.message });
    const r = await t.gql(PROVE, { id: inv.id, m: c.message, s: signature }, a.issuerToken);
    expect(r.data.proveWalletControl).toMatchObject({ __typename: "SiweSignatureInvalidError", code: "SIWE_SIGNATURE_INVALID" });
    expect((await row(inv.id)).walletProvenAt).toBeNull();
  });

  it("refuses to whitelist a wallet whose control was not proven, then admits it after the proof", async () => {
    const { registerApprovedAsset, createOfferingWithTranche } = await import("./support/flow.js");
    const { assetId } = await registerApprovedAsset(t, a);
    const { trancheId } = await createOfferingWithTranche(t, a, assetId);
    ok(
      await t.gql(
        `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { id } ${ERROR_FIELDS} } }`,
        { id: trancheId },
        a.issuerToken,
      ),
      "deployTrancheToken",
      "Tranche",
    );
    const inv = await newInvestor();
    ok(
      await t.gql(
        `mutation($id: ID!, $exp: DateTime) { verifyInvestorKyc(investorId: $id, status: VERIFIED, expiresAt: $exp) { __typename ... on Investor { id } ${ERROR_FIELDS} } }`,
        { id: inv.id, exp: new Date(Date.now() + 24 * 3600_000).toISOString() },
        a.officerToken,
      ),
      "verifyInvestorKyc",
      "Investor",
    );
    const WHITELIST = `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) { __typename ... on WhitelistEntry { txHash } ${ERROR_FIELDS} } }`;
    const refused = await t.gql(WHITELIST, { t: trancheId, i: inv.id }, a.issuerToken);
    expect(refused.data.whitelistInvestor).toMatchObject({ __typename: "WalletNotProvenError", code: "WALLET_NOT_PROVEN" });
    await proveWallet(t, a.issuerToken, inv.id, inv.account);
    const admitted = await t.gql(WHITELIST, { t: trancheId, i: inv.id }, a.issuerToken);
    expect(admitted.data.whitelistInvestor.__typename).toBe("WhitelistEntry");
  });
});
