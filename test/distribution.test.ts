/**
 * Revenue-rights passthrough, end to end over HTTP against the real dev chain: a three-tranche
 * offering (senior 8 %, mezzanine 12 %, residual junior; 1 % management fee) subscribed by DvP,
 * closed, then three 90-day periods of data-asset revenue recorded by the exchange:
 *   1. a good period: every coupon paid, the rest to the junior;
 *   2. a bad one: senior paid, mezzanine short (arrears recorded), junior nothing; between the
 *      record dates a senior holder sold part of their tokens, and a mezzanine holder is frozen
 *      (their payout held, then paid once unfrozen);
 *   3. a recovery: the mezzanine's arrears first, then the coupons, the rest to the junior.
 * The chain is the judge: every holder's dUSD on chain equals their statement, every payout is one
 * DistributionPaid event matching the registry one to one, the sums are exact.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { parseEventLogs, type Address } from "viem";
import { eq } from "drizzle-orm";
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
import { TEST_WEBHOOK_SECRET, transferAs, waitFor } from "./support/indexer.js";
import { signGatewayDelivery } from "../src/indexer/webhooks.js";
import { assetRevenue } from "../src/distribution/table.js";
import { approve, devStablecoin, faucet, REQUEST_SUBSCRIPTION, settlementId, stablecoinBalance } from "./support/dvp.js";
import { settlementRound } from "../src/settlement/worker.js";
import { distributionRound } from "../src/distribution/worker.js";
import { distributionPayout } from "../src/distribution/table.js";
import { RevenueDistributorAbi } from "../src/chain/settlement.js";
import { chainWrite } from "../src/chain/table.js";

const DAY = 86_400_000;
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
let clock = T0;

let t: TestGateway;
let a: Actors;
let dusd: Address;
let distributor: Address;
let treasury: PrivateKeyAccount;
let offeringId: string;
let assetId: string;
let fromBlock: bigint;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
let alice: Inv, bob: Inv, carol: Inv, dave: Inv;
const tranches = {} as Record<"SENIOR" | "MEZZANINE" | "JUNIOR", { id: string; token: Address }>;
/** Each investor's dUSD once subscriptions are paid: what the distributions add is measured from here. */
const base = new Map<string, bigint>();

const MOVE = (name: string) =>
  `mutation($id: ID!) { ${name}(offeringId: $id) { __typename ... on Offering { id status } ${ERROR_FIELDS} } }`;
const DEPLOY = `mutation($id: ID!) { deployTrancheToken(trancheId: $id) { __typename ... on Tranche { tokenAddress } ${ERROR_FIELDS} } }`;
const ADD = `mutation($id: ID!, $input: TrancheInput!) { addTranche(offeringId: $id, input: $input) { __typename ... on Tranche { id } ${ERROR_FIELDS} } }`;
const RECORD = `mutation($input: RecordAssetRevenueInput!) { recordAssetRevenue(input: $input) { __typename ... on AssetRevenue { id amount } ${ERROR_FIELDS} } }`;
const WATERFALL = `tranches { trancheId principal due arrearsBefore paid arrearsAfter }`;
const PREVIEW = `query($o: ID!, $end: DateTime!) { previewDistribution(offeringId: $o, periodEnd: $end) { __typename
  ... on DistributionPreview { periodStart periodEnd recordBlock available fee total undistributed distributor treasuryPayable ${WATERFALL} payouts { trancheId holder amount held balance } }
  ${ERROR_FIELDS} } }`;
const DECLARE = `mutation($input: DeclareDistributionInput!) { declareDistribution(input: $input) { __typename
  ... on Distribution { id status recordBlock available fee total ${WATERFALL} }
  ... on TreasuryInsufficientError { needed available }
  ${ERROR_FIELDS} } }`;
const DISTRIBUTION = `query($id: ID!) { distribution(id: $id) { __typename
  ... on Distribution { id status total declareTxHash ${WATERFALL} payouts { id trancheId holder investorId amount status txHash } }
  ${ERROR_FIELDS} } }`;
const STATEMENTS = `query($id: ID!) { investor(id: $id) { __typename ... on Investor { statements { distributionId trancheId balance gross paid held pending } } ${ERROR_FIELDS} } }`;

const round = () =>
  distributionRound({ db: t.database.db, chain: t.chain, logger: silent, confirmations: 1, receiptPollMs: 50, owedRetryMs: 300 });

/** Mines past FINALITY_DEPTH and waits until the indexer's final cap table shows these balances. */
async function capTableIs(token: Address, balances: [Inv, bigint][]) {
  await t.chain.publicClient.request({ method: "anvil_mine" as any, params: ["0x3"] as any });
  let last: unknown;
  await waitFor(`cap table of ${token}`, async () => {
    const r = await t.gql(
      `query($token: String!) { holdings(tokenAddress: $token) { ... on QueryHoldingsSuccess { data { holder finalBalance } } } }`,
      { token },
      a.officerToken,
    );
    last = r;
    const rows: { holder: string; finalBalance: string }[] = r.data?.holdings?.data ?? [];
    return balances.every(([inv, balance]) => rows.find((h) => h.holder === inv.wallet)?.finalBalance === balance.toString());
  }).catch((error) => {
    throw new Error(`${error.message}: ${JSON.stringify(last)}`);
  });
}

async function recordRevenue(start: Date, end: Date, amount: bigint) {
  return ok<any>(
    await t.gql(
      RECORD,
      {
        input: {
          assetId,
          periodStart: start.toISOString(),
          periodEnd: end.toISOString(),
          amount: amount.toString(),
          currency: dusd,
          evidenceDigest: digest(`revenue ${end.toISOString()} ${amount}`),
        },
      },
      a.officerToken,
    ),
    "recordAssetRevenue",
    "AssetRevenue",
  );
}

async function declare(key: string, periodEnd: Date) {
  return t.gql(DECLARE, { input: { idempotencyKey: key, offeringId, periodEnd: periodEnd.toISOString() } }, a.issuerToken);
}

/** Runs the worker until the distribution is PAID; returns it as GraphQL answers it. */
async function paid(id: string) {
  for (let i = 0; i < 20; i++) {
    await round();
    const d = (await t.gql(DISTRIBUTION, { id }, a.issuerToken)).data.distribution;
    if (d.status === "PAID") return d;
  }
  throw new Error(`distribution ${id} never became PAID`);
}

const line = (d: any, key: keyof typeof tranches) => d.tranches.find((l: any) => l.trancheId === tranches[key].id);

/** Each payout is within one base unit of its exact share, and a tranche's payouts add up to what the waterfall gave it. */
function expectProRata(d: any) {
  for (const key of ["SENIOR", "MEZZANINE", "JUNIOR"] as const) {
    const payouts = d.payouts.filter((p: any) => p.trancheId === tranches[key].id);
    const sum = payouts.reduce((s: bigint, p: any) => s + BigInt(p.amount), 0n);
    expect(sum, key).toBe(BigInt(line(d, key).paid));
  }
}

/** The chain's DistributionPaid events since the start, by payout id. */
async function paidEvents() {
  const logs = await t.chain.publicClient.getLogs({ address: distributor, fromBlock, toBlock: "latest" });
  return parseEventLogs({ abi: RevenueDistributorAbi, logs });
}

beforeAll(async () => {
  t = await startTestGateway({
    now: () => clock,
    gateway: { workerEnabled: false, kycSweepIntervalMs: 3_600_000, indexer: { pollIntervalMs: 100 }, webhookSecret: TEST_WEBHOOK_SECRET },
  });
  a = await createActors(t);
  dusd = await devStablecoin(t);
  treasury = privateKeyToAccount(generatePrivateKey());
  const asset = await registerApprovedAsset(t, a, `Revenue rights ${Math.random()}`);
  assetId = asset.assetId;
  const maturityDate = new Date(T0.getTime() + 3 * 365 * DAY).toISOString();
  const created = ok<any>(
    await t.gql(
      `mutation($input: CreateOfferingInput!) { createOffering(input: $input) { __typename ... on Offering { id managementFeeBps tranches { id } } ${ERROR_FIELDS} } }`,
      {
        input: {
          name: "Port Data Revenue Note",
          productType: "DEBT",
          assetIds: [asset.assetId],
          allowedInvestorClasses: ["PROFESSIONAL"],
          currency: "USD",
          termsDigest: asset.contentDigest,
          settlementToken: dusd,
          treasury: treasury.address,
          managementFeeBps: 100,
          tranche: {
            name: "Senior",
            seniority: "SENIOR",
            couponBps: 800,
            supplyCap: (600n * E18).toString(),
            price: "1000000",
            maturityDate,
            tokenName: "Revenue Senior",
            tokenSymbol: "REVS",
          },
        },
      },
      a.issuerToken,
    ),
    "createOffering",
    "Offering",
  );
  offeringId = created.id;
  expect(created.managementFeeBps).toBe(100);
  await satisfyRequirements(t, a, { assetId, contentDigest: asset.contentDigest, offeringId });
  const add = async (input: Record<string, unknown>) =>
    ok<any>(
      await t.gql(ADD, { id: offeringId, input: { maturityDate, price: "1000000", ...input } }, a.issuerToken),
      "addTranche",
      "Tranche",
    ).id;
  tranches.SENIOR = { id: created.tranches[0].id, token: "0x" as Address };
  tranches.MEZZANINE = {
    id: await add({
      name: "Mezzanine",
      seniority: "MEZZANINE",
      couponBps: 1200,
      supplyCap: (300n * E18).toString(),
      tokenName: "Revenue Mezz",
      tokenSymbol: "REVM",
    }),
    token: "0x" as Address,
  };
  tranches.JUNIOR = {
    id: await add({
      name: "Junior",
      seniority: "JUNIOR",
      couponKind: "RESIDUAL",
      supplyCap: (100n * E18).toString(),
      tokenName: "Revenue Junior",
      tokenSymbol: "REVJ",
    }),
    token: "0x" as Address,
  };
  for (const key of ["SENIOR", "MEZZANINE", "JUNIOR"] as const) {
    tranches[key].token = ok<any>(
      await t.gql(DEPLOY, { id: tranches[key].id }, a.issuerToken),
      "deployTrancheToken",
      "Tranche",
    ).tokenAddress;
  }
  const register = () => registerVerifiedInvestor(t, a, "PROFESSIONAL", { kycExpiresAt: new Date(Date.now() + 3 * 365 * DAY) });
  [alice, bob, carol, dave] = [await register(), await register(), await register(), await register()];
  const settlement = (await t.gql(`{ settlementContract }`)).data.settlementContract as Address;
  const holdings: [Inv, keyof typeof tranches, bigint][] = [
    [alice, "SENIOR", 400n],
    [bob, "SENIOR", 200n],
    [bob, "MEZZANINE", 100n],
    [carol, "MEZZANINE", 200n],
    [dave, "JUNIOR", 100n],
  ];
  for (const [inv, key] of holdings) await whitelistInvestor(t, a, tranches[key].id, inv.investorId);
  // Carol buys senior tokens from Alice after the first record date: she must be able to receive them.
  await whitelistInvestor(t, a, tranches.SENIOR.id, carol.investorId);
  for (const inv of [alice, bob, carol, dave]) {
    await faucet(t, dusd, inv.account, 1_000n * E6);
    await approve(t, dusd, inv.account, settlement);
  }
  expect((await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering.status).toBe("OPEN");
  for (const [inv, key, tokens] of holdings) {
    const r = await t.gql(
      REQUEST_SUBSCRIPTION,
      {
        input: {
          idempotencyKey: `${key}-${inv.investorId}`,
          trancheId: tranches[key].id,
          investorId: inv.investorId,
          amount: (tokens * E18).toString(),
        },
      },
      a.issuerToken,
    );
    expect(r.data.requestSubscription.__typename, JSON.stringify(r.data)).toBe("InvestorSubscription");
  }
  await settlementRound({ db: t.database.db, chain: t.chain, logger: silent, confirmations: 1, receiptPollMs: 50, now: () => clock });
  expect((await t.gql(MOVE("closeOffering"), { id: offeringId }, a.issuerToken)).data.closeOffering.status).toBe("CLOSED");
  for (const inv of [alice, bob, carol, dave]) base.set(inv.wallet, await stablecoinBalance(t, dusd, inv.wallet));
  // The treasury received 1,000 dUSD of subscriptions; it pays distributions from them (gas for its approve).
  expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(1_000n * E6);
  fromBlock = await t.chain.publicClient.getBlockNumber();
}, 240_000);

afterAll(async () => {
  await t?.close();
});

// Every period is 90 days on 1,000 dUSD of principal (600 senior, 300 mezzanine, 100 junior):
const FEE = (1_000n * E6 * 100n * 90n) / (10_000n * 365n); // 2,465,753
const SENIOR_COUPON = (600n * E6 * 800n * 90n) / (10_000n * 365n); // 11,835,616
const MEZZ_COUPON = (300n * E6 * 1200n * 90n) / (10_000n * 365n); // 8,876,712
const end = (n: number) => new Date(T0.getTime() + n * 90 * DAY);

describe("revenue distributions through a three-tranche waterfall", () => {
  let first: any;
  let second: any;

  it("period 1 (good): every coupon paid, the residual to the junior, exactly as the chain shows", async () => {
    await capTableIs(tranches.SENIOR.token, [
      [alice, 400n * E18],
      [bob, 200n * E18],
    ]);
    await capTableIs(tranches.MEZZANINE.token, [
      [bob, 100n * E18],
      [carol, 200n * E18],
    ]);
    await capTableIs(tranches.JUNIOR.token, [[dave, 100n * E18]]);
    clock = new Date(end(1).getTime() + DAY);
    await recordRevenue(T0, end(1), 40n * E6);

    // A dry run stores nothing; the declared distribution is the same plan.
    const preview = ok<any>(
      await t.gql(PREVIEW, { o: offeringId, end: end(1).toISOString() }, a.issuerToken),
      "previewDistribution",
      "DistributionPreview",
    );
    distributor = preview.distributor;
    expect(preview).toMatchObject({ available: (40n * E6).toString(), fee: FEE.toString(), undistributed: "0" });
    expect(line(preview, "SENIOR")).toMatchObject({ due: SENIOR_COUPON.toString(), paid: SENIOR_COUPON.toString(), arrearsAfter: "0" });
    expect(line(preview, "MEZZANINE")).toMatchObject({ due: MEZZ_COUPON.toString(), paid: MEZZ_COUPON.toString(), arrearsAfter: "0" });
    const junior = 40n * E6 - FEE - SENIOR_COUPON - MEZZ_COUPON;
    expect(line(preview, "JUNIOR")).toMatchObject({ due: "0", paid: junior.toString() });
    expect(preview.total).toBe((SENIOR_COUPON + MEZZ_COUPON + junior).toString());

    // The treasury has not approved the distributor: refused before anything is recorded.
    const refused = (await declare("p1", end(1))).data.declareDistribution;
    expect(refused).toMatchObject({
      __typename: "TreasuryInsufficientError",
      code: "TREASURY_INSUFFICIENT",
      available: "0",
      needed: preview.total,
    });
    expect(
      (
        await t.gql(
          `query($o: ID!) { distributions(offeringId: $o) { ... on QueryDistributionsSuccess { data { id } } } }`,
          { o: offeringId },
          a.issuerToken,
        )
      ).data.distributions.data,
    ).toEqual([]);

    await approve(t, dusd, treasury, distributor);
    const declared = ok<any>(await declare("p1", end(1)), "declareDistribution", "Distribution");
    expect(declared).toMatchObject({ status: "DECLARED", total: preview.total });
    // The same key again answers the same distribution.
    expect((await declare("p1", end(1))).data.declareDistribution.id).toBe(declared.id);

    first = await paid(declared.id);
    expect(first.declareTxHash).toMatch(/^0x/);
    expectProRata(first);
    // Senior 400:200 exactly; the junior's single holder takes it all.
    const senior = first.payouts.filter((p: any) => p.trancheId === tranches.SENIOR.id);
    // 400:200 of 11,835,616 → 7,890,410.67 / 3,945,205.33: the last base unit to the larger remainder.
    expect(Object.fromEntries(senior.map((p: any) => [p.holder, p.amount]))).toEqual({
      [alice.wallet]: "7890411",
      [bob.wallet]: "3945205",
    });
    for (const inv of [alice, bob, carol, dave]) {
      const mine = first.payouts.filter((p: any) => p.holder === inv.wallet).reduce((s: bigint, p: any) => s + BigInt(p.amount), 0n);
      expect(await stablecoinBalance(t, dusd, inv.wallet), inv.wallet).toBe(base.get(inv.wallet)! + mine);
    }
    expect(first.payouts.find((p: any) => p.holder === dave.wallet).amount).toBe(junior.toString());
  }, 120_000);

  it("period 2 (bad): senior paid, mezzanine short with arrears, junior nothing; paid by the balances at the new record block, a frozen holder held", async () => {
    // Alice sells 100 senior tokens to Carol; Carol is frozen on the mezzanine token.
    await transferAs(t, alice.account, tranches.SENIOR.token, carol.wallet, 100n * E18);
    const frozen = await t.gql(
      `mutation($t: ID!, $a: String!) { freezeAddress(trancheId: $t, address: $a) { __typename ${ERROR_FIELDS} } }`,
      { t: tranches.MEZZANINE.id, a: carol.wallet },
      a.issuerToken,
    );
    expect(frozen.data.freezeAddress.__typename).toBe("TokenControlAction");
    await capTableIs(tranches.SENIOR.token, [
      [alice, 300n * E18],
      [bob, 200n * E18],
      [carol, 100n * E18],
    ]);
    clock = new Date(end(2).getTime() + DAY);
    await recordRevenue(end(1), end(2), 15n * E6);
    const before = new Map<string, bigint>();
    for (const inv of [alice, bob, carol, dave]) before.set(inv.wallet, await stablecoinBalance(t, dusd, inv.wallet));

    const declared = ok<any>(await declare("p2", end(2)), "declareDistribution", "Distribution");
    const mezzPaid = 15n * E6 - FEE - SENIOR_COUPON;
    expect(line(declared, "SENIOR")).toMatchObject({ paid: SENIOR_COUPON.toString(), arrearsAfter: "0" });
    expect(line(declared, "MEZZANINE")).toMatchObject({
      due: MEZZ_COUPON.toString(),
      paid: mezzPaid.toString(),
      arrearsAfter: (MEZZ_COUPON - mezzPaid).toString(),
    });
    expect(line(declared, "JUNIOR")).toMatchObject({ paid: "0" });
    second = await paid(declared.id);
    expectProRata(second);
    const senior = second.payouts.filter((p: any) => p.trancheId === tranches.SENIOR.id);
    expect(senior.map((p: any) => p.holder).sort()).toEqual([alice.wallet, bob.wallet, carol.wallet].sort());
    // Senior 300:200:100 of 11,835,616 → 5,917,808 / 3,945,205 / 1,972,603 (largest remainder).
    expect(Object.fromEntries(senior.map((p: any) => [p.holder, p.amount]))).toEqual({
      [alice.wallet]: "5917808",
      [bob.wallet]: "3945205",
      [carol.wallet]: "1972603",
    });
    const carolMezz = second.payouts.find((p: any) => p.trancheId === tranches.MEZZANINE.id && p.holder === carol.wallet);
    expect(carolMezz.status).toBe("HELD");
    expect(second.payouts.filter((p: any) => p.holder === dave.wallet)).toEqual([]);
    for (const inv of [alice, bob, carol, dave]) {
      const mine = second.payouts
        .filter((p: any) => p.holder === inv.wallet && p.status === "CONFIRMED")
        .reduce((s: bigint, p: any) => s + BigInt(p.amount), 0n);
      expect(await stablecoinBalance(t, dusd, inv.wallet), inv.wallet).toBe(before.get(inv.wallet)! + mine);
    }

    // Unfrozen: the held payout is paid, once.
    const carolBefore = await stablecoinBalance(t, dusd, carol.wallet);
    const unfrozen = await t.gql(
      `mutation($t: ID!, $a: String!) { unfreezeAddress(trancheId: $t, address: $a) { __typename ${ERROR_FIELDS} } }`,
      { t: tranches.MEZZANINE.id, a: carol.wallet },
      a.issuerToken,
    );
    expect(unfrozen.data.unfreezeAddress.__typename).toBe("TokenControlAction");
    second = await paid(declared.id);
    await round();
    expect(second.payouts.find((p: any) => p.id === carolMezz.id).status).toBe("CONFIRMED");
    expect(await stablecoinBalance(t, dusd, carol.wallet)).toBe(carolBefore + BigInt(carolMezz.amount));
  }, 120_000);

  it("period 3 (recovery): the mezzanine's arrears first, then the coupons, the rest to the junior", async () => {
    clock = new Date(end(3).getTime() + DAY);
    await recordRevenue(end(2), end(3), 50n * E6);
    const declared = ok<any>(await declare("p3", end(3)), "declareDistribution", "Distribution");
    const arrears = MEZZ_COUPON - (15n * E6 - FEE - SENIOR_COUPON);
    expect(line(declared, "MEZZANINE")).toMatchObject({
      arrearsBefore: arrears.toString(),
      paid: (arrears + MEZZ_COUPON).toString(),
      arrearsAfter: "0",
    });
    const junior = 50n * E6 - FEE - SENIOR_COUPON - arrears - MEZZ_COUPON;
    expect(line(declared, "JUNIOR")).toMatchObject({ paid: junior.toString() });
    const third = await paid(declared.id);
    expectProRata(third);

    // Statements: per period and tranche, gross = paid (nothing held any more), and the chain agrees with them.
    for (const inv of [alice, bob, carol, dave]) {
      const lines = ok<any>(await t.gql(STATEMENTS, { id: inv.investorId }, a.issuerToken), "investor", "Investor").statements;
      const total = lines.reduce((s: bigint, l: any) => s + BigInt(l.paid), 0n);
      for (const l of lines) expect(l).toMatchObject({ held: "0", pending: "0", paid: l.gross });
      expect(await stablecoinBalance(t, dusd, inv.wallet), inv.wallet).toBe(base.get(inv.wallet)! + total);
    }
    // The treasury paid exactly the three totals.
    const totals = [first, second, third].reduce((s, d) => s + BigInt(d.total), 0n);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(1_000n * E6 - totals);

    // DistributionPaid matches the registry one to one; DistributionDeclared once per distribution with its total.
    const events = await paidEvents();
    const rows = await t.database.db.select().from(distributionPayout);
    const mine = rows.filter((r) => [first.id, second.id, third.id].includes(r.distributionId));
    const paidLogs = events.filter((e) => e.eventName === "DistributionPaid");
    expect(paidLogs).toHaveLength(mine.length);
    for (const r of mine) {
      const matching = paidLogs.filter((e) => (e.args as any).payoutId === settlementId(r.id));
      expect(matching, r.id).toHaveLength(1);
      expect(matching[0]!.args).toMatchObject({
        distributionId: settlementId(r.distributionId),
        holder: r.holder,
        amount: BigInt(r.amount),
      });
      expect(r.status).toBe("CONFIRMED");
    }
    const declaredLogs = events.filter((e) => e.eventName === "DistributionDeclared");
    expect(declaredLogs.map((e) => (e.args as any).total)).toEqual([first, second, third].map((d) => BigInt(d.total)));
  }, 120_000);

  it("an investor signed in reads their own statement; another investor's answers NotFound", async () => {
    const { message } = ok<any>(
      await t.gql(
        `mutation($w: String!) { requestSignInChallenge(walletAddress: $w) { __typename ... on SignInChallenge { message } ${ERROR_FIELDS} } }`,
        { w: dave.account.address },
      ),
      "requestSignInChallenge",
      "SignInChallenge",
    );
    const token = ok<any>(
      await t.gql(
        `mutation($m: String!, $s: String!) { signInWithEthereum(message: $m, signature: $s) { __typename ... on InvestorSignIn { token } ${ERROR_FIELDS} } }`,
        { m: message, s: await dave.account.signMessage({ message }) },
      ),
      "signInWithEthereum",
      "InvestorSignIn",
    ).token;
    const own = ok<any>(await t.gql(STATEMENTS, { id: dave.investorId }, token), "investor", "Investor").statements;
    expect(own.map((l: any) => l.trancheId)).toEqual([tranches.JUNIOR.id, tranches.JUNIOR.id]);
    expect((await t.gql(STATEMENTS, { id: alice.investorId }, token)).data.investor.__typename).toBe("NotFoundError");
    // A distribution shows the investor only their own payouts.
    const d = (await t.gql(DISTRIBUTION, { id: first.id }, token)).data.distribution;
    expect(d.payouts.map((p: any) => p.holder)).toEqual([dave.wallet]);
    // No payout row is left unpaid.
    const open = await t.database.db.select().from(distributionPayout).where(eq(distributionPayout.status, "REQUESTED"));
    expect(open.filter((r) => [first.id, second.id].includes(r.distributionId))).toEqual([]);
  });

  it("the exchange's signed webhook records revenue under the same rules; a bad signature or another kind of organization records nothing, a redelivery nothing new", async () => {
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${t.url}/webhooks/revenue`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
    const envelope = (organizationId: string, deliveryId: string) =>
      JSON.stringify({
        deliveryId,
        organizationId,
        revenue: {
          assetId,
          periodStart: end(3).toISOString(),
          periodEnd: end(4).toISOString(),
          amount: "7000000",
          currency: dusd,
          evidenceDigest: digest("licence fees Q4"),
        },
      });
    const signed = (body: string) => signGatewayDelivery(TEST_WEBHOOK_SECRET, body, Math.floor(clock.getTime() / 1000));
    const count = async () => (await t.database.db.select().from(assetRevenue).where(eq(assetRevenue.assetId, assetId))).length;
    const before = await count();

    const body = envelope(a.exchangeOrgId, "exchange-delivery-1");
    const forged = await post(body, { ...signed(body), "x-signature": `sha256=${"0".repeat(64)}` });
    expect(forged.status).toBe(401);
    expect((await forged.json()).error.code).toBe("WEBHOOK_SIGNATURE_INVALID");
    const issuerBody = envelope(a.issuerOrgId, "issuer-delivery-1");
    const notExchange = await post(issuerBody, signed(issuerBody));
    expect(notExchange.status).toBe(403);
    expect((await notExchange.json()).error.code).toBe("FORBIDDEN");
    const bad = JSON.stringify({ deliveryId: "x", organizationId: a.exchangeOrgId, revenue: { assetId, amount: "1.5" } });
    const invalid = await post(bad, signed(bad));
    expect(invalid.status).toBe(400);
    expect((await invalid.json()).error.code).toBe("VALIDATION_FAILED");
    expect(await count()).toBe(before);

    const recorded = await post(body, signed(body));
    expect(recorded.status).toBe(201);
    const { revenueId } = await recorded.json();
    const again = await post(body, signGatewayDelivery(TEST_WEBHOOK_SECRET, body, Math.floor(clock.getTime() / 1000) + 1));
    expect((await again.json()).revenueId).toBe(revenueId);
    expect(await count()).toBe(before + 1);
    const [row] = await t.database.db.select().from(assetRevenue).where(eq(assetRevenue.id, revenueId));
    expect(row).toMatchObject({ amount: "7000000", recordedByOrgId: a.exchangeOrgId, deliveryId: "exchange-delivery-1" });
  });

  it("reconciliation: the distributor's DistributionPaid events equal the registry's payouts; a payout outside the gateway and a registry figure the chain lacks are drift", async () => {
    const RUN = `mutation { runReconciliation { __typename ... on ReconciliationRun {
      ok payoutsChecked error drift { kind tokenAddress holder registryBalance chainBalance distributionId } } } }`;
    const run = async () => {
      const r = await t.gql(RUN, {}, t.adminToken);
      const data = r.data?.runReconciliation;
      expect(data?.__typename, JSON.stringify(r)).toBe("ReconciliationRun");
      expect(data.error).toBeNull();
      return { ...data, payouts: data.drift.filter((d: any) => d.kind.startsWith("PAYOUT_")) };
    };
    const rows = await t.database.db.select().from(distributionPayout);
    expect(rows.length).toBeGreaterThan(0);
    const clean = await run();
    expect(clean.payoutsChecked).toBe(rows.length);
    expect(clean.payouts).toEqual([]);

    // The distributor's owner key used outside the gateway: a distribution the registry never
    // declared, paying Alice one base unit from the treasury.
    const rogue = "0x0000000000000000000000000000000000000000000000000000000000c0ffee" as const;
    const rogueUuid = "00000000-0000-0000-0000-000000000000";
    const send = async (functionName: "declare" | "payBatch", args: readonly unknown[]) =>
      t.chain.publicClient.waitForTransactionReceipt({
        hash: await t.chain.walletClient.writeContract({ address: distributor, abi: RevenueDistributorAbi, functionName, args } as any),
      });
    const roguePayoutId = `0x${"ab".repeat(32)}` as const;
    await send("declare", [rogue, dusd, treasury.address, 1n, [tranches.SENIOR.token], [1n]]);
    await send("payBatch", [
      rogue,
      dusd,
      treasury.address,
      [{ payoutId: roguePayoutId, tranche: tranches.SENIOR.token, holder: alice.wallet, amount: 1n }],
    ]);
    const afterRogue = await run();
    expect(afterRogue.payouts).toEqual([
      {
        kind: "PAYOUT_OVERPAID",
        tokenAddress: tranches.SENIOR.token,
        holder: alice.wallet,
        registryBalance: "0",
        chainBalance: "1",
        distributionId: rogueUuid,
      },
    ]);

    // A registry that says it paid Bob more than the chain shows (as a bug in a payout's settling would).
    const bobs = rows.find((r) => r.holder === bob.wallet && r.status === "CONFIRMED")!;
    await t.database.db
      .update(distributionPayout)
      .set({ amount: (BigInt(bobs.amount) + 5n).toString() })
      .where(eq(distributionPayout.id, bobs.id));
    try {
      const tampered = await run();
      expect(tampered.payouts).toContainEqual({
        kind: "PAYOUT_UNDERPAID",
        tokenAddress: expect.stringMatching(/^0x/),
        holder: bob.wallet,
        registryBalance: (BigInt(bobs.amount) + 5n).toString(),
        chainBalance: bobs.amount,
        distributionId: bobs.distributionId,
      });
      expect(tampered.payouts).toHaveLength(2);
    } finally {
      await t.database.db.update(distributionPayout).set({ amount: bobs.amount }).where(eq(distributionPayout.id, bobs.id));
    }
  }, 60_000);

  it("an announcement the distributor refuses is recorded with its reason and tried again later, not sent", async () => {
    // Period 4 (the webhook's revenue): its id declared on chain beforehand with the owner key, outside the gateway.
    clock = new Date(end(4).getTime() + DAY);
    const declared = ok<any>(await declare("p4", end(4)), "declareDistribution", "Distribution");
    await t.chain.publicClient.waitForTransactionReceipt({
      hash: await t.chain.walletClient.writeContract({
        address: distributor,
        abi: RevenueDistributorAbi,
        functionName: "declare",
        args: [settlementId(declared.id), dusd, treasury.address, 0n, [], []],
      }),
    });
    await round();
    const DECLARED = `query($id: ID!) { distribution(id: $id) { ... on Distribution { status announceError declareTxHash } } }`;
    const refused = (await t.gql(DECLARED, { id: declared.id }, a.issuerToken)).data.distribution;
    expect(refused).toMatchObject({ status: "DECLARED", declareTxHash: null });
    expect(refused.announceError).toContain("DistributionExists");
    // The next round, within the retry delay, does not try again.
    const writes = async () => (await t.database.db.select().from(chainWrite).where(eq(chainWrite.kind, "DECLARE_DISTRIBUTION"))).length;
    const before = await writes();
    await round();
    expect(await writes()).toBe(before);
  });
});
