/**
 * A batch is given up on only on positive evidence, and a worker that lost its lease changes
 * nothing. A private dev chain (so nonces are this file's alone) is reached through a JSON-RPC
 * proxy that can play a lagging load-balanced backend (receipts "none" while nonce counts are
 * current) or a node that refuses broadcasts. The chain is read back with viem: every block
 * since the start is scanned for the token's mint transactions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eq, inArray } from "drizzle-orm";
import pino from "pino";
import type { Address, Hex } from "viem";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import {
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  whitelistInvestor,
  registerApprovedAsset,
  registerVerifiedInvestor,
  REQUEST_MINT,
  satisfyRequirements,
  waitForMint,
  type Actors,
} from "./support/flow.js";
import { startRpcProxy, type RpcProxy } from "./support/rpc-proxy.js";
import { byRecipientAndAmount, mintedSince } from "./support/chain-scan.js";
import { startDevChain, type DevChain } from "../src/chain/dev-chain.js";
import { attachNonceStore, connectChain, type ChainClients } from "../src/chain/client.js";
import { DataAssetTokenAbi } from "../src/chain/token.js";
import { mintBatch, mintRequest } from "../src/minting/table.js";
import { chainWrite } from "../src/chain/table.js";
import { MINT_QUEUE } from "../src/minting/service.js";
import { LeaseLostError, resumeBatch, startMintWorker, submitBatch, type MintContext, type MintWorker } from "../src/minting/worker.js";
import { claimJob } from "../src/queue/service.js";
import { sendWrite, sweepOpenWrites } from "../src/chain/writes.js";
import { deployTokenData } from "../src/chain/token.js";
import { tranche } from "../src/offerings/table.js";
import { WRITE_OWNERS } from "../src/write-owners.js";
import { job } from "../src/queue/table.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const silent = pino({ level: "silent" });

let devChain: DevChain;
let t: TestGateway;
let a: Actors;
let proxy: RpcProxy;
/** The gateway's signer, reached through the proxy. */
let proxied: ChainClients;
let worker: MintWorker | undefined;

beforeAll(async () => {
  devChain = await startDevChain({ port: 0 });
  // No poller: only the worker under test may settle (the indexer would confirm from events).
  t = await startTestGateway({ rpcUrl: devChain.rpcUrl, gateway: { workerEnabled: false, indexer: { pollerEnabled: false } } });
  a = await createActors(t);
  proxy = await startRpcProxy(devChain.rpcUrl);
  proxied = await connectChain({ rpcUrl: proxy.url, signerPrivateKey: t.signerKey });
  attachNonceStore(proxied, t.database.db);
});

afterEach(async () => {
  proxy.lagging = false;
  proxy.refuseBroadcasts = false;
  await worker?.stop();
  worker = undefined;
});

afterAll(async () => {
  await t?.close();
  await proxy?.close();
  await devChain?.close();
});

async function readyTranche(investors = 1) {
  const asset = await registerApprovedAsset(t, a, `Evidence ${Math.random()}`);
  const offering = await createOfferingWithTranche(t, a, asset.assetId);
  const invs = [];
  for (let i = 0; i < investors; i++) invs.push(await registerVerifiedInvestor(t, a));
  await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
  const token = await deployAndWhitelist(t, a, offering.trancheId, invs[0]!.investorId);
  for (const inv of invs.slice(1)) await whitelistInvestor(t, a, offering.trancheId, inv.investorId);
  const fromBlock = await t.chain.publicClient.getBlockNumber({ cacheTime: 0 });
  return { trancheId: offering.trancheId, token, investors: invs, fromBlock };
}

async function requestMint(trancheId: string, investorId: string, amount: string): Promise<string> {
  const r = await t.gql(REQUEST_MINT, { input: { idempotencyKey: `ev-${Math.random()}`, trancheId, investorId, amount } }, a.issuerToken);
  expect(r.data?.requestMint?.__typename, JSON.stringify(r)).toBe("MintRequest");
  return r.data.requestMint.id;
}

/** The chain writes of the token's mint batches. */
async function batchesOf(token: Address) {
  const rows = await t.database.db
    .select({ write: chainWrite })
    .from(chainWrite)
    .innerJoin(mintBatch, eq(mintBatch.id, chainWrite.id))
    .where(eq(mintBatch.tokenAddress, token));
  return rows.map((r) => r.write);
}

async function expectMintedOnce(token: Address, ids: string[], fromBlock: bigint) {
  const requests = await t.database.db.select().from(mintRequest).where(inArray(mintRequest.id, ids));
  expect(requests.map((r) => r.status)).toEqual(requests.map(() => "CONFIRMED"));
  const minted = byRecipientAndAmount(await mintedSince(t.chain, token, fromBlock));
  for (const r of requests) expect(minted.get(`${r.recipient.toLowerCase()}:${r.amount}`), `request ${r.amount}`).toEqual([r.txHash]);
  expect([...minted.values()].flat()).toHaveLength(requests.length);
  const supply = await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "totalSupply" });
  expect(supply).toBe(requests.reduce((sum, r) => sum + BigInt(r.amount), 0n));
}

describe("giving up on a batch", () => {
  it("never happens on 'no receipt' from a lagging node while the nonce count has moved: each request is minted once", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(2);
    proxy.lagging = true;
    proxy.hiddenReceipts = 0;
    worker = startMintWorker({ db: t.database.db, chain: proxied, logger: silent, confirmations: 1, receiptPollMs: 50, batchSize: 2 });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push(await requestMint(trancheId, investors[i % 2]!.investorId, String(7000 + i)));
    worker.wake();
    // The lag lasts well past the worker's first looks (it used to re-queue within ~100 ms).
    await sleep(2500);
    expect(proxy.hiddenReceipts).toBeGreaterThan(0);
    proxy.lagging = false;
    for (const id of ids) expect((await waitForMint(t, a.issuerToken, id)).status).toBe("CONFIRMED");
    await worker.stop();
    worker = undefined;
    await expectMintedOnce(token, ids, fromBlock);
    const batches = await batchesOf(token);
    expect(batches.filter((b) => b.status !== "CONFIRMED")).toEqual([]);
  });

  it("happens when a foreign transaction took the nonce: the batch is DROPPED naming it, and the request is minted once with a new nonce", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(1);
    // A node that refuses every broadcast: the batch is recorded but never reaches the chain.
    proxy.refuseBroadcasts = true;
    worker = startMintWorker({
      db: t.database.db,
      chain: proxied,
      logger: silent,
      confirmations: 1,
      receiptPollMs: 50,
      stuckAfterMs: 60_000,
    });
    const id = await requestMint(trancheId, investors[0]!.investorId, "4321");
    worker.wake();
    let nonce: number | null = null;
    for (let i = 0; i < 200 && nonce === null; i++) {
      [{ nonce }] = (await t.database.db.select({ nonce: mintRequest.nonce }).from(mintRequest).where(eq(mintRequest.id, id))) as [
        { nonce: number | null },
      ];
      await sleep(25);
    }
    expect(nonce).not.toBeNull();
    // Meanwhile another holder of the key spends that nonce on something else.
    const foreign = await t.chain.walletClient.sendTransaction({ to: t.chain.account.address, value: 0n, nonce: nonce! });
    let dropped: (typeof chainWrite.$inferSelect)[] = [];
    for (let i = 0; i < 200 && dropped.length === 0; i++) {
      dropped = (await batchesOf(token)).filter((b) => b.status === "DROPPED");
      await sleep(25);
    }
    expect(dropped.map((b) => [b.nonce, b.minedTxHash])).toEqual([[nonce, foreign]]);
    proxy.refuseBroadcasts = false;
    const settled = await waitForMint(t, a.issuerToken, id);
    expect(settled.status).toBe("CONFIRMED");
    await worker.stop();
    worker = undefined;
    await expectMintedOnce(token, [id], fromBlock);
    const mined = await t.chain.publicClient.getTransaction({ hash: settled.txHash });
    expect(mined.nonce).toBeGreaterThan(nonce!);
    expect((await t.chain.publicClient.getTransaction({ hash: foreign })).nonce).toBe(nonce);
  });
});

describe("a worker that lost its lease", () => {
  it("records no batch and spends no nonce, and cannot settle a mined batch; the lease holder can", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(1);
    const id = await requestMint(trancheId, investors[0]!.investorId, "5555");
    const claimed = await claimJob(t.database.db, MINT_QUEUE, "worker-holder", 30);
    expect(claimed?.payload.mintRequestId).toBe(id);
    const base = { db: t.database.db, chain: proxied, logger: silent, confirmations: 1, receiptPollMs: 50 };
    const holder: MintContext = { ...base, lease: { workerId: "worker-holder", jobIds: () => [claimed!.id] } };
    const stale: MintContext = { ...base, lease: { workerId: "worker-stale", jobIds: () => [claimed!.id] } };
    const [request] = await t.database.db.select().from(mintRequest).where(eq(mintRequest.id, id));
    const nonceBefore = await t.chain.publicClient.getTransactionCount({ address: t.chain.account.address, blockTag: "pending" });

    await expect(submitBatch(stale, [request!])).rejects.toBeInstanceOf(LeaseLostError);
    const [untouched] = await t.database.db.select().from(mintRequest).where(eq(mintRequest.id, id));
    expect([untouched!.status, untouched!.batchId]).toEqual(["REQUESTED", null]);
    expect(await batchesOf(token)).toEqual([]);
    expect(await t.chain.publicClient.getTransactionCount({ address: t.chain.account.address, blockTag: "pending" })).toBe(nonceBefore);

    // The holder records and broadcasts it (the dev chain mines it at once) ...
    const sent = await submitBatch(holder, [request!]);
    expect(sent).toBeDefined();
    // ... a stale worker that finds the receipt still may not settle it ...
    await expect(resumeBatch(stale, sent!.batchId)).rejects.toBeInstanceOf(LeaseLostError);
    const [still] = await t.database.db.select().from(chainWrite).where(eq(chainWrite.id, sent!.batchId));
    expect(still!.status).toBe("SUBMITTED");
    // ... and the holder does.
    await resumeBatch(holder, sent!.batchId);
    const [done] = await t.database.db.select().from(mintRequest).where(eq(mintRequest.id, id));
    expect([done!.status, done!.txHash]).toEqual(["CONFIRMED", sent!.hash]);
    await expectMintedOnce(token, [id], fromBlock);
    await t.database.db.delete(job).where(eq(job.id, claimed!.id));
  });
});

describe("a chain write whose caller is gone", () => {
  it("is resumed by the sweep and settled by its owner: a deployment recorded but never broadcast lands on its tranche", async () => {
    const asset = await registerApprovedAsset(t, a, `Orphan ${Math.random()}`);
    const offering = await createOfferingWithTranche(t, a, asset.assetId);
    const data = deployTokenData(proxied, {
      name: "Orphan",
      symbol: "ORP",
      assetId: asset.assetId,
      contentDigest: asset.contentDigest as Hex,
      offeringTermsDigest: asset.contentDigest as Hex,
    });
    const ctx = { db: t.database.db, chain: proxied, logger: silent, receiptPollMs: 50 };
    // Recorded, but the node refuses the broadcast and the caller goes away (a crash, a wait that ran out).
    proxy.refuseBroadcasts = true;
    const gas = await t.chain.publicClient.estimateGas({ account: t.chain.account.address, data });
    const { write } = await sendWrite(ctx, { kind: "DEPLOY_TOKEN", data, gas, subject: { trancheId: offering.trancheId } });
    const [before] = await t.database.db.select().from(tranche).where(eq(tranche.id, offering.trancheId));
    expect(before!.tokenAddress).toBeNull();
    proxy.refuseBroadcasts = false;

    expect(await sweepOpenWrites(ctx, WRITE_OWNERS, { idleMs: 0, skipKinds: ["MINT_BATCH"] })).toBeGreaterThanOrEqual(1);
    const [settled] = await t.database.db.select().from(chainWrite).where(eq(chainWrite.id, write.id));
    expect(settled!.status).toBe("CONFIRMED");
    const [after] = await t.database.db.select().from(tranche).where(eq(tranche.id, offering.trancheId));
    expect(after!.tokenAddress?.toLowerCase()).toBe(settled!.contractAddress?.toLowerCase());
    // The chain's word: the contract is there, deployed by the recorded transaction at the recorded nonce.
    const code = await t.chain.publicClient.getCode({ address: after!.tokenAddress as Address });
    expect(code && code.length > 2).toBe(true);
    const mined = await t.chain.publicClient.getTransaction({ hash: settled!.minedTxHash as Hex });
    expect([mined.nonce, mined.to]).toEqual([write.nonce, null]);
  });
});
