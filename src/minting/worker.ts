/**
 * The mint worker. It claims mint jobs (FOR UPDATE SKIP LOCKED, with a lease it keeps
 * alive while it works), groups the waiting requests of one tranche into one `mintBatch`
 * transaction, and settles every request individually.
 *
 * Exactly once, whatever crashes, pauses or RPC nodes answer:
 * - Before anything is broadcast, the batch, its nonce and the signed bytes are committed
 *   in the same transaction that takes the nonce under the `signer_nonce` row lock and
 *   moves the requests REQUESTED → SUBMITTED (only if they are still REQUESTED with no
 *   batch: two workers can never put one request into two transactions).
 * - A SUBMITTED request is only ever resumed: its batch's recorded transactions are looked
 *   up on chain by hash; while none is mined it re-sends the recorded bytes, and if it has
 *   waited too long it replaces them (same nonce, higher fee; recorded before broadcast).
 *   Since all versions share a nonce, at most one can ever be mined.
 * - A batch is given up on (DROPPED, its requests sent again with a new nonce) only on
 *   positive evidence: a mined transaction of our signer at the batch's nonce whose hash is
 *   none of the batch's versions (`minedAtNonce`). "No receipt" together with a nonce count
 *   that moved is not evidence: behind a load balancer the receipt lookup may have landed on
 *   a node a few blocks behind the one that counted. Minting again on that reading once
 *   duplicated mints; now the worker keeps resuming until the chain shows who took the nonce.
 * - Fencing: every write about a batch or its requests is made in a transaction that first
 *   checks this worker still holds the lease of its jobs (`holdsLeases`, which locks them)
 *   and changes the batch only from the state it read (compare-and-set on SUBMITTED). A
 *   worker paused past its lease wakes to find it lost, changes nothing and says so.
 */
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, gte, inArray, isNull, lt, sql } from "drizzle-orm";
import {
  Eip1559FeesNotSupportedError,
  encodeFunctionData,
  keccak256,
  parseTransaction,
  TransactionReceiptNotFoundError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { Logger } from "pino";
import type { Database, Listen, Transaction } from "../db/index.js";
import { CHANNELS } from "../notifications/change-feed.js";
import type { ChainClients } from "../chain/client.js";
import { withNextNonce } from "../chain/nonce.js";
import { broadcastRecorded, minedAtNonce } from "../chain/transactions.js";
import { DataAssetTokenAbi, decodeRevert } from "../chain/token.js";
import { evaluateForMint, type ComplianceReport } from "../compliance/service.js";
import { offeringAsset, tranche } from "../offerings/table.js";
import { systemTransition } from "../assets/service.js";
import { BaseError, ChainUnavailableError, ConflictError } from "../errors.js";
import { claimJob, claimJobs, completeJob, completeJobs, extendLeases, holdsLeases, retryJob, type Job } from "../queue/service.js";
import { MINT_QUEUE } from "./service.js";
import { mintBatch, mintRequest, mintTx, type MintStatus } from "./table.js";

export type MintWorkerOptions = {
  db: Database;
  chain: ChainClients;
  logger: Logger;
  /** Blocks a receipt must have on top of it (1 = mined) before a request is CONFIRMED. */
  confirmations: number;
  now?: () => Date;
  /** How often to look for work when not woken. */
  pollIntervalMs?: number;
  /**
   * LISTEN on the database, to wake on every new request whichever process took it (a worker
   * of its own, `npm run worker`). Without it the worker relies on `wake()` (the API in the
   * same process calls it) and on the poll.
   */
  listen?: Listen;
  /** How long a claim lasts without a heartbeat; a crashed worker's jobs return after this. */
  leaseSeconds?: number;
  /** Most requests in one mintBatch transaction. */
  batchSize?: number;
  /** A sent transaction not mined after this long is replaced with a higher fee. */
  stuckAfterMs?: number;
  /** How often to look for the receipt of a sent batch that was not mined at once. */
  receiptPollMs?: number;
};

/** What the worker's loop last met: `ok` false while the database or chain keeps failing it. */
export type MintWorkerHealth = { ok: boolean; lastError?: string; failingSince?: Date; lostLeases: number };

export type MintWorker = { id: string; wake(): void; stop(): Promise<void>; health(): MintWorkerHealth };

type Batch = typeof mintBatch.$inferSelect;
type MintRequestRow = typeof mintRequest.$inferSelect;

/**
 * The jobs a worker is busy with; every write about their work is fenced on it. `jobIds` is
 * read at each write, because a run claims the other waiting jobs of its tranche as it goes.
 */
export type Lease = { workerId: string; jobIds(): number[] };

/** What the functions below work with: the worker's options, its lease and its logger. */
export type MintContext = MintWorkerOptions & { lease: Lease };

const MAX_ATTEMPTS = 20;
/** A resume gives up waiting after this long and lets the job be retried (the lease stays safe). */
const RESUME_WAIT_MS = 30_000;
/** How often a resume re-sends the recorded bytes while none of them is mined. */
const RESEND_EVERY_MS = 2_000;
/** How often a resume searches the blocks for the transaction that took the batch's nonce. */
const EVIDENCE_EVERY_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** This worker's lease ran out and another worker may hold the job now: it must change nothing. */
export class LeaseLostError extends BaseError {
  readonly code = "LEASE_LOST";
  override name = "LeaseLostError";
}

/**
 * Runs `fn` in a transaction fenced on the lease: if this worker no longer holds every job
 * it works for, nothing `fn` wrote is committed.
 */
async function fenced<T>(ctx: MintContext, what: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    // Sent together with fn's first statements; a lost lease rolls them all back.
    const [holds, result] = await Promise.all([holdsLeases(tx, ctx.lease.jobIds(), ctx.lease.workerId), fn(tx)]);
    if (!holds) throw new LeaseLostError(`lost the lease before ${what}; changed nothing`);
    return result;
  });
}

/** A batch some other writer settled since it was read: the compare-and-set found nothing to change. */
class BatchSettledElsewhere extends Error {}

async function settleRequests(ctx: MintContext, ids: string[], status: MintStatus, fields: Partial<MintRequestRow> = {}) {
  if (ids.length === 0) return;
  await fenced(ctx, `settling requests ${status}`, (tx) =>
    tx
      .update(mintRequest)
      .set({ ...fields, status, updatedAt: new Date() })
      // Only requests not sent yet: one with a transaction out there is the chain's to settle.
      .where(and(inArray(mintRequest.id, ids), eq(mintRequest.status, "REQUESTED"), isNull(mintRequest.batchId))),
  );
}

function mintBatchData(requests: Pick<MintRequestRow, "recipient" | "amount">[]): Hex {
  return encodeFunctionData({
    abi: DataAssetTokenAbi,
    functionName: "mintBatch",
    args: [requests.map((r) => r.recipient as Address), requests.map((r) => BigInt(r.amount))],
  });
}

/** The reason a mined transaction reverted, found by replaying its call on the block before. */
async function revertReasonOf(chain: ChainClients, batch: Batch, requests: MintRequestRow[], block: bigint): Promise<string> {
  try {
    await chain.publicClient.simulateContract({
      account: chain.account,
      address: batch.tokenAddress as Address,
      abi: DataAssetTokenAbi,
      functionName: "mintBatch",
      args: [requests.map((r) => r.recipient as Address), requests.map((r) => BigInt(r.amount))],
      blockNumber: block > 0n ? block - 1n : block,
    });
  } catch (error) {
    const reason = decodeRevert(error);
    if (reason) return reason;
  }
  return "reverted";
}

/**
 * Moves the batch from SUBMITTED to `status` (compare-and-set), throwing BatchSettledElsewhere
 * when another writer got there first, so the caller's transaction rolls back.
 */
async function moveBatch(tx: Transaction, batch: Batch, fields: Partial<Batch> & { status: Batch["status"] }): Promise<void> {
  const moved = await tx
    .update(mintBatch)
    .set({ ...fields, updatedAt: new Date() })
    .where(and(eq(mintBatch.id, batch.id), eq(mintBatch.status, "SUBMITTED")))
    .returning({ id: mintBatch.id });
  if (moved.length === 0) throw new BatchSettledElsewhere();
}

async function settleMined(ctx: MintContext, batch: Batch, receipt: TransactionReceipt): Promise<void> {
  const common = { txHash: receipt.transactionHash, blockNumber: receipt.blockNumber, nonce: batch.nonce };
  const mined = { minedTxHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
  if (receipt.status === "success") {
    await fenced(ctx, "confirming a batch", async (tx) => {
      // Independent statements, sent together.
      const [, , assetIds] = await Promise.all([
        moveBatch(tx, batch, { status: "CONFIRMED", ...mined }),
        tx
          .update(mintRequest)
          .set({ ...common, status: "CONFIRMED", errorCode: null, errorMessage: null, updatedAt: new Date() })
          .where(and(eq(mintRequest.batchId, batch.id), eq(mintRequest.status, "SUBMITTED"))),
        tx
          .select({ id: offeringAsset.assetId })
          .from(tranche)
          .innerJoin(offeringAsset, eq(offeringAsset.offeringId, tranche.offeringId))
          .where(eq(tranche.id, batch.trancheId)),
      ]);
      // The first confirmed mint tokenizes the offering's assets.
      await systemTransition(tx, assetIds.map((a) => a.id), "TOKENIZED", new Date());
    });
    return;
  }
  const requests = await ctx.db.select().from(mintRequest).where(eq(mintRequest.batchId, batch.id)).orderBy(asc(mintRequest.createdAt));
  const reason = await revertReasonOf(ctx.chain, batch, requests, receipt.blockNumber);
  await fenced(ctx, "settling a reverted batch", async (tx) => {
    await moveBatch(tx, batch, { status: "REVERTED", ...mined });
    await tx
      .update(mintRequest)
      .set({
        ...common,
        status: "REVERTED",
        revertReason: reason,
        errorCode: "REVERTED",
        errorMessage: `transaction ${receipt.transactionHash} reverted on chain: ${reason}`,
        updatedAt: new Date(),
      })
      .where(and(eq(mintRequest.batchId, batch.id), eq(mintRequest.status, "SUBMITTED")));
  });
}

/** Whether a mined receipt has the confirmations a settlement needs (a receipt is one; only more need the head). */
async function deepEnough(ctx: MintContext, receipt: TransactionReceipt): Promise<boolean> {
  if (ctx.confirmations <= 1) return true;
  const head = await ctx.chain.publicClient.getBlockNumber({ cacheTime: 0 });
  return head - receipt.blockNumber + 1n >= BigInt(ctx.confirmations);
}

/**
 * Puts the requests of a batch back in line, on the evidence of `taker`: the mined transaction
 * of our signer at the batch's nonce, which is none of the batch's versions. The batch keeps
 * the taker's hash and block as the record of why.
 */
async function dropBatch(ctx: MintContext, batch: Batch, taker: { hash: Hex; blockNumber: bigint }): Promise<void> {
  await fenced(ctx, "dropping a batch", async (tx) => {
    await moveBatch(tx, batch, { status: "DROPPED", minedTxHash: taker.hash, blockNumber: taker.blockNumber });
    await tx
      .update(mintRequest)
      .set({ status: "REQUESTED", batchId: null, txHash: null, nonce: null, updatedAt: new Date() })
      .where(and(eq(mintRequest.batchId, batch.id), eq(mintRequest.status, "SUBMITTED")));
  });
}

async function findReceipt(chain: ChainClients, hashes: Hex[]): Promise<TransactionReceipt | undefined> {
  for (const hash of hashes) {
    try {
      return await chain.publicClient.getTransactionReceipt({ hash });
    } catch (error) {
      if (!(error instanceof TransactionReceiptNotFoundError)) throw error;
    }
  }
  return undefined;
}

/** Signs the batch's call again with its nonce and a fee at least 25 % higher; recorded (fenced) before broadcast. */
async function replaceTransaction(ctx: MintContext, batch: Batch, latest: typeof mintTx.$inferSelect): Promise<void> {
  const { chain, db } = ctx;
  const requests = await db.select().from(mintRequest).where(eq(mintRequest.batchId, batch.id)).orderBy(asc(mintRequest.createdAt));
  const fees = await chain.publicClient.estimateFeesPerGas();
  const bumped = (BigInt(latest.maxFeePerGas) * 125n) / 100n + 1n;
  const maxFeePerGas = fees.maxFeePerGas > bumped ? fees.maxFeePerGas : bumped;
  // Keep the original gas limit: an estimate now would run against the pending state, where the
  // stuck version has already minted, and could come out too low for the real state.
  const original = parseTransaction(latest.signedTx as Hex);
  const signed = await chain.account.signTransaction({
    chainId: chain.chainId,
    to: batch.tokenAddress as Address,
    data: mintBatchData(requests),
    nonce: batch.nonce,
    gas: original.gas,
    maxFeePerGas,
    maxPriorityFeePerGas: maxFeePerGas,
  });
  const hash = keccak256(signed);
  await fenced(ctx, "recording a replacement", async (tx) => {
    // The batch row lock orders this against a settlement: a settled batch is never replaced.
    const [current] = await tx
      .select({ status: mintBatch.status })
      .from(mintBatch)
      .where(eq(mintBatch.id, batch.id))
      .for("update");
    if (current?.status !== "SUBMITTED") throw new BatchSettledElsewhere();
    await tx.insert(mintTx).values({ hash, batchId: batch.id, signedTx: signed, maxFeePerGas: maxFeePerGas.toString() });
    await tx
      .update(mintRequest)
      .set({ txHash: hash, updatedAt: new Date() })
      .where(and(eq(mintRequest.batchId, batch.id), eq(mintRequest.status, "SUBMITTED")));
  });
  ctx.logger.warn({ batchId: batch.id, nonce: batch.nonce, hash, replaced: latest.hash }, "replaced a stuck mint transaction");
  await broadcastRecorded(chain, signed, ctx.logger, { batchId: batch.id, nonce: batch.nonce, hash });
}

/** The latest signed bytes of the signer's SUBMITTED batches with nonces in [minedCount, batch.nonce). */
async function unminedBefore(db: Database, batch: Batch, minedCount: number): Promise<{ hash: string; signedTx: Hex; nonce: number }[]> {
  const rows = await db
    .select({ hash: mintTx.hash, signedTx: mintTx.signedTx, nonce: mintBatch.nonce })
    .from(mintBatch)
    .innerJoin(mintTx, eq(mintTx.batchId, mintBatch.id))
    .where(
      and(
        eq(mintBatch.chainId, batch.chainId),
        eq(mintBatch.signer, batch.signer),
        eq(mintBatch.status, "SUBMITTED"),
        gte(mintBatch.nonce, minedCount),
        lt(mintBatch.nonce, batch.nonce),
      ),
    )
    .orderBy(asc(mintBatch.nonce), desc(mintTx.createdAt));
  const latestPerNonce = new Map<number, { hash: string; signedTx: Hex; nonce: number }>();
  for (const r of rows) if (!latestPerNonce.has(r.nonce)) latestPerNonce.set(r.nonce, { ...r, signedTx: r.signedTx as Hex });
  return [...latestPerNonce.values()];
}

/**
 * Drives a SUBMITTED batch to an outcome: CONFIRMED / REVERTED (settled), or DROPPED (its
 * requests re-queued) on positive evidence only. Never signs a transaction with a new nonce
 * for it. Returns when the batch is settled, by this worker or another writer.
 */
export async function resumeBatch(ctx: MintContext, batchId: string): Promise<void> {
  const { db, chain, logger } = ctx;
  const started = Date.now();
  let resentAt = 0;
  let searchedAt = 0;
  try {
    for (let look = 0; ; look++) {
      const [batch] = await db.select().from(mintBatch).where(eq(mintBatch.id, batchId));
      if (!batch || batch.status !== "SUBMITTED") {
        if (look > 0) logger.info({ batchId, status: batch?.status }, "another writer settled the batch first; changed nothing");
        return;
      }
      // Order matters: read the mined nonce count first, then our recorded hashes, then receipts.
      // A hash recorded after the count was read cannot have been mined before it.
      const minedCount = await chain.publicClient.getTransactionCount({ address: batch.signer as Address, blockTag: "latest" });
      const txs = await db.select().from(mintTx).where(eq(mintTx.batchId, batch.id)).orderBy(asc(mintTx.createdAt));
      const hashes = txs.map((t) => t.hash as Hex);
      const receipt = await findReceipt(chain, hashes);
      if (receipt) {
        if (await deepEnough(ctx, receipt)) return await settleMined(ctx, batch, receipt);
      } else if (minedCount > batch.nonce) {
        // The nonce is used, by this node's count. Which transaction used it decides; until the
        // chain shows one (this node may be ahead of the one that had no receipt), keep looking.
        if (Date.now() - searchedAt >= EVIDENCE_EVERY_MS) {
          searchedAt = Date.now();
          const taker = await minedAtNonce(chain, batch.signer as Address, batch.nonce, batch.signedAtBlock);
          if (taker && !hashes.some((h) => h.toLowerCase() === taker.hash.toLowerCase())) {
            logger.warn(
              { batchId, nonce: batch.nonce, takenBy: taker.hash, block: taker.blockNumber.toString() },
              "mint transaction dropped: a foreign transaction took its nonce; re-queueing",
            );
            return await dropBatch(ctx, batch, taker);
          }
          if (taker) logger.info({ batchId, nonce: batch.nonce, hash: taker.hash }, "mint transaction mined; its receipt is not served yet");
        }
      } else {
        const latest = txs.at(-1)!;
        if (Date.now() - latest.createdAt.getTime() > (ctx.stuckAfterMs ?? 30_000)) {
          await replaceTransaction(ctx, batch, latest);
        } else if (Date.now() - resentAt >= RESEND_EVERY_MS) {
          // The bytes may never have left (a crash between recording and broadcast) or the node forgot them.
          // Lower nonces still unmined (another worker crashed before broadcasting them) would hold this
          // one back: re-send their recorded bytes too. Re-sending recorded bytes never mints twice.
          for (const lower of await unminedBefore(db, batch, minedCount)) {
            await broadcastRecorded(chain, lower.signedTx, logger, { nonce: lower.nonce, hash: lower.hash });
          }
          await broadcastRecorded(chain, latest.signedTx as Hex, logger, { batchId, nonce: batch.nonce, hash: latest.hash });
          resentAt = Date.now();
        }
      }
      if (Date.now() - started > RESUME_WAIT_MS) {
        throw new ChainUnavailableError(`mint batch ${batchId} (nonce ${batch.nonce}) not settled yet; will look again`);
      }
      await sleep(ctx.receiptPollMs ?? 100);
    }
  } catch (error) {
    if (!(error instanceof BatchSettledElsewhere)) throw error;
    logger.info({ batchId }, "another writer settled the batch first; changed nothing");
  }
}

/**
 * The requests that still pass compliance at send time; the others settle FAILED. Requests of
 * one batch share a tranche, so one evaluation per investor answers for all of theirs.
 */
async function stillCompliant(ctx: MintContext, requests: MintRequestRow[], now: Date): Promise<MintRequestRow[]> {
  const { db } = ctx;
  const reports = new Map<string, Promise<ComplianceReport>>();
  const passing: MintRequestRow[] = [];
  for (const request of requests) {
    const key = `${request.trancheId}:${request.investorId}`;
    if (!reports.has(key)) reports.set(key, evaluateForMint(db, { trancheId: request.trancheId, investorId: request.investorId }, now));
    const report = await reports.get(key)!;
    if (report.holds) {
      passing.push(request);
      continue;
    }
    const codes = [...new Set(report.unmet.map((u) => u.code))];
    await settleRequests(ctx, [request.id], "FAILED", {
      errorCode: "COMPLIANCE_NOT_SATISFIED",
      errorMessage: `compliance no longer holds at send time: ${codes.join(", ")}`,
    });
  }
  return passing;
}

type Fees = { type: "eip1559"; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { type: "legacy"; gasPrice: bigint };

/** EIP-1559 fees when the chain has a base fee, else a legacy gas price (as viem's own preparation would choose). */
async function currentFees(chain: ChainClients): Promise<Fees> {
  try {
    const fees = await chain.publicClient.estimateFeesPerGas();
    return { type: "eip1559", maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
  } catch (error) {
    if (!(error instanceof Eip1559FeesNotSupportedError)) throw error;
    return { type: "legacy", gasPrice: await chain.publicClient.getGasPrice() };
  }
}

/**
 * Sends the given REQUESTED requests (one tranche) as one mintBatch transaction. Requests
 * that no longer pass compliance settle FAILED; those whose mint would revert settle
 * REVERTED with the decoded error. Returns the batch and the hash it was broadcast with, or
 * undefined if nothing was left.
 */
export async function submitBatch(ctx: MintContext, requests: MintRequestRow[]): Promise<{ batch: Batch; hash: Hex } | undefined> {
  const { db, chain } = ctx;
  const now = (ctx.now ?? (() => new Date()))();
  if (requests.length === 0) return undefined;
  const trancheRow = db
    .select()
    .from(tranche)
    .where(eq(tranche.id, requests[0]!.trancheId))
    .then(([row]) => row!);
  // The gas estimate executes the call, so it doubles as the simulation: a revert comes back decoded.
  // (The account is passed as an address: with the local account viem would prepare a whole transaction.)
  const estimate = async (batch: MintRequestRow[]) =>
    chain.publicClient.estimateContractGas({
      account: chain.account.address,
      address: (await trancheRow).tokenAddress as Address,
      abi: DataAssetTokenAbi,
      functionName: "mintBatch",
      args: [batch.map((r) => r.recipient as Address), batch.map((r) => BigInt(r.amount))],
    });
  const settled = (p: Promise<bigint>) => p.then((gas) => ({ gas }), (error: unknown) => ({ error }));
  // Independent of each other, so asked together: compliance (database), fees, the head (where a
  // later search for this nonce's transaction starts) and the estimate for every request (chain).
  // Compliance rarely drops a request; when it does, the rest are estimated again.
  const [compliant, t, fees, head, estimatedAll] = await Promise.all([
    stillCompliant(ctx, requests, now),
    trancheRow,
    currentFees(chain),
    chain.publicClient.getBlockNumber({ cacheTime: 0 }),
    settled(estimate(requests)),
  ]);
  let candidates = compliant;
  if (candidates.length === 0) return undefined;
  const token = t.tokenAddress as Address;
  const estimated = candidates.length === requests.length ? estimatedAll : await settled(estimate(candidates));

  let gas: bigint;
  if ("gas" in estimated) {
    gas = estimated.gas;
  } else {
    if (!decodeRevert(estimated.error)) throw estimated.error;
    // One bad recipient reverts the whole batch: find the culprits one by one, settle them, send the rest.
    const passing: MintRequestRow[] = [];
    for (const request of candidates) {
      try {
        await estimate([request]);
        passing.push(request);
      } catch (single) {
        const reason = decodeRevert(single);
        if (!reason) throw single;
        await settleRequests(ctx, [request.id], "REVERTED", {
          revertReason: reason,
          errorCode: "REVERTED",
          errorMessage: `the token refused the mint: ${reason}`,
        });
      }
    }
    candidates = passing;
    if (candidates.length === 0) return undefined;
    gas = await estimate(candidates);
  }

  const ids = candidates.map((r) => r.id);
  const data = mintBatchData(candidates);
  const submitted = await chain.withSignerLock(() =>
    withNextNonce(db, chain, async (tx, nonce) => {
      // Signed with the local key directly: everything is known, and the wallet client would ask the node for its chain id.
      const signed = await chain.account.signTransaction({ ...fees, chainId: chain.chainId, to: token, data, nonce, gas });
      const hash = keccak256(signed);
      const batchId = randomUUID();
      // Written together: one round trip while the nonce row is locked (PostgreSQL runs them in this order).
      const [holds, [batch], , moved] = await Promise.all([
        holdsLeases(tx, ctx.lease.jobIds(), ctx.lease.workerId),
        tx
          .insert(mintBatch)
          .values({
            id: batchId,
            trancheId: t.id,
            tokenAddress: token,
            chainId: chain.chainId,
            signer: chain.account.address,
            nonce,
            signedAtBlock: head,
          })
          .returning(),
        tx.insert(mintTx).values({
          hash,
          batchId,
          signedTx: signed,
          maxFeePerGas: String(fees.type === "eip1559" ? fees.maxFeePerGas : fees.gasPrice),
        }),
        tx
          .update(mintRequest)
          .set({
            status: "SUBMITTED",
            batchId,
            txHash: hash,
            nonce,
            attempts: sql`${mintRequest.attempts} + 1`,
            updatedAt: new Date(),
          })
          .where(and(inArray(mintRequest.id, ids), eq(mintRequest.status, "REQUESTED"), isNull(mintRequest.batchId)))
          .returning({ id: mintRequest.id }),
      ]);
      // Paused past the lease, or another worker got to one of them first: roll back, so neither
      // nonce nor request is used twice.
      if (!holds) throw new LeaseLostError("lost the lease before recording a batch; changed nothing");
      if (moved.length !== ids.length) throw new RequestTakenError(`a request of batch was submitted by another worker`);
      return { batch: batch!, hash, signed };
    }),
  );
  // Broadcast after the commit: a crash right here leaves a recorded, unsent transaction that a resume re-sends.
  await broadcastRecorded(chain, submitted.signed, ctx.logger, { batchId: submitted.batch.id, nonce: submitted.batch.nonce, hash: submitted.hash });
  ctx.logger.info({ batchId: submitted.batch.id, nonce: submitted.batch.nonce, requests: ids.length }, "mint transaction broadcast");
  return { batch: submitted.batch, hash: submitted.hash };
}

/**
 * Drives a just-broadcast batch to its outcome. A node that mines at once (a dev chain) has
 * the receipt already, so look for it before anything else; otherwise resume as after a crash.
 */
async function settleSent(ctx: MintContext, sent: { batch: Batch; hash: Hex }): Promise<void> {
  const receipt = await findReceipt(ctx.chain, [sent.hash]);
  if (receipt && (await deepEnough(ctx, receipt))) {
    try {
      return await settleMined(ctx, sent.batch, receipt);
    } catch (error) {
      if (!(error instanceof BatchSettledElsewhere)) throw error;
      return; // the indexer settled it from its events first
    }
  }
  return resumeBatch(ctx, sent.batch.id);
}

class RequestTakenError extends ConflictError {
  override readonly retryable = true;
}

function isRetryable(error: unknown): boolean {
  if (error instanceof BaseError) return error.retryable;
  // Anything else (RPC down, timeouts, database hiccups) is worth another try.
  return true;
}

/** Handles a claimed job (and the other waiting jobs of its tranche, which it claims too). */
async function runJob(ctx: MintContext, jobs: Job[]): Promise<void> {
  const { db } = ctx;
  const first = jobs[0]!;
  // Every mint job names its tranche (requestMint puts it in the payload), so the others can be claimed before any read.
  const more = await claimJobs(db, MINT_QUEUE, ctx.lease.workerId, ctx.leaseSeconds ?? 30, {
    limit: (ctx.batchSize ?? 50) - 1,
    payloadKey: "trancheId",
    payloadValue: String(first.payload.trancheId),
  });
  jobs.push(...more);
  const ids = jobs.map((j) => String(j.payload.mintRequestId));
  const rows = await db.select().from(mintRequest).where(inArray(mintRequest.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const inOrder = ids.flatMap((id) => byId.get(id) ?? []);
  // Batches already out there hold the lower nonces: drive them to an outcome first, as before any new one.
  const inFlight = new Set(inOrder.filter((r) => r.status === "SUBMITTED" && r.batchId).map((r) => r.batchId!));
  for (const batchId of inFlight) await resumeBatch(ctx, batchId);
  const sent = await submitBatch(ctx, inOrder.filter((r) => r.status === "REQUESTED" && !r.batchId));
  if (sent) await settleSent(ctx, sent);
}

/** Completes jobs whose requests are settled; the rest (e.g. re-queued after a drop) run again at once. */
async function finishJobs(db: Database, logger: Logger, workerId: string, jobs: Job[]): Promise<void> {
  const ids = jobs.map((j) => String(j.payload.mintRequestId));
  const rows = await db.select({ id: mintRequest.id, status: mintRequest.status }).from(mintRequest).where(inArray(mintRequest.id, ids));
  const open = new Set(rows.filter((r) => r.status === "REQUESTED" || r.status === "SUBMITTED").map((r) => r.id));
  const done = jobs.filter((j) => !open.has(String(j.payload.mintRequestId)));
  const completed = await completeJobs(db, done.map((j) => j.id), workerId);
  if (completed < done.length) logger.warn({ jobs: done.length - completed }, "lost the race for mint jobs another worker took over; left them to it");
  for (const j of jobs) if (open.has(String(j.payload.mintRequestId))) await retryJob(db, j.id, workerId, "not settled yet", 0);
}

/** The longest pause between loop attempts while the database or chain keeps failing. */
const MAX_LOOP_BACKOFF_MS = 10_000;

/**
 * Starts a polling worker in this process. It never exits on its own: a database or chain
 * that fails it (a terminated session, a restart, an RPC outage) is logged with its cause,
 * shown by `health()`, and tried again with backoff.
 * @example const worker = startMintWorker({ db, chain, logger, confirmations: 1 }); worker.wake();
 */
export function startMintWorker(opts: MintWorkerOptions): MintWorker {
  const workerId = `worker-${randomUUID().slice(0, 8)}`;
  const log = opts.logger.child({ component: "mint-worker", workerId });
  const leaseSeconds = opts.leaseSeconds ?? 30;
  /** The jobs this worker is busy with right now. */
  let held: Job[] = [];
  const ctx: MintContext = { ...opts, logger: log, lease: { workerId, jobIds: () => held.map((j) => j.id) } };
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const health: MintWorkerHealth = { ok: true, lostLeases: 0 };
  let failures = 0;
  let pausedUntil = 0;

  // Heartbeat: keeps the leases of the jobs this worker is busy with, so nobody else takes them.
  const heartbeat = setInterval(
    () => {
      extendLeases(opts.db, held.map((j) => j.id), workerId, leaseSeconds).catch((error) =>
        log.warn({ err: (error as Error).message }, "lease heartbeat failed"),
      );
    },
    Math.max(200, (leaseSeconds * 1000) / 3),
  );
  heartbeat.unref();

  async function drain() {
    while (!stopped) {
      const job = await claimJob(opts.db, MINT_QUEUE, workerId, leaseSeconds);
      if (!job) return;
      const jobs: Job[] = [job];
      held = jobs;
      try {
        await runJob(ctx, jobs);
        await finishJobs(opts.db, log, workerId, jobs);
      } catch (error) {
        if (error instanceof LeaseLostError) {
          // Another worker holds these jobs now (or has finished them): theirs to settle, not ours.
          health.lostLeases++;
          log.warn({ jobs: jobs.map((j) => j.id), err: error.message }, "lost the race for a mint job: paused past its lease");
          continue;
        }
        await handleFailure(jobs, error).catch((e) => log.error({ err: (e as Error).message }, "could not record a mint failure"));
      } finally {
        held = [];
      }
    }
  }

  async function handleFailure(jobs: Job[], error: unknown) {
    const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    const ids = jobs.map((j) => String(j.payload.mintRequestId));
    const rows = await opts.db.select().from(mintRequest).where(inArray(mintRequest.id, ids));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const j of jobs) {
      const request = byId.get(String(j.payload.mintRequestId));
      // A request with a transaction out there is never given up on: only the chain can settle it.
      const inFlight = request?.status === "SUBMITTED";
      if (inFlight || (isRetryable(error) && j.attempts < MAX_ATTEMPTS)) {
        const delayMs = Math.min(30_000, 250 * 2 ** Math.min(j.attempts, 7));
        log.warn({ requestId: request?.id, attempts: j.attempts, delayMs, err: message }, "mint attempt failed; will retry");
        await retryJob(opts.db, j.id, workerId, message, delayMs);
      } else {
        log.error({ requestId: request?.id, err: message }, "mint failed");
        if (request?.status === "REQUESTED") {
          await settleRequests(ctx, [request.id], "FAILED", { errorCode: "MINT_FAILED", errorMessage: message.slice(0, 2000) });
        }
        await completeJob(opts.db, j.id, workerId);
      }
    }
  }

  function kick() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // While the loop keeps failing, wait out the backoff (the poll comes back after it).
    if (Date.now() < pausedUntil) return;
    running = drain()
      .then(() => {
        if (!health.ok) log.info({ after: health.lastError }, "mint worker recovered");
        failures = 0;
        Object.assign(health, { ok: true, lastError: undefined, failingSince: undefined });
      })
      .catch((error) => {
        failures++;
        const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
        const delayMs = Math.min(MAX_LOOP_BACKOFF_MS, 250 * 2 ** Math.min(failures, 6));
        pausedUntil = Date.now() + delayMs;
        if (health.ok) health.failingSince = new Date();
        Object.assign(health, { ok: false, lastError: message });
        log.error({ err: message, failures, delayMs }, "worker loop error; retrying with backoff");
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  // requestMint's insert (and a re-queue after a drop) announce REQUESTED on this channel (a trigger).
  const unlisten = opts.listen?.(CHANNELS.mintStatus, (payload) => {
    let change: { status?: string } = {};
    try {
      change = JSON.parse(payload);
    } catch {
      // Not a status change of ours; the poll still runs.
    }
    if (change.status === "REQUESTED") kick();
  });
  unlisten?.catch((error) => log.warn({ err: (error as Error).message }, "LISTEN failed; finding work by polling only"));

  const schedule = () => {
    timer = setTimeout(() => {
      kick();
      schedule();
    }, opts.pollIntervalMs ?? 500);
    timer.unref();
  };
  schedule();
  kick();

  return {
    id: workerId,
    wake: kick,
    health: () => ({ ...health }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      clearInterval(heartbeat);
      await unlisten?.then((stop) => stop()).catch(() => {});
      await running;
    },
  };
}
