/**
 * Whitelist sync: whitelisting sends the on-chain transaction; a KYC revocation removes the
 * wallet on chain at once and an expiry does so at the next sweep; after each, the registry's
 * tranche_whitelist and the token contract agree (read from the chain).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { DataAssetTokenAbi } from "../src/chain/generated/DataAssetToken.js";
import { trancheWhitelist } from "../src/investors/table.js";
import { sweepIneligibleWhitelistings } from "../src/investors/whitelist-sync.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, REQUEST_MINT, createActors, ok, registerVerifiedInvestor, type Actors } from "./support/flow.js";
import { buildScenario } from "./support/scenario.js";

const HOUR = 3600_000;
let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);
let t: TestGateway;
let a: Actors;
beforeAll(async () => {
  t = await startTestGateway({ now });
  a = await createActors(t);
});
afterAll(async () => t?.close());

const onChain = (token: Address, wallet: Address) =>
  t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "isWhitelisted", args: [wallet] });

/** Every (token, wallet) the registry lists is whitelisted on chain, and each given wallet is listed iff on chain. */
async function expectRegistryAndChainAgree(token: Address, trancheId: string, wallets: Address[]) {
  const rows = (await t.database.db.select().from(trancheWhitelist)).filter((r) => r.trancheId === trancheId);
  for (const wallet of wallets) {
    const listed = rows.some((r) => r.walletAddress === wallet);
    expect({ wallet, listed, onChain: await onChain(token, wallet) }).toEqual({ wallet, listed, onChain: listed });
  }
}

const WHITELIST = `mutation($t: ID!, $i: ID!) { whitelistInvestor(trancheId: $t, investorId: $i) { __typename ... on WhitelistEntry { txHash } ${ERROR_FIELDS} } }`;

describe("whitelist sync", () => {
  it("whitelists on chain, and a KYC revocation removes the wallet on chain and in the registry", async () => {
    const s = await buildScenario(t, a);
    const other = await registerVerifiedInvestor(t, a);
    ok(await t.gql(WHITELIST, { t: s.trancheId, i: other.investorId }, a.issuerToken), "whitelistInvestor", "WhitelistEntry");
    expect(await onChain(s.tokenAddress, s.wallet)).toBe(true);
    await expectRegistryAndChainAgree(s.tokenAddress, s.trancheId, [s.wallet, other.wallet]);

    const revoked = await t.gql(
      `mutation($id: ID!) { verifyInvestorKyc(investorId: $id, status: REVOKED) { __typename ... on Investor { kycStatus } ${ERROR_FIELDS} } }`,
      { id: s.investorId },
      a.officerToken,
    );
    expect(revoked.data.verifyInvestorKyc).toMatchObject({ __typename: "Investor", kycStatus: "REVOKED" });
    expect(await onChain(s.tokenAddress, s.wallet)).toBe(false);
    expect(await onChain(s.tokenAddress, other.wallet)).toBe(true); // only the revoked investor is removed
    await expectRegistryAndChainAgree(s.tokenAddress, s.trancheId, [s.wallet, other.wallet]);

    const refused = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: "revoked", trancheId: s.trancheId, investorId: s.investorId, amount: "1" } },
      a.issuerToken,
    );
    expect(refused.data.requestMint.unmetCodes).toEqual(["OFFSHORE_INVESTOR_ELIGIBLE"]);
  });

  it("an expired KYC is swept off the whitelist on chain; unexpired ones stay", async () => {
    const s = await buildScenario(t, a, { kycExpiresAt: new Date(now().getTime() + HOUR) });
    const lasting = await registerVerifiedInvestor(t, a);
    ok(await t.gql(WHITELIST, { t: s.trancheId, i: lasting.investorId }, a.issuerToken), "whitelistInvestor", "WhitelistEntry");

    // Before the expiry the sweep removes nothing of this tranche.
    const early = await sweepIneligibleWhitelistings({ db: t.database.db, chain: t.chain }, now());
    expect(early.filter((u) => u.trancheId === s.trancheId)).toEqual([]);
    expect(await onChain(s.tokenAddress, s.wallet)).toBe(true);

    offsetMs += 2 * HOUR; // the clock passes the KYC expiry; nothing sleeps
    try {
      const swept = await sweepIneligibleWhitelistings({ db: t.database.db, chain: t.chain }, now());
      expect(swept.filter((u) => u.trancheId === s.trancheId)).toEqual([
        { trancheId: s.trancheId, walletAddress: s.wallet, txHash: expect.stringMatching(/^0x[0-9a-f]{64}$/) },
      ]);
      expect(await onChain(s.tokenAddress, s.wallet)).toBe(false);
      expect(await onChain(s.tokenAddress, lasting.wallet)).toBe(true);
      await expectRegistryAndChainAgree(s.tokenAddress, s.trancheId, [s.wallet, lasting.wallet]);

      // A second sweep has nothing left to do for it.
      const again = await sweepIneligibleWhitelistings({ db: t.database.db, chain: t.chain }, now());
      expect(again.filter((u) => u.trancheId === s.trancheId)).toEqual([]);
      // Whitelisting again is refused while KYC is expired.
      const refused = await t.gql(WHITELIST, { t: s.trancheId, i: s.investorId }, a.issuerToken);
      expect(refused.data.whitelistInvestor.code).toBe("KYC_NOT_VERIFIED");
    } finally {
      offsetMs -= 2 * HOUR;
    }
  });
});
