/**
 * The settlement and distribution workers wake on LISTEN, as `npm run worker` runs them beside
 * an API with WORKER_ENABLED=false: the API here runs no worker (its wakeWorker reaches nobody),
 * and each worker polls once an hour, so only a notification can bring it new work in time.
 * Judged by the chain: the subscription's tokens minted and paid for, the distribution's payouts
 * in the holders' wallets. Each worker also runs once without `listen` (the control): the same
 * kind of work then waits (for the poll) until it is woken by hand.
 *
 * On PostgreSQL the workers run on a second database handle (another pool, as another process
 * has), so the work reaches them only through NOTIFY from the API's connections. PGlite is one
 * process with one connection: there the workers share the API's handle, which still shows
 * that the triggers fire and the LISTEN wakes them on PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import pino from "pino";
import type { PrivateKeyAccount } from "viem/accounts";
import type { Address } from "viem";
import { and, eq } from "drizzle-orm";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, type registerVerifiedInvestor, type Actors } from "./support/flow.js";
import { balanceOf, waitFor } from "./support/indexer.js";
import {
  approve,
  closeOffering,
  declareDistribution,
  openResidualOffering,
  previewWithHolders,
  recordRevenue,
  REQUEST_SUBSCRIPTION,
  stablecoinBalance,
} from "./support/dvp.js";
import { openDatabase, type DatabaseHandle, type Listen } from "../src/db/index.js";
import { attachNonceStore, connectChain, type ChainClients } from "../src/chain/client.js";
import { CHANNELS } from "../src/notifications/change-feed.js";
import { startSettlementWorker } from "../src/settlement/worker.js";
import { startDistributionWorker } from "../src/distribution/worker.js";
import { subscription } from "../src/settlement/table.js";
import { distribution, distributionPayout } from "../src/distribution/table.js";

const PG = process.env.TEST_DATABASE_URL;
const DAY = 86_400_000;
const E18 = 10n ** 18n;
const E6 = 10n ** 6n;
/** Longer than the test: a worker finds new work only if it is woken. */
const HOUR = 3_600_000;
/** How long woken work may take (a round, a transaction mined at once on the dev chain). */
const WOKEN_WITHIN_MS = 5_000;
/** How long the control waits to see that unwoken work stays where it is. */
const CONTROL_WAIT_MS = 2_500;
const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
let clock = T0;

let t: TestGateway;
let a: Actors;
/** The workers' own database handle and chain client (another pool and signer client, as `npm run worker` has). */
let workerDb: DatabaseHandle;
let workerChain: ChainClients;
let lastWorkerQuery = 0;
let dusd: Address;
let treasury: PrivateKeyAccount;
let offeringId: string;
let trancheId: string;
let assetId: string;
let token: Address;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
const investors: Inv[] = [];
/** Every work_ready payload the API's handle heard. */
const heard: string[] = [];
let stopHearing: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // The API alone, as with WORKER_ENABLED=false: no worker in its process.
  t = await startTestGateway({
    now: () => clock,
    gateway: { workerEnabled: false, kycSweepIntervalMs: HOUR, indexer: { pollIntervalMs: 100 } },
  });
  a = await createActors(t);
  workerDb = PG
    ? await openDatabase({ url: t.database.url!, maxConnections: 3, onQuery: () => (lastWorkerQuery = Date.now()) })
    : t.database;
  workerChain = await connectChain({ rpcUrl: inject("rpcUrl"), signerPrivateKey: t.signerKey });
  attachNonceStore(workerChain, workerDb.db);
  stopHearing = await t.database.listen(CHANNELS.workReady, (payload) => heard.push(payload));
  const opened = await openResidualOffering(t, a, { name: "Wake Revenue Note", tokenSymbol: "WAKR", investors: 2 });
  ({ dusd, treasury, offeringId, trancheId, token, assetId } = opened);
  investors.push(...opened.investors);
}, 240_000);

afterAll(async () => {
  await stopHearing?.();
  if (workerDb && workerDb !== t?.database) await workerDb.close();
  await t?.close();
});

/** The worker's LISTEN, and a promise that it is in place (LISTEN answered) before any work is written. */
function listening(): { listen: Listen; ready: Promise<unknown> } {
  let ready!: Promise<unknown>;
  const listen: Listen = (channel, onPayload) => {
    const p = workerDb.listen(channel, onPayload);
    ready = p;
    return p;
  };
  return {
    listen,
    get ready() {
      return ready;
    },
  };
}

/** Until the worker's first round (run at start) is over: its handle idle for a while (PGlite: a fixed pause). */
async function firstRoundDone() {
  await sleep(300);
  if (!PG) return sleep(700);
  await waitFor("the worker's first round to end", async () => lastWorkerQuery > 0 && Date.now() - lastWorkerQuery > 400, 10_000);
}

const workerOptions = () => ({
  db: workerDb.db,
  chain: workerChain,
  logger: silent,
  confirmations: 1,
  receiptPollMs: 50,
  pollIntervalMs: HOUR,
});

async function subscribe(inv: Inv, key: string, tokens: bigint): Promise<string> {
  const r = await t.gql(
    REQUEST_SUBSCRIPTION,
    { input: { idempotencyKey: key, trancheId, investorId: inv.investorId, amount: (tokens * E18).toString() } },
    a.issuerToken,
  );
  expect(r.data.requestSubscription.__typename, JSON.stringify(r.data)).toBe("InvestorSubscription");
  return r.data.requestSubscription.id as string;
}

async function subscriptionStatus(id: string) {
  const [row] = await t.database.db.select({ status: subscription.status }).from(subscription).where(eq(subscription.id, id));
  return row!.status;
}

describe(`workers woken by LISTEN (${PG ? "PostgreSQL, a second database handle" : "PGlite, the API's handle"})`, () => {
  it("a settlement worker with listen settles a new subscription at once; without it the subscription waits for the poll", async () => {
    // With LISTEN: the subscription is written through the API's handle, nobody calls wake().
    const woken = listening();
    const worker = startSettlementWorker({ ...workerOptions(), listen: woken.listen, now: () => clock });
    await woken.ready;
    await firstRoundDone();
    const before = heard.length;
    const first = await subscribe(investors[0]!, "wake-1", 10n);
    const started = Date.now();
    await waitFor(
      "the woken worker to settle the subscription",
      async () => (await subscriptionStatus(first)) === "CONFIRMED",
      WOKEN_WITHIN_MS,
    );
    const tookMs = Date.now() - started;
    await worker.stop();
    expect(tookMs).toBeLessThan(WOKEN_WITHIN_MS);
    expect(heard.slice(before)).toContain("settlement");
    // The chain: tokens minted to the investor, paid in dUSD.
    expect(await balanceOf(t, token, investors[0]!.wallet)).toBe(10n * E18);
    expect(await stablecoinBalance(t, dusd, investors[0]!.wallet)).toBe(90n * E6);

    // The control: the same worker without LISTEN leaves a new subscription waiting.
    const deaf = startSettlementWorker({ ...workerOptions(), now: () => clock });
    await firstRoundDone();
    const second = await subscribe(investors[1]!, "wake-2", 20n);
    await sleep(CONTROL_WAIT_MS);
    expect(await subscriptionStatus(second)).toBe("REQUESTED");
    expect(await balanceOf(t, token, investors[1]!.wallet)).toBe(0n);
    // It works when told: woken by hand, it settles it.
    deaf.wake();
    await waitFor("the worker woken by hand", async () => (await subscriptionStatus(second)) === "CONFIRMED", WOKEN_WITHIN_MS);
    await deaf.stop();
    expect(await balanceOf(t, token, investors[1]!.wallet)).toBe(20n * E18);
  }, 60_000);

  it("a distribution worker with listen announces and pays a declared distribution at once; without it the declaration waits", async () => {
    await closeOffering(t, a, offeringId);
    clock = new Date(T0.getTime() + 61 * DAY);
    const periods = [30, 60].map((d) => new Date(T0.getTime() + d * DAY));
    for (const [i, periodEnd] of periods.entries()) {
      await recordRevenue(t, a, { assetId, periodStart: i === 0 ? T0 : periods[0]!, periodEnd, amount: 300_000n, currency: dusd });
    }
    const preview = await previewWithHolders(t, a, offeringId, periods[0]!, 2);
    await approve(t, dusd, treasury, preview.distributor);
    const declare = async (key: string, periodEnd: Date) => (await declareDistribution(t, a, offeringId, key, periodEnd)).id;
    const statusOf = async (id: string) => (await t.database.db.select().from(distribution).where(eq(distribution.id, id)))[0]!;
    const balances = () => Promise.all(investors.map((inv) => stablecoinBalance(t, dusd, inv.wallet)));
    /** 10 and 20 tokens: 300,000 base units split 100,000 / 200,000. */
    const shares = [100_000n, 200_000n];

    // With LISTEN: declared through the API's handle, nobody calls wake().
    const woken = listening();
    const worker = startDistributionWorker({ ...workerOptions(), listen: woken.listen });
    await woken.ready;
    await firstRoundDone();
    const before = heard.length;
    const start = await balances();
    const first = await declare("wake-1", periods[0]!);
    const started = Date.now();
    await waitFor("the woken worker to pay the distribution", async () => (await statusOf(first)).status === "PAID", WOKEN_WITHIN_MS);
    const tookMs = Date.now() - started;
    await worker.stop();
    expect(tookMs).toBeLessThan(WOKEN_WITHIN_MS);
    expect(heard.slice(before)).toContain("distribution");
    // The chain: each holder's dUSD grew by their payout.
    const afterFirst = await balances();
    expect(afterFirst.map((b, i) => b - start[i]!)).toEqual(shares);
    const paid = await t.database.db
      .select()
      .from(distributionPayout)
      .where(and(eq(distributionPayout.distributionId, first), eq(distributionPayout.status, "CONFIRMED")));
    expect(paid).toHaveLength(2);

    // The control: without LISTEN a new declaration is neither announced nor paid until the worker is woken.
    const deaf = startDistributionWorker(workerOptions());
    await firstRoundDone();
    const second = await declare("wake-2", periods[1]!);
    await sleep(CONTROL_WAIT_MS);
    const waiting = await statusOf(second);
    expect(waiting.status).toBe("DECLARED");
    expect(waiting.declareWriteId).toBeNull();
    expect(await balances()).toEqual(afterFirst);
    deaf.wake();
    await waitFor("the worker woken by hand", async () => (await statusOf(second)).status === "PAID", WOKEN_WITHIN_MS);
    await deaf.stop();
    expect((await balances()).map((b, i) => b - afterFirst[i]!)).toEqual(shares);
  }, 90_000);
});
