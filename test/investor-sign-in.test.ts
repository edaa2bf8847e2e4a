/**
 * Investor sign-in (issue 14, item 6) over HTTP: an investor's own wallet signs a Sign-In with
 * Ethereum challenge and gets a short-lived INVESTOR token; with it they read their own
 * investor record, holdings (the chain's balanceOf, read with viem) and mint requests, and
 * nothing of another investor. Each refusal answers its own code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Address } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, REQUEST_MINT, createActors, ok, proveWallet, waitForMint, type Actors } from "./support/flow.js";
import { buildScenario, type Scenario } from "./support/scenario.js";
import { balanceOf, registerInvestorWithKey, waitFor, whitelist } from "./support/indexer.js";

const CHALLENGE = `mutation($w: String!) { requestSignInChallenge(walletAddress: $w) { __typename ... on SignInChallenge { walletAddress nonce message expiresAt } ${ERROR_FIELDS} } }`;
const SIGN_IN = `mutation($m: String!, $s: String!) { signInWithEthereum(message: $m, signature: $s) { __typename ... on InvestorSignIn { token expiresAt investor { id } } ${ERROR_FIELDS} } }`;
const INVESTOR = `query($id: ID!) { investor(id: $id) { __typename ... on Investor { id walletAddress holdings { tokenAddress holder balance } auditTrail { __typename ... on InvestorAuditTrailSuccess { data { action } } } } ${ERROR_FIELDS} } }`;
const MINT_REQUEST = `query($id: ID!) { mintRequest(id: $id) { __typename ... on MintRequest { id status investor { id } } ${ERROR_FIELDS} } }`;
const MINT_REQUESTS = `{ mintRequests(first: 100) { edges { node { id investor { id } } } } }`;

let t: TestGateway;
let a: Actors;
/** The gateway's clock is the real one moved by this offset, so a test expires things without sleeping. */
let offsetMs = 0;
let s: Scenario;
/** The scenario's investor: someone else, with a mint request of their own. */
let otherMintId: string;
let me: { investorId: string; account: PrivateKeyAccount };
let myMintId: string;

async function challenge(wallet: Address) {
  return ok<{ __typename: string; walletAddress: string; nonce: string; message: string; expiresAt: string }>(
    await t.gql(CHALLENGE, { w: wallet }),
    "requestSignInChallenge",
    "SignInChallenge",
  );
}

/** Asks for a challenge, signs it with `account` (or `signer`), and sends it; the raw answer. */
async function signIn(account: PrivateKeyAccount, edit: (message: string) => string = (m) => m, signer = account) {
  const message = edit((await challenge(account.address)).message);
  const signature = await signer.signMessage({ message });
  return { message, signature, answer: (await t.gql(SIGN_IN, { m: message, s: signature })).data!.signInWithEthereum };
}

async function mint(investorId: string, amount: string) {
  const r = ok<any>(
    await t.gql(REQUEST_MINT, { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId, amount } }, a.issuerToken),
    "requestMint",
    "MintRequest",
  );
  expect((await waitForMint(t, a.issuerToken, r.id)).status).toBe("CONFIRMED");
  return r.id as string;
}

beforeAll(async () => {
  t = await startTestGateway({ now: () => new Date(Date.now() + offsetMs) });
  a = await createActors(t);
  s = await buildScenario(t, a);
  otherMintId = await mint(s.investorId, "5");
  me = await registerInvestorWithKey(t, a);
  await whitelist(t, a, s.trancheId, me.investorId);
  myMintId = await mint(me.investorId, "1234");
});
afterAll(async () => t?.close());

describe("an investor signed in with SIWE", () => {
  let token: string;

  it("gets a short-lived INVESTOR token carrying their investor id, and no organization", async () => {
    const { answer } = await signIn(me.account);
    expect(answer.__typename).toBe("InvestorSignIn");
    expect(answer.investor.id).toBe(me.investorId);
    token = answer.token;
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ investorId: me.investorId, roles: ["INVESTOR"], sub: me.account.address });
    expect(claims.org).toBeUndefined();
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(new Date(answer.expiresAt).getTime()).toBe(claims.exp! * 1000);
  });

  it("reads their own record, their holdings as balanceOf gives them, and their audit trail with the sign-in", async () => {
    const onChain = await balanceOf(t, s.tokenAddress, me.account.address);
    expect(onChain).toBe(1234n);
    const mine = await waitFor("the indexer applies the mint", async () => {
      const r = (await t.gql(INVESTOR, { id: me.investorId }, token)).data!.investor;
      return r.holdings?.some((h: any) => h.tokenAddress === s.tokenAddress) && r;
    });
    expect(mine.__typename).toBe("Investor");
    expect(mine.walletAddress).toBe(me.account.address);
    expect(mine.holdings).toEqual([{ tokenAddress: s.tokenAddress, holder: me.account.address, balance: onChain.toString() }]);
    expect(mine.auditTrail.data.map((e: any) => e.action)).toContain("investor.signed_in");
  });

  it("reads their own mint requests only, and another investor's record or mint request is NotFound", async () => {
    const own = (await t.gql(MINT_REQUEST, { id: myMintId }, token)).data!.mintRequest;
    expect(own).toMatchObject({ __typename: "MintRequest", id: myMintId, status: "CONFIRMED", investor: { id: me.investorId } });
    const list = (await t.gql(MINT_REQUESTS, {}, token)).data!.mintRequests.edges.map((e: any) => e.node);
    expect(list).toEqual([{ id: myMintId, investor: { id: me.investorId } }]);
    // The issuer sees both; the investor only theirs.
    const issuerList = (await t.gql(MINT_REQUESTS, {}, a.issuerToken)).data!.mintRequests.edges.map((e: any) => e.node.id);
    expect(issuerList).toEqual(expect.arrayContaining([myMintId, otherMintId]));

    expect((await t.gql(MINT_REQUEST, { id: otherMintId }, token)).data!.mintRequest.__typename).toBe("NotFoundError");
    expect((await t.gql(INVESTOR, { id: s.investorId }, token)).data!.investor.__typename).toBe("NotFoundError");
    expect((await t.gql(INVESTOR, { id: randomUUID() }, token)).data!.investor.__typename).toBe("NotFoundError");
  });

  it("reads nothing else that is organization-scoped and may call no existing mutation", async () => {
    const capTable = await t.gql(
      `query($t: String!) { holdings(tokenAddress: $t) { __typename ${ERROR_FIELDS} } }`,
      { t: s.tokenAddress },
      token,
    );
    expect(capTable.data!.holdings.__typename).toBe("ForbiddenError");
    const mintAsInvestor = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: randomUUID(), trancheId: s.trancheId, investorId: me.investorId, amount: "1" } },
      token,
    );
    expect(mintAsInvestor.data!.requestMint.__typename).toBe("ForbiddenError");
    const challengeOther = await t.gql(
      `mutation($id: ID!) { requestWalletChallenge(investorId: $id) { __typename ${ERROR_FIELDS} } }`,
      { id: me.investorId },
      token,
    );
    expect(challengeOther.data!.requestWalletChallenge.__typename).toBe("ForbiddenError");
  });
});

describe("sign-in refusals", () => {
  it("a replayed message is refused: its nonce was spent", async () => {
    const first = await signIn(me.account);
    expect(first.answer.__typename).toBe("InvestorSignIn");
    const again = (await t.gql(SIGN_IN, { m: first.message, s: first.signature })).data!.signInWithEthereum;
    expect(again).toMatchObject({ __typename: "SiweNonceInvalidError", code: "SIWE_NONCE_INVALID" });
  });

  it("a message for another domain is refused", async () => {
    const { answer } = await signIn(me.account, (m) => m.replace("localhost wants you", "evil.example wants you"));
    expect(answer).toMatchObject({ __typename: "SiweDomainMismatchError", code: "SIWE_DOMAIN_MISMATCH" });
  });

  it("a signature by another key than the wallet's is refused", async () => {
    const { answer } = await signIn(me.account, undefined, privateKeyToAccount(generatePrivateKey()));
    expect(answer).toMatchObject({ __typename: "SiweSignatureInvalidError", code: "SIWE_SIGNATURE_INVALID" });
  });

  it("an expired challenge is refused", async () => {
    const c = await challenge(me.account.address);
    const signature = await me.account.signMessage({ message: c.message });
    offsetMs = 6 * 60_000;
    try {
      const answer = (await t.gql(SIGN_IN, { m: c.message, s: signature })).data!.signInWithEthereum;
      expect(answer).toMatchObject({ code: "SIWE_NONCE_INVALID" });
    } finally {
      offsetMs = 0;
    }
  });

  it("a challenge does not tell a registered wallet from an unknown one; the unknown wallet's signed message is refused", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    const [known, unknown] = [await challenge(me.account.address), await challenge(stranger.address)];
    expect(Object.keys(unknown).sort()).toEqual(Object.keys(known).sort());
    expect(
      unknown.message
        .replace(stranger.address, "X")
        .replace(/Nonce: \w+/, "")
        .replace(/\d{4}-.*Z/g, ""),
    ).toBe(
      known.message
        .replace(me.account.address, "X")
        .replace(/Nonce: \w+/, "")
        .replace(/\d{4}-.*Z/g, ""),
    );
    const { answer } = await signIn(stranger);
    expect(answer).toMatchObject({ __typename: "WalletNotRegisteredError", code: "WALLET_NOT_REGISTERED" });
  });

  it("an investor whose KYC is not verified, or whose wallet is not proven, is refused", async () => {
    const pending = privateKeyToAccount(generatePrivateKey());
    const pendingId = ok<any>(
      await t.gql(
        `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on Investor { id } ${ERROR_FIELDS} } }`,
        {
          input: {
            did: `did:pkh:eip155:${t.chain.chainId}:${pending.address}`,
            investorClass: "PROFESSIONAL",
            jurisdiction: "HK",
            walletAddress: pending.address,
          },
        },
        a.issuerToken,
      ),
      "registerInvestor",
      "Investor",
    ).id;
    expect((await signIn(pending)).answer).toMatchObject({ __typename: "WalletNotProvenError", code: "WALLET_NOT_PROVEN" });
    await proveWallet(t, a.issuerToken, pendingId, pending);
    expect((await signIn(pending)).answer).toMatchObject({ __typename: "KycNotVerifiedError", code: "KYC_NOT_VERIFIED" });
  });

  it("a staff token cannot claim the INVESTOR role: an investor session comes only from signInWithEthereum", async () => {
    const forged = await t.tokenFor(["INVESTOR"], a.issuerOrgId, me.account.address);
    const read = (await t.gql(INVESTOR, { id: me.investorId }, forged)).data!.investor;
    expect(read).toMatchObject({ __typename: "UnauthenticatedError", message: "token claims are malformed" });
  });

  it("an expired session token is refused", async () => {
    // Signed in 16 minutes ago on the gateway's clock: the 15-minute token has lapsed.
    offsetMs = -16 * 60_000;
    let answer: any;
    try {
      answer = (await signIn(me.account)).answer;
    } finally {
      offsetMs = 0;
    }
    expect(answer.__typename).toBe("InvestorSignIn");
    const read = (await t.gql(INVESTOR, { id: me.investorId }, answer.token)).data!.investor;
    expect(read).toMatchObject({ __typename: "UnauthenticatedError", code: "UNAUTHENTICATED", message: "token expired" });
  });
});
