/**
 * DvP settlement under the faults real deployments meet, judged by the chain: a settlement
 * worker that dies right after broadcasting (its node stuck, no receipt ever seen), then one
 * behind a load-balanced RPC whose receipt lookups land on a lagging node, then a healthy one.
 * Subscriptions and the refunds of a cancelled offering: every investor pays exactly once,
 * gets tokens exactly once, is refunded exactly once — including a subscription that was in
 * flight when the offering was cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import pino from "pino";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Address } from "viem";
import { eq } from "drizzle-orm";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, ERROR_FIELDS, OPEN_OFFERING, registerVerifiedInvestor, whitelistInvestor, type Actors } from "./support/flow.js";
import { balanceOf } from "./support/indexer.js";
import {
  approve,
  devStablecoin,
  faucet,
  REQUEST_SUBSCRIPTION,
  settlementEvents,
  settlementId,
  signPermit,
  stablecoinBalance,
  tokenSupply,
} from "./support/dvp.js";
import { createDvpOffering } from "./support/dvp.js";
import { startRpcProxy, type RpcProxy } from "./support/rpc-proxy.js";
import { attachNonceStore, connectChain, type ChainClients } from "../src/chain/client.js";
import { settlementRound, subscriptionBatchOwner, type SettlementWorkerOptions } from "../src/settlement/worker.js";
import { resumeWrite } from "../src/chain/writes.js";
import { redemption, subscription } from "../src/settlement/table.js";
import { chainWrite } from "../src/chain/table.js";
import { ChainUnavailableError } from "../src/errors.js";

const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
const FUNDS = 100n * E6;
const silent = pino({ level: "silent" });

let t: TestGateway;
let a: Actors;
let proxy: RpcProxy;
let proxied: ChainClients;
let dusd: Address;
let settlement: Address;
let treasury: PrivateKeyAccount;
let offeringId: string;
let trancheId: string;
let token: Address;
let fromBlock: bigint;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
const investors: Inv[] = [];

/** One round of the settlement worker on the given node, giving up (as a killed worker would stop) after `waitMs`. */
const round = (chain: ChainClients, waitMs = 20_000) =>
  settlementRound({
    db: t.database.db,
    chain,
    logger: silent,
    confirmations: 1,
    receiptPollMs: 50,
    waitMs,
  } satisfies SettlementWorkerOptions);

async function statuses(table: typeof subscription | typeof redemption) {
  const rows = await t.database.db.select({ id: table.id, status: table.status }).from(table).where(eq(table.offeringId, offeringId));
  return Object.fromEntries(rows.map((r) => [r.id, r.status]));
}

beforeAll(async () => {
  // No worker and no poller: only the rounds below settle, on the node each is given.
  t = await startTestGateway({ gateway: { workerEnabled: false, indexer: { pollerEnabled: false } } });
  a = await createActors(t);
  proxy = await startRpcProxy(inject("rpcUrl"));
  proxied = await connectChain({ rpcUrl: proxy.url, signerPrivateKey: t.signerKey });
  attachNonceStore(proxied, t.database.db);
  dusd = await devStablecoin(t);
  treasury = privateKeyToAccount(generatePrivateKey());
  ({ offeringId, trancheId, token } = await createDvpOffering(t, a, {
    name: "Faults Note",
    currency: dusd,
    treasury: treasury.address,
    tranche: { couponBps: 400, supplyCap: (1000n * E18).toString(), tokenName: "Faults Senior", tokenSymbol: "FLTS" },
  }));
  settlement = (await t.gql(`{ settlementContract }`)).data.settlementContract;
  for (let i = 0; i < 4; i++) {
    const inv = await registerVerifiedInvestor(t, a);
    await whitelistInvestor(t, a, trancheId, inv.investorId);
    await faucet(t, dusd, inv.account, FUNDS);
    investors.push(inv);
  }
  expect((await t.gql(OPEN_OFFERING, { id: offeringId }, a.issuerToken)).data.openOffering.status).toBe("OPEN");
  fromBlock = await t.chain.publicClient.getBlockNumber();
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await t?.close();
});

async function subscribe(inv: Inv, key: string, tokens: bigint) {
  const r = await t.gql(
    REQUEST_SUBSCRIPTION,
    {
      input: {
        idempotencyKey: key,
        trancheId,
        investorId: inv.investorId,
        amount: (tokens * E18).toString(),
        permit: await signPermit(t, dusd, inv.account, settlement, tokens * E6),
      },
    },
    a.issuerToken,
  );
  expect(r.data.requestSubscription.__typename, JSON.stringify(r.data)).toBe("InvestorSubscription");
  return r.data.requestSubscription.id as string;
}

describe("DvP settlement under faults", () => {
  it("a worker dead right after broadcast, then receipts from a lagging node: each subscription paid and minted exactly once", async () => {
    const ids = [
      await subscribe(investors[0]!, "s0", 10n),
      await subscribe(investors[1]!, "s1", 20n),
      await subscribe(investors[2]!, "s2", 30n),
    ];
    // The worker's node is stuck: the batch is recorded and broadcast (the real node mines it), but no receipt is ever seen.
    proxy.behindAt = await t.chain.publicClient.getBlockNumber();
    await expect(round(proxied, 1_500)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.behindAt = undefined;
    expect(Object.values(await statuses(subscription))).toEqual(["SUBMITTED", "SUBMITTED", "SUBMITTED"]);
    // Mined already, on the real node: one transaction for the batch.
    const mined = await settlementEvents(t, settlement, fromBlock);
    expect(mined.subscribed.size).toBe(3);

    // Next, a worker whose receipt lookups land on a lagging node while its nonce counts are current:
    // it must neither send the batch again nor give it up.
    proxy.lagging = true;
    await expect(round(proxied, 2_000)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.lagging = false;
    expect(proxy.hiddenReceipts).toBeGreaterThan(0);

    await round(t.chain);
    expect(Object.values(await statuses(subscription))).toEqual(["CONFIRMED", "CONFIRMED", "CONFIRMED"]);
    const { subscribed } = await settlementEvents(t, settlement, fromBlock);
    for (const id of ids) expect(subscribed.get(settlementId(id))).toBe(1);
    expect(subscribed.size).toBe(3);
    const writes = await t.database.db.select().from(chainWrite).where(eq(chainWrite.kind, "SUBSCRIBE_BATCH"));
    expect(writes.map((w) => w.status)).toEqual(["CONFIRMED"]);
    expect(await stablecoinBalance(t, dusd, investors[0]!.wallet)).toBe(FUNDS - 10n * E6);
    expect(await stablecoinBalance(t, dusd, investors[1]!.wallet)).toBe(FUNDS - 20n * E6);
    expect(await stablecoinBalance(t, dusd, investors[2]!.wallet)).toBe(FUNDS - 30n * E6);
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(60n * E6);
    expect(await tokenSupply(t, token)).toBe(60n * E18);
  }, 120_000);

  it("a cancelled offering refunds every paid subscription exactly once, one in flight at the cancel too, through the same faults", async () => {
    // One more subscription is in flight (broadcast, unseen) when the issuer cancels; another is not sent yet.
    const inFlight = await subscribe(investors[3]!, "s3", 40n);
    proxy.behindAt = await t.chain.publicClient.getBlockNumber();
    await expect(round(proxied, 1_500)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.behindAt = undefined;
    const unsent = await subscribe(investors[0]!, "s0-second", 5n);
    await approve(t, dusd, treasury, settlement);
    const cancelled = (
      await t.gql(
        `mutation($id: ID!) { cancelOffering(offeringId: $id) { __typename ... on Offering { status } ${ERROR_FIELDS} } }`,
        { id: offeringId },
        a.issuerToken,
      )
    ).data.cancelOffering;
    expect(cancelled).toMatchObject({ status: "CANCELLED" });
    const again = (
      await t.gql(
        `mutation($id: ID!) { cancelOffering(offeringId: $id) { __typename ${ERROR_FIELDS} } }`,
        { id: offeringId },
        a.issuerToken,
      )
    ).data.cancelOffering;
    expect(again).toMatchObject({ __typename: "OfferingStateError" });
    expect((await statuses(subscription))[unsent]).toBe("FAILED");

    // The subscription in flight is found mined (a worker resumes open batches first, by hash): it
    // confirms after the cancel, so its refund is recorded in the same settlement.
    const [row] = await t.database.db.select().from(subscription).where(eq(subscription.id, inFlight));
    await resumeWrite({ db: t.database.db, chain: t.chain, logger: silent, receiptPollMs: 50 }, row!.batchId!, subscriptionBatchOwner);
    expect((await statuses(subscription))[inFlight]).toBe("CONFIRMED");
    expect(await t.database.db.select().from(redemption).where(eq(redemption.offeringId, offeringId))).toHaveLength(4);

    // The refunds' worker dies right after broadcast, the next reads a lagging node, then a healthy one settles.
    proxy.behindAt = await t.chain.publicClient.getBlockNumber();
    await expect(round(proxied, 1_500)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.behindAt = undefined;
    expect(Object.values(await statuses(redemption))).toEqual(["SUBMITTED", "SUBMITTED", "SUBMITTED", "SUBMITTED"]);
    proxy.lagging = true;
    await expect(round(proxied, 2_000)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.lagging = false;
    await round(t.chain);

    expect((await statuses(subscription))[inFlight]).toBe("CONFIRMED");
    const refunds = await t.database.db.select().from(redemption).where(eq(redemption.offeringId, offeringId));
    expect(refunds).toHaveLength(4);
    expect(refunds.every((r) => r.kind === "REFUND" && r.status === "CONFIRMED")).toBe(true);
    // The chain: everyone has exactly their money back and no tokens; the treasury is empty; one Redeemed per refund.
    for (const inv of investors) {
      expect(await stablecoinBalance(t, dusd, inv.wallet)).toBe(FUNDS);
      expect(await balanceOf(t, token, inv.wallet)).toBe(0n);
    }
    expect(await stablecoinBalance(t, dusd, treasury.address)).toBe(0n);
    expect(await tokenSupply(t, token)).toBe(0n);
    const { redeemed, subscribed } = await settlementEvents(t, settlement, fromBlock);
    expect(subscribed.size).toBe(4);
    expect(redeemed.size).toBe(4);
    for (const r of refunds) expect(redeemed.get(settlementId(r.id))).toBe(1);
  }, 180_000);
});
