/**
 * Distribution payouts under the faults real deployments meet, judged by the chain: a worker
 * that dies right after broadcasting the announcement, then one dead right after broadcasting
 * the first payout batch (its node stuck, no receipt ever seen), then one behind a load-balanced
 * RPC whose receipt lookups land on a lagging node, then a healthy one. No holder is paid twice,
 * none is skipped, the announcement is made once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import pino from "pino";
import type { PrivateKeyAccount } from "viem/accounts";
import { parseEventLogs, type Address } from "viem";
import { eq } from "drizzle-orm";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, type registerVerifiedInvestor, type Actors } from "./support/flow.js";
import {
  approve,
  closeOffering,
  declareDistribution,
  previewWithHolders,
  recordRevenue,
  REQUEST_SUBSCRIPTION,
  settlementId,
  stablecoinBalance,
  tokenSupply,
} from "./support/dvp.js";
import { openResidualOffering } from "./support/dvp.js";
import { startRpcProxy, type RpcProxy } from "./support/rpc-proxy.js";
import { attachNonceStore, connectChain, type ChainClients } from "../src/chain/client.js";
import { settlementRound } from "../src/settlement/worker.js";
import { declareDistributionOwner, distributionRound } from "../src/distribution/worker.js";
import { distribution, distributionPayout } from "../src/distribution/table.js";
import { chainWrite } from "../src/chain/table.js";
import { resumeWrite } from "../src/chain/writes.js";
import { RevenueDistributorAbi } from "../src/chain/settlement.js";
import { payoutDrift } from "../src/distribution/reconcile.js";
import { ChainUnavailableError } from "../src/errors.js";

const DAY = 86_400_000;
const E18 = 10n ** 18n;
const silent = pino({ level: "silent" });
const T0 = new Date(Math.floor(Date.now() / 1000) * 1000);
let clock = T0;

let t: TestGateway;
let a: Actors;
let proxy: RpcProxy;
let proxied: ChainClients;
let dusd: Address;
let treasury: PrivateKeyAccount;
let offeringId: string;
let assetId: string;
let trancheId: string;
let token: Address;
let fromBlock: bigint;
type Inv = Awaited<ReturnType<typeof registerVerifiedInvestor>>;
const investors: Inv[] = [];
const base = new Map<string, bigint>();

/** One round of the distribution worker on the given node, two payouts a batch, giving up (as a killed worker would stop) after `waitMs`. */
const round = (chain: ChainClients, waitMs = 20_000) =>
  distributionRound({ db: t.database.db, chain, logger: silent, confirmations: 1, receiptPollMs: 50, waitMs, batchSize: 2 });

beforeAll(async () => {
  t = await startTestGateway({
    now: () => clock,
    gateway: { workerEnabled: false, kycSweepIntervalMs: 3_600_000, indexer: { pollIntervalMs: 100 } },
  });
  a = await createActors(t);
  proxy = await startRpcProxy(inject("rpcUrl"));
  proxied = await connectChain({ rpcUrl: proxy.url, signerPrivateKey: t.signerKey });
  attachNonceStore(proxied, t.database.db);
  const opened = await openResidualOffering(t, a, { name: "Faults Revenue Note", tokenSymbol: "FLTR", investors: 4 });
  ({ dusd, treasury, offeringId, trancheId, token, assetId } = opened);
  investors.push(...opened.investors);
  // 10, 20, 30, 40 tokens: revenue of 1,000,000 base units splits 100,000 / 200,000 / 300,000 / 400,000.
  for (const [i, inv] of investors.entries()) {
    const r = await t.gql(
      REQUEST_SUBSCRIPTION,
      { input: { idempotencyKey: `s${i}`, trancheId, investorId: inv.investorId, amount: (BigInt(10 * (i + 1)) * E18).toString() } },
      a.issuerToken,
    );
    expect(r.data.requestSubscription.__typename, JSON.stringify(r.data)).toBe("InvestorSubscription");
  }
  await settlementRound({ db: t.database.db, chain: t.chain, logger: silent, confirmations: 1, receiptPollMs: 50, now: () => clock });
  await closeOffering(t, a, offeringId);
  for (const inv of investors) base.set(inv.wallet, await stablecoinBalance(t, dusd, inv.wallet));
  fromBlock = await t.chain.publicClient.getBlockNumber();
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await t?.close();
});

describe("distribution payouts under faults", () => {
  it("a worker dead after the announcement, one dead after the first batch, one on a lagging node: every holder paid exactly once", async () => {
    clock = new Date(T0.getTime() + 91 * DAY);
    const periodEnd = new Date(T0.getTime() + 90 * DAY);
    await recordRevenue(t, a, { assetId, periodStart: T0, periodEnd, amount: 1_000_000n, currency: dusd });
    const preview = await previewWithHolders(t, a, offeringId, periodEnd, 4);
    const distributor = preview.distributor;
    await approve(t, dusd, treasury, distributor);
    const declared = await declareDistribution(t, a, offeringId, "faults", periodEnd);
    expect(declared.total).toBe("1000000");

    // 1. The announcement is broadcast (the real node mines it) but its worker's node is stuck: no receipt, the worker gives up.
    proxy.behindAt = await t.chain.publicClient.getBlockNumber();
    await expect(round(proxied, 1_500)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.behindAt = undefined;
    const [d] = await t.database.db.select().from(distribution).where(eq(distribution.id, declared.id));
    expect(d!.status).toBe("DECLARED");
    // Another worker resumes it by hash: announced once, never sent again.
    await resumeWrite(
      { db: t.database.db, chain: t.chain, logger: silent, receiptPollMs: 50 },
      d!.declareWriteId!,
      declareDistributionOwner,
    );

    // 2. The first payout batch is broadcast, then its worker's node is stuck.
    proxy.behindAt = await t.chain.publicClient.getBlockNumber();
    await expect(round(proxied, 1_500)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.behindAt = undefined;
    const statuses = async () =>
      (await t.database.db.select().from(distributionPayout).where(eq(distributionPayout.distributionId, declared.id)))
        .map((p) => p.status)
        .sort();
    expect(await statuses()).toEqual(["REQUESTED", "REQUESTED", "SUBMITTED", "SUBMITTED"]);
    // The reconciliation meanwhile: the batch in flight (mined, not yet settled) is not drift.
    const midway = await payoutDrift({ db: t.database.db, chain: t.chain }, await t.chain.publicClient.getBlockNumber());
    expect(midway).toEqual({ drift: [], payoutsChecked: 4 });

    // 3. A worker whose receipt lookups land on a lagging node: it must neither send the batch again nor give it up.
    proxy.lagging = true;
    await expect(round(proxied, 2_000)).rejects.toBeInstanceOf(ChainUnavailableError);
    proxy.lagging = false;
    expect(proxy.hiddenReceipts).toBeGreaterThan(0);

    // 4. A healthy worker settles the batch in flight and pays the rest.
    await round(t.chain);
    expect(await statuses()).toEqual(["CONFIRMED", "CONFIRMED", "CONFIRMED", "CONFIRMED"]);

    // The chain: every holder exactly their share, once; one DistributionPaid per payout; one announcement.
    const shares = [100_000n, 200_000n, 300_000n, 400_000n];
    for (const [i, inv] of investors.entries()) {
      expect(await stablecoinBalance(t, dusd, inv.wallet), inv.wallet).toBe(base.get(inv.wallet)! + shares[i]!);
    }
    const logs = parseEventLogs({
      abi: RevenueDistributorAbi,
      logs: await t.chain.publicClient.getLogs({ address: distributor, fromBlock, toBlock: "latest" }),
    });
    const payouts = await t.database.db.select().from(distributionPayout).where(eq(distributionPayout.distributionId, declared.id));
    const paidLogs = logs.filter((e) => e.eventName === "DistributionPaid");
    expect(paidLogs).toHaveLength(4);
    for (const p of payouts) expect(paidLogs.filter((e) => (e.args as any).payoutId === settlementId(p.id))).toHaveLength(1);
    expect(logs.filter((e) => e.eventName === "DistributionDeclared")).toHaveLength(1);
    // Revenue moves money only: the tranche's supply is what was subscribed.
    expect(await tokenSupply(t, token)).toBe(100n * E18);
    const writes = await t.database.db.select().from(chainWrite).where(eq(chainWrite.kind, "DISTRIBUTION_PAY_BATCH"));
    expect(writes.map((w) => w.status)).toEqual(["CONFIRMED", "CONFIRMED"]);
    expect((await t.database.db.select().from(distribution).where(eq(distribution.id, declared.id)))[0]!.status).toBe("PAID");
    // And the reconciliation agrees: paid on chain = declared, per holder.
    expect(await payoutDrift({ db: t.database.db, chain: t.chain }, await t.chain.publicClient.getBlockNumber())).toEqual({
      drift: [],
      payoutsChecked: 4,
    });
  }, 120_000);
});
