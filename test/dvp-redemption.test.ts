/**
 * Redemptions by DvP, judged by the chain: an early redemption at principal plus the coupon
 * accrued so far (actual/365), refused while the treasury cannot pay it or the holder lacks the
 * tokens; the maturity redemption of what is left with a short treasury; and a refund that the
 * chain refuses for want of an allowance, which waits and is paid once the treasury approves.
 * The settlement worker's rounds are driven here, one at a time, on the gateway's clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Address } from "viem";
import { eq } from "drizzle-orm";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, ERROR_FIELDS, ok, OPEN_OFFERING, registerVerifiedInvestor, whitelistInvestor, type Actors } from "./support/flow.js";
import { balanceOf } from "./support/indexer.js";
import { approve, devStablecoin, faucet, REDEMPTION_FIELDS, REQUEST_SUBSCRIPTION, signPermit, stablecoinBalance } from "./support/dvp.js";
import { createDvpOffering } from "./support/dvp.js";
import { settlementRound } from "../src/settlement/worker.js";
import { redemption } from "../src/settlement/table.js";

const DAY = 86_400_000;
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
const FUNDS = 1_000n * E6;
const silent = pino({ level: "silent" });
let clock = new Date(Math.floor(Date.now() / 1000) * 1000);
const T0 = clock;

let t: TestGateway;
let a: Actors;
let dusd: Address;
let settlement: Address;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
let holder: Inv;
let other: Inv;

const round = () =>
  settlementRound({
    db: t.database.db,
    chain: t.chain,
    logger: silent,
    confirmations: 1,
    receiptPollMs: 50,
    owedRetryMs: 300,
    now: () => clock,
  });
const REQUEST_REDEMPTION = `mutation($input: RequestRedemptionInput!) { requestRedemption(input: $input) { __typename
  ... on Redemption { ${REDEMPTION_FIELDS} }
  ... on TreasuryInsufficientError { needed available }
  ... on InsufficientBalanceError { balance requested }
  ${ERROR_FIELDS} } }`;
const MOVE = (name: string) =>
  `mutation($id: ID!) { ${name}(offeringId: $id) { __typename ... on Offering { id status redemptionShortfall } ${ERROR_FIELDS} } }`;
const REDEEM = `mutation($id: ID!) { redeemOffering(offeringId: $id) { __typename ... on Offering { id status redemptionShortfall } ... on TreasuryInsufficientError { needed available } ${ERROR_FIELDS} } }`;

/** An open single-tranche offering paid in dUSD at `price` per token, `holder` and `other` whitelisted. */
async function openOffering(treasury: Address, tranche: Record<string, unknown>) {
  const { offeringId, trancheId, token } = await createDvpOffering(t, a, {
    name: "Redeemable Note",
    currency: dusd,
    treasury,
    tranche: { supplyCap: (1000n * E18).toString(), tokenName: "Redeemable", tokenSymbol: "RDM", ...tranche },
  });
  settlement = (await t.gql(`{ settlementContract }`)).data.settlementContract;
  await whitelistInvestor(t, a, trancheId, holder.investorId);
  await whitelistInvestor(t, a, trancheId, other.investorId);
  expect((await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering.status).toBe("OPEN");
  return { offeringId, trancheId, token };
}

async function subscribe(trancheId: string, inv: Inv, key: string, tokens: bigint, price: bigint) {
  const r = await t.gql(
    REQUEST_SUBSCRIPTION,
    {
      input: {
        idempotencyKey: key,
        trancheId,
        investorId: inv.investorId,
        amount: (tokens * E18).toString(),
        permit: await signPermit(t, dusd, inv.account, settlement, tokens * price),
      },
    },
    a.issuerToken,
  );
  expect(r.data.requestSubscription.__typename, JSON.stringify(r.data)).toBe("InvestorSubscription");
  await round();
}

async function signIn(account: PrivateKeyAccount): Promise<string> {
  const { message } = ok<any>(
    await t.gql(
      `mutation($w: String!) { requestSignInChallenge(walletAddress: $w) { __typename ... on SignInChallenge { message } ${ERROR_FIELDS} } }`,
      { w: account.address },
    ),
    "requestSignInChallenge",
    "SignInChallenge",
  );
  return ok<any>(
    await t.gql(
      `mutation($m: String!, $s: String!) { signInWithEthereum(message: $m, signature: $s) { __typename ... on InvestorSignIn { token } ${ERROR_FIELDS} } }`,
      { m: message, s: await account.signMessage({ message }) },
    ),
    "signInWithEthereum",
    "InvestorSignIn",
  ).token;
}

beforeAll(async () => {
  t = await startTestGateway({ now: () => clock, gateway: { workerEnabled: false, kycSweepIntervalMs: 3_600_000 } });
  a = await createActors(t);
  dusd = await devStablecoin(t);
  const kycExpiresAt = new Date(T0.getTime() + 3 * 365 * DAY);
  holder = await registerVerifiedInvestor(t, a, "PROFESSIONAL", { kycExpiresAt });
  other = await registerVerifiedInvestor(t, a, "PROFESSIONAL", { kycExpiresAt });
  await faucet(t, dusd, holder.account, FUNDS);
  await faucet(t, dusd, other.account, FUNDS);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe("redemptions by DvP", () => {
  it("redeems early at principal plus accrued coupon, then the rest at maturity with a short treasury", async () => {
    const treasury = privateKeyToAccount(generatePrivateKey());
    const maturityDate = new Date(T0.getTime() + 365 * DAY).toISOString();
    // 2 dUSD a token, 10 % a year, redeemable early.
    const { offeringId, trancheId, token } = await openOffering(treasury.address, {
      couponBps: 1000,
      price: "2000000",
      maturityDate,
      earlyRedemption: true,
    });
    await subscribe(trancheId, holder, "buy", 100n, 2n * E6);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(200n * E6);
    expect((await t.gql(MOVE("closeOffering"), { id: offeringId }, a.issuerToken)).data.closeOffering.status).toBe("CLOSED");

    // 73 days later: 50 tokens are 100 dUSD of principal and 100 × 10 % × 73/365 = 2 dUSD of coupon.
    clock = new Date(T0.getTime() + 73 * DAY);
    const holderToken = await signIn(holder.account);
    const ask = (input: Record<string, unknown>, token = holderToken) =>
      t.gql(REQUEST_REDEMPTION, { input: { trancheId, investorId: holder.investorId, ...input } }, token);
    // The treasury has not approved the settlement contract: it can pay nothing yet.
    expect((await ask({ idempotencyKey: "e1", amount: (50n * E18).toString() })).data.requestRedemption).toMatchObject({
      __typename: "TreasuryInsufficientError",
      code: "TREASURY_INSUFFICIENT",
      needed: (102n * E6).toString(),
      available: "0",
    });
    await approve(t, dusd, treasury, settlement);
    expect((await ask({ idempotencyKey: "e2", amount: (150n * E18).toString() })).data.requestRedemption).toMatchObject({
      __typename: "InsufficientBalanceError",
      balance: (100n * E18).toString(),
    });
    const otherToken = await signIn(other.account);
    expect((await ask({ idempotencyKey: "e3", amount: (50n * E18).toString() }, otherToken)).data.requestRedemption).toMatchObject({
      __typename: "NotFoundError",
    });
    const early = (await ask({ idempotencyKey: "e4", amount: (50n * E18).toString() })).data.requestRedemption;
    expect(early).toMatchObject({
      __typename: "Redemption",
      kind: "EARLY",
      status: "REQUESTED",
      principal: (100n * E6).toString(),
      coupon: (2n * E6).toString(),
      payout: (102n * E6).toString(),
    });
    await round();
    const [settled] = await t.database.db.select().from(redemption).where(eq(redemption.id, early.id));
    expect(settled!.status).toBe("CONFIRMED");
    expect(await balanceOf(t, token, holder.wallet)).toBe(50n * E18);
    expect(await stablecoinBalance(t, dusd, holder.wallet)).toBe(FUNDS - 200n * E6 + 102n * E6);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(98n * E6);

    // At maturity the other 50 tokens are due 100 + 10 = 110 dUSD; the treasury holds 98.
    clock = new Date(T0.getTime() + 366 * DAY);
    expect((await t.gql(MOVE("matureOffering"), { id: offeringId }, a.issuerToken)).data.matureOffering.status).toBe("MATURED");
    const planned = (await t.gql(REDEEM, { id: offeringId }, a.issuerToken)).data.redeemOffering;
    expect(planned).toMatchObject({ __typename: "Offering", status: "MATURED", redemptionShortfall: (12n * E6).toString() });
    await round();
    const done = (await t.gql(`query($id: ID!) { offering(id: $id) { __typename ... on Offering { status } } }`, { id: offeringId })).data
      .offering;
    expect(done.status).toBe("REDEEMED");
    expect(await balanceOf(t, token, holder.wallet)).toBe(0n);
    expect(await stablecoinBalance(t, dusd, holder.wallet)).toBe(FUNDS - 200n * E6 + 102n * E6 + 98n * E6);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(0n);
    const mine = (
      await t.gql(
        `query($id: ID!) { investor(id: $id) { __typename ... on Investor { redemptions { kind status payout shortfall } } } }`,
        { id: holder.investorId },
        holderToken,
      )
    ).data.investor;
    expect(mine.redemptions).toEqual(
      expect.arrayContaining([
        { kind: "EARLY", status: "CONFIRMED", payout: (102n * E6).toString(), shortfall: "0" },
        { kind: "MATURITY", status: "CONFIRMED", payout: (98n * E6).toString(), shortfall: (12n * E6).toString() },
      ]),
    );
  }, 120_000);

  it("refuses a maturity redemption the treasury can pay nothing of, and an early one where the tranche does not allow it", async () => {
    clock = new Date();
    const treasury = privateKeyToAccount(generatePrivateKey());
    const maturityDate = new Date(clock.getTime() + DAY).toISOString();
    const { offeringId, trancheId } = await openOffering(treasury.address, { couponBps: 0, price: "1000000", maturityDate });
    await subscribe(trancheId, other, "buy-2", 10n, E6);
    const early = (
      await t.gql(
        REQUEST_REDEMPTION,
        { input: { idempotencyKey: "x", trancheId, investorId: other.investorId, amount: E18.toString() } },
        a.issuerToken,
      )
    ).data.requestRedemption;
    expect(early).toMatchObject({ __typename: "EarlyRedemptionNotAllowedError", code: "EARLY_REDEMPTION_NOT_ALLOWED" });
    await t.gql(MOVE("closeOffering"), { id: offeringId }, a.issuerToken);
    clock = new Date(clock.getTime() + 2 * DAY);
    await t.gql(MOVE("matureOffering"), { id: offeringId }, a.issuerToken);
    const refused = (await t.gql(REDEEM, { id: offeringId }, a.issuerToken)).data.redeemOffering;
    expect(refused).toMatchObject({ __typename: "TreasuryInsufficientError", needed: (10n * E6).toString(), available: "0" });
    expect(await t.database.db.select().from(redemption).where(eq(redemption.offeringId, offeringId))).toEqual([]);
  }, 120_000);

  it("a refund the chain refuses (no allowance) waits, and is paid exactly once when the treasury approves", async () => {
    clock = new Date();
    const treasury = privateKeyToAccount(generatePrivateKey());
    const { offeringId, trancheId, token } = await openOffering(treasury.address, { couponBps: 0, price: "1000000" });
    const before = await stablecoinBalance(t, dusd, other.wallet);
    await subscribe(trancheId, other, "buy-3", 20n, E6);
    await t.gql(MOVE("cancelOffering"), { id: offeringId }, a.issuerToken);
    await round();
    const [waiting] = await t.database.db.select().from(redemption).where(eq(redemption.offeringId, offeringId));
    expect(waiting).toMatchObject({ kind: "REFUND", status: "REQUESTED", revertReason: "ERC20InsufficientAllowance" });
    expect(await balanceOf(t, token, other.wallet)).toBe(20n * E18);
    await approve(t, dusd, treasury, settlement);
    await new Promise((r) => setTimeout(r, 400));
    await round();
    await round();
    const [paid] = await t.database.db.select().from(redemption).where(eq(redemption.offeringId, offeringId));
    expect(paid).toMatchObject({ status: "CONFIRMED", revertReason: null });
    expect(await balanceOf(t, token, other.wallet)).toBe(0n);
    expect(await stablecoinBalance(t, dusd, other.wallet)).toBe(before);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(0n);
  }, 120_000);
});
