/**
 * A three-tranche offering settled by delivery versus payment, end to end over HTTP against
 * the real dev chain: subscriptions paid with permits (and one prior approve) in dUSD, refusals
 * decoded before anything moves, close, maturity, and the maturity redemption with a treasury
 * that cannot pay everything (senior and mezzanine in full, junior pro rata, the shortfall
 * recorded). Every balance is read from the chain with viem at each step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Address } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  createActors,
  digest,
  ERROR_FIELDS,
  OPEN_OFFERING,
  ok,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  whitelistInvestor,
  type Actors,
} from "./support/flow.js";
import { waitFor } from "./support/indexer.js";
import {
  approve,
  devStablecoin,
  faucet,
  REDEMPTIONS,
  REQUEST_SUBSCRIPTION,
  settlementEvents,
  settlementId,
  signPermit,
  stablecoinBalance,
  SUBSCRIPTION,
  tokenSupply,
} from "./support/dvp.js";
import { balanceOf } from "./support/indexer.js";

const DAY = 86_400_000;
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
/** The gateway's clock: fixed while the offering runs, moved past maturity later. */
let clock = new Date(Math.floor(Date.now() / 1000) * 1000);
const T0 = clock;

let t: TestGateway;
let a: Actors;
let dusd: Address;
let settlement: Address;
let treasury: PrivateKeyAccount;
let offeringId: string;
const tranches: Record<"SENIOR" | "MEZZANINE" | "JUNIOR", { id: string; token: Address }> = {} as any;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
let alice: Inv;
let bob: Inv;
let carol: Inv;
let dave: Inv;
let fromBlock: bigint;
const FUNDS = 1_000n * E6;

const CREATE = `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id settlementToken settlementDecimals treasury tranches { id } } ... on ValidationError { issues { path message } } ${ERROR_FIELDS} } }`;
const ADD = `mutation($id: ID!, $input: TrancheInput!) { addTranche(offeringId: $id, input: $input) { __typename ... on Tranche { id } ${ERROR_FIELDS} } }`;
const DEPLOY = `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress } ${ERROR_FIELDS} } }`;
const MOVE = (name: string) =>
  `mutation($id: ID!) { ${name}(offeringId: $id) { __typename ... on Offering { id status redemptionShortfall } ... on OfferingStateError { current attempted } ${ERROR_FIELDS} } }`;

async function subscribe(token: string, input: Record<string, unknown>) {
  const r = await t.gql(REQUEST_SUBSCRIPTION, { input }, token);
  expect(r.errors).toBeUndefined();
  return r.data.requestSubscription;
}

async function settled(id: string, token = a.issuerToken) {
  return waitFor(`subscription ${id} settled`, async () => {
    const s = (await t.gql(SUBSCRIPTION, { id }, token)).data?.subscription;
    return s && !["REQUESTED", "SUBMITTED"].includes(s.status) ? s : undefined;
  });
}

async function signIn(account: PrivateKeyAccount): Promise<string> {
  const challenge = ok<any>(
    await t.gql(
      `mutation($w: String!) { requestSignInChallenge(walletAddress: $w) { __typename ... on SignInChallenge { message } ${ERROR_FIELDS} } }`,
      { w: account.address },
    ),
    "requestSignInChallenge",
    "SignInChallenge",
  );
  const signature = await account.signMessage({ message: challenge.message });
  return ok<any>(
    await t.gql(
      `mutation($m: String!, $s: String!) { signInWithEthereum(message: $m, signature: $s) { __typename ... on InvestorSignIn { token } ${ERROR_FIELDS} } }`,
      { m: challenge.message, s: signature },
    ),
    "signInWithEthereum",
    "InvestorSignIn",
  ).token;
}

beforeAll(async () => {
  t = await startTestGateway({ now: () => clock, gateway: { kycSweepIntervalMs: 3_600_000 } });
  a = await createActors(t);
  dusd = await devStablecoin(t);
  treasury = privateKeyToAccount(generatePrivateKey());
  const asset = await registerApprovedAsset(t, a, `DvP ${Math.random()}`);
  const maturityDate = new Date(T0.getTime() + 365 * DAY).toISOString();
  const created = ok<any>(
    await t.gql(
      CREATE,
      {
        input: {
          name: "Port Data ABS 2027",
          productType: "DEBT",
          assetIds: [asset.assetId],
          allowedInvestorClasses: ["PROFESSIONAL", "INSTITUTIONAL"],
          currency: "USD",
          termsDigest: digest("abs terms"),
          minSubordinationBps: 1500,
          settlementToken: dusd,
          treasury: treasury.address,
          tranche: {
            name: "Senior",
            seniority: "SENIOR",
            couponBps: 500,
            supplyCap: (600n * E18).toString(),
            price: "1000000",
            minimumTicket: (10n * E18).toString(),
            maturityDate,
            tokenName: "ABS Senior",
            tokenSymbol: "ABSS",
          },
        },
      },
      a.issuerToken,
    ),
    "createOffering",
    "Offering",
  );
  offeringId = created.id;
  expect(created.settlementDecimals).toBe(6);
  expect(created.settlementToken).toBe(dusd);
  await satisfyRequirements(t, a, { assetId: asset.assetId, contentDigest: asset.contentDigest, offeringId });
  tranches.SENIOR = { id: created.tranches[0].id, token: "0x" as Address };
  const add = async (input: Record<string, unknown>) =>
    ok<any>(
      await t.gql(ADD, { id: offeringId, input: { maturityDate, price: "1000000", ...input } }, a.issuerToken),
      "addTranche",
      "Tranche",
    ).id;
  tranches.MEZZANINE = {
    id: await add({
      name: "Mezzanine",
      seniority: "MEZZANINE",
      couponBps: 800,
      supplyCap: (250n * E18).toString(),
      tokenName: "ABS Mezz",
      tokenSymbol: "ABSM",
    }),
    token: "0x" as Address,
  };
  for (const key of ["SENIOR", "MEZZANINE"] as const) {
    tranches[key].token = ok<any>(
      await t.gql(DEPLOY, { id: tranches[key].id }, a.issuerToken),
      "deployTrancheToken",
      "Tranche",
    ).tokenAddress;
  }
  const register = () => registerVerifiedInvestor(t, a, "PROFESSIONAL", { kycExpiresAt: new Date(T0.getTime() + 3 * 365 * DAY) });
  [alice, bob, carol, dave] = await Promise.all([register(), register(), register(), register()]);
  settlement = (await t.gql(`{ settlementContract }`)).data.settlementContract;
  expect(settlement).toMatch(/^0x[0-9a-fA-F]{40}$/);
  for (const inv of [alice, bob, carol]) await faucet(t, dusd, inv.account, FUNDS);
  await faucet(t, dusd, dave.account, 20n * E6);
  fromBlock = await t.chain.publicClient.getBlockNumber();
}, 240_000);

afterAll(async () => {
  await t?.close();
});

describe("a three-tranche DvP offering", () => {
  it("opens only once its structure holds: without a residual junior it is refused with the rule's code", async () => {
    const refused = (await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering;
    expect(refused).toMatchObject({ __typename: "OfferingStructureError", code: "OFFERING_STRUCTURE", rule: "ONE_RESIDUAL_TRANCHE" });
    const juniorId = ok<any>(
      await t.gql(
        ADD,
        {
          id: offeringId,
          input: {
            name: "Junior",
            seniority: "JUNIOR",
            couponKind: "RESIDUAL",
            supplyCap: (150n * E18).toString(),
            price: "1000000",
            maturityDate: new Date(T0.getTime() + 365 * DAY).toISOString(),
            tokenName: "ABS Junior",
            tokenSymbol: "ABSJ",
          },
        },
        a.issuerToken,
      ),
      "addTranche",
      "Tranche",
    ).id;
    tranches.JUNIOR = { id: juniorId, token: "0x" as Address };
    const undeployed = (await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering;
    expect(undeployed).toMatchObject({ __typename: "OfferingStructureError", rule: "TOKEN_DEPLOYED", trancheId: juniorId });
    tranches.JUNIOR.token = ok<any>(await t.gql(DEPLOY, { id: juniorId }, a.issuerToken), "deployTrancheToken", "Tranche").tokenAddress;
    await whitelistInvestor(t, a, tranches.SENIOR.id, alice.investorId);
    await whitelistInvestor(t, a, tranches.SENIOR.id, bob.investorId);
    await whitelistInvestor(t, a, tranches.MEZZANINE.id, bob.investorId);
    await whitelistInvestor(t, a, tranches.JUNIOR.id, carol.investorId);
    await whitelistInvestor(t, a, tranches.SENIOR.id, dave.investorId);
    const opened = (await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering;
    expect(opened).toMatchObject({ __typename: "Offering", status: "OPEN" });
  }, 120_000);

  it("refuses a subscription the chain would refuse, with the decoded reason, and moves nothing", async () => {
    const before = await stablecoinBalance(t, dusd, dave.wallet);
    // 50 dUSD owed, 20 held: the permit is fine, the balance is not.
    const poor = await subscribe(a.issuerToken, {
      idempotencyKey: "dave-1",
      trancheId: tranches.SENIOR.id,
      investorId: dave.investorId,
      amount: (50n * E18).toString(),
      permit: await signPermit(t, dusd, dave.account, settlement, 50n * E6),
    });
    expect(poor).toMatchObject({ __typename: "SettlementRefusedError", code: "SETTLEMENT_REFUSED", reason: "ERC20InsufficientBalance" });
    // No permit and no approve: the allowance is what is missing.
    const unpaid = await subscribe(a.issuerToken, {
      idempotencyKey: "dave-2",
      trancheId: tranches.SENIOR.id,
      investorId: dave.investorId,
      amount: (10n * E18).toString(),
    });
    expect(unpaid).toMatchObject({ __typename: "SettlementRefusedError", reason: "ERC20InsufficientAllowance" });
    // An expired permit is named as such.
    const expired = await subscribe(a.issuerToken, {
      idempotencyKey: "dave-3",
      trancheId: tranches.SENIOR.id,
      investorId: dave.investorId,
      amount: (1n * E18 * 10n).toString(),
      permit: await signPermit(t, dusd, dave.account, settlement, 10n * E6, BigInt(Math.floor(Date.now() / 1000) - 60)),
    });
    expect(expired).toMatchObject({ __typename: "SettlementRefusedError", reason: "ERC2612ExpiredSignature" });
    const small = await subscribe(a.issuerToken, {
      idempotencyKey: "dave-4",
      trancheId: tranches.SENIOR.id,
      investorId: dave.investorId,
      amount: E18.toString(),
    });
    expect(small).toMatchObject({ __typename: "BelowMinimumTicketError", code: "BELOW_MINIMUM_TICKET" });
    // A paused tranche token: the mint leg would revert, so nothing is paid either.
    const pause = (name: string) =>
      t.gql(`mutation($id: ID!) { ${name}(trancheId: $id) { __typename ${ERROR_FIELDS} } }`, { id: tranches.SENIOR.id }, a.issuerToken);
    expect((await pause("pauseToken")).data.pauseToken.__typename).toBe("TokenControlAction");
    const paused = await subscribe(a.issuerToken, {
      idempotencyKey: "dave-5",
      trancheId: tranches.SENIOR.id,
      investorId: dave.investorId,
      amount: (10n * E18).toString(),
      permit: await signPermit(t, dusd, dave.account, settlement, 10n * E6),
    });
    expect(paused).toMatchObject({ __typename: "SettlementRefusedError", reason: "EnforcedPause" });
    expect((await pause("unpauseToken")).data.unpauseToken.__typename).toBe("TokenControlAction");
    expect(await stablecoinBalance(t, dusd, dave.wallet)).toBe(before);
    expect(await balanceOf(t, tranches.SENIOR.token, dave.wallet)).toBe(0n);
    const listed = (
      await t.gql(
        `query($f: SettlementFilter) { subscriptions(filter: $f) { __typename ... on QuerySubscriptionsSuccess { data { id } } } }`,
        { f: { investorId: dave.investorId } },
        a.issuerToken,
      )
    ).data.subscriptions;
    expect(listed.data).toEqual([]);
  }, 60_000);

  it("settles subscriptions by DvP: stablecoin to the treasury and tokens to each investor, both or neither, exactly once", async () => {
    const aliceToken = await signIn(alice.account);
    // Alice subscribes for herself, signed in; Bob and Carol through the issuer; Carol approved beforehand.
    const s1 = await subscribe(aliceToken, {
      idempotencyKey: "alice-senior",
      trancheId: tranches.SENIOR.id,
      investorId: alice.investorId,
      amount: (300n * E18).toString(),
      permit: await signPermit(t, dusd, alice.account, settlement, 300n * E6),
    });
    expect(s1).toMatchObject({ __typename: "InvestorSubscription", cost: (300n * E6).toString(), paidWith: "PERMIT" });
    const again = await subscribe(aliceToken, {
      idempotencyKey: "alice-senior",
      trancheId: tranches.SENIOR.id,
      investorId: alice.investorId,
      amount: (300n * E18).toString(),
    });
    expect(again.id).toBe(s1.id);
    const s2 = await subscribe(a.issuerToken, {
      idempotencyKey: "bob-senior",
      trancheId: tranches.SENIOR.id,
      investorId: bob.investorId,
      amount: (200n * E18).toString(),
      permit: await signPermit(t, dusd, bob.account, settlement, 300n * E6),
    });
    // Bob's one permit covers both of his subscriptions (300 dUSD): once relayed, the rest of the allowance pays the second.
    await settled(s2.id);
    const s3b = await subscribe(a.issuerToken, {
      idempotencyKey: "bob-mezz-2",
      trancheId: tranches.MEZZANINE.id,
      investorId: bob.investorId,
      amount: (100n * E18).toString(),
    });
    expect(s3b.__typename).toBe("InvestorSubscription");
    await approve(t, dusd, carol.account, settlement, 150n * E6);
    const s4 = await subscribe(a.issuerToken, {
      idempotencyKey: "carol-junior",
      trancheId: tranches.JUNIOR.id,
      investorId: carol.investorId,
      amount: (150n * E18).toString(),
    });
    expect(s4).toMatchObject({ __typename: "InvestorSubscription", paidWith: "ALLOWANCE" });

    for (const s of [s1, s2, s3b, s4]) expect(await settled(s.id)).toMatchObject({ status: "CONFIRMED" });
    // The chain: each investor paid exactly the cost, holds exactly the tokens; the treasury holds the sum.
    expect(await stablecoinBalance(t, dusd, alice.wallet)).toBe(FUNDS - 300n * E6);
    expect(await stablecoinBalance(t, dusd, bob.wallet)).toBe(FUNDS - 300n * E6);
    expect(await stablecoinBalance(t, dusd, carol.wallet)).toBe(FUNDS - 150n * E6);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(750n * E6);
    expect(await balanceOf(t, tranches.SENIOR.token, alice.wallet)).toBe(300n * E18);
    expect(await balanceOf(t, tranches.SENIOR.token, bob.wallet)).toBe(200n * E18);
    expect(await balanceOf(t, tranches.MEZZANINE.token, bob.wallet)).toBe(100n * E18);
    expect(await balanceOf(t, tranches.JUNIOR.token, carol.wallet)).toBe(150n * E18);
    const { subscribed } = await settlementEvents(t, settlement, fromBlock);
    expect(subscribed.size).toBe(4);
    for (const s of [s1, s2, s3b, s4]) expect(subscribed.get(settlementId(s.id))).toBe(1);

    // Alice, signed in, reads her own subscriptions and holdings; Bob's subscription is not hers to see.
    const mine = (
      await t.gql(
        `query($id: ID!) { investor(id: $id) { __typename ... on Investor { subscriptions { id status } } } }`,
        { id: alice.investorId },
        aliceToken,
      )
    ).data.investor;
    expect(mine.subscriptions.map((s: any) => s.id)).toEqual([s1.id]);
    const others = (await t.gql(SUBSCRIPTION, { id: s2.id }, aliceToken)).data.subscription;
    expect(others).toMatchObject({ __typename: "NotFoundError" });
    const forBob = await subscribe(aliceToken, {
      idempotencyKey: "x",
      trancheId: tranches.SENIOR.id,
      investorId: bob.investorId,
      amount: (10n * E18).toString(),
    });
    expect(forBob).toMatchObject({ __typename: "NotFoundError" });
  }, 120_000);

  it("closes, matures and redeems: senior and mezzanine paid in full with coupons, the junior pro rata, the shortfall recorded", async () => {
    expect((await t.gql(MOVE("closeOffering"), { id: offeringId }, a.issuerToken)).data.closeOffering).toMatchObject({ status: "CLOSED" });
    const early = (await t.gql(MOVE("matureOffering"), { id: offeringId }, a.issuerToken)).data.matureOffering;
    expect(early).toMatchObject({ __typename: "OfferingNotMaturedError" });
    clock = new Date(T0.getTime() + 366 * DAY);
    expect((await t.gql(MOVE("matureOffering"), { id: offeringId }, a.issuerToken)).data.matureOffering).toMatchObject({
      status: "MATURED",
    });
    // The treasury holds the 750 dUSD paid in and allows the settlement contract to spend them.
    await approve(t, dusd, treasury, settlement);
    const planned = (await t.gql(MOVE("redeemOffering"), { id: offeringId }, a.issuerToken)).data.redeemOffering;
    expect(planned.__typename).toBe("Offering");
    // Due: senior 500 × 1.05 = 525, mezzanine 100 × 1.08 = 108, junior 150 (principal): 783 > 750.
    expect(planned.redemptionShortfall).toBe((33n * E6).toString());
    const redeemed = await waitFor(
      "offering REDEEMED",
      async () => {
        const o = (
          await t.gql(
            `query($id: ID!) { offering(id: $id) { __typename ... on Offering { status redemptionShortfall } } }`,
            { id: offeringId },
            a.issuerToken,
          )
        ).data.offering;
        return o.status === "REDEEMED" ? o : undefined;
      },
      60_000,
    );
    expect(redeemed.redemptionShortfall).toBe((33n * E6).toString());
    // The chain: every token burned, every payout exact, the treasury empty.
    for (const key of ["SENIOR", "MEZZANINE", "JUNIOR"] as const) expect(await tokenSupply(t, tranches[key].token)).toBe(0n);
    expect(await stablecoinBalance(t, dusd, alice.wallet)).toBe(FUNDS - 300n * E6 + 315n * E6);
    expect(await stablecoinBalance(t, dusd, bob.wallet)).toBe(FUNDS - 300n * E6 + 210n * E6 + 108n * E6);
    expect(await stablecoinBalance(t, dusd, carol.wallet)).toBe(FUNDS - 150n * E6 + 117n * E6);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(0n);
    const rows = (await t.gql(REDEMPTIONS, { f: { offeringId } }, a.issuerToken)).data.redemptions.data;
    expect(rows).toHaveLength(4);
    const carols = rows.find((r: any) => r.holder === carol.account.address);
    expect(carols).toMatchObject({
      kind: "MATURITY",
      status: "CONFIRMED",
      due: (150n * E6).toString(),
      payout: (117n * E6).toString(),
      shortfall: (33n * E6).toString(),
    });
    const { redeemed: events } = await settlementEvents(t, settlement, fromBlock);
    expect(events.size).toBe(4);
    for (const r of rows) expect(events.get(settlementId(r.id))).toBe(1);
    // Planned once: asking again changes nothing.
    const twice = (await t.gql(MOVE("redeemOffering"), { id: offeringId }, a.issuerToken)).data.redeemOffering;
    expect(twice).toMatchObject({ __typename: "OfferingStateError", current: "REDEEMED" });
  }, 120_000);
});
