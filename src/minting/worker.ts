/**
 * The mint worker. It claims mint jobs (FOR UPDATE SKIP LOCKED, with a lease it keeps
 * alive while it works), groups the waiting requests of one tranche into one `mintBatch`
 * transaction, sends it through the chain-write pipeline (`src/chain/writes.ts`) and settles
 * every request individually as the batch's owner.
 *
 * Exactly once, whatever crashes, pauses or RPC nodes answer:
 * - The batch's chain write (nonce, signed bytes) is committed in the same transaction that
 *   moves its requests REQUESTED → SUBMITTED (only if they are still REQUESTED with no batch:
 *   two workers can never put one request into two transactions), before any broadcast.
 * - A SUBMITTED request is only ever resumed (`resumeWrite`): looked up by hash, re-sent,
 *   replaced with a higher fee at the same nonce, and given up on (its requests sent again
 *   with a new nonce) only on positive evidence that a foreign transaction took the nonce.
 * - Fencing: every write about a batch or its requests is made in a transaction that first
 *   checks this worker still holds the lease of its jobs (`holdsLeases`, which locks them),
 *   and the batch leaves SUBMITTED by compare-and-set. A worker paused past its lease wakes
 *   to find it lost, changes nothing and says so.
 */
import { randomUUID } from "node:crypto";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { encodeFunctionData, type Address, type Hex } from "viem";
import type { Logger } from "pino";
import type { Database, Listen } from "../db/index.js";
import { CHANNELS } from "../notifications/change-feed.js";
import type { ChainClients } from "../chain/client.js";
import {
  currentFees,
  fenced,
  LeaseLostError,
  resumeWrite,
  sendWrite,
  sweepOpenWrites,
  type WriteContext,
  type WriteOwner,
} from "../chain/writes.js";
import { DataAssetTokenAbi, decodeRevert } from "../chain/token.js";
import { evaluateBulkMintSubject, loadBulkMintSubject } from "../compliance/service.js";
import { offeringAsset, tranche } from "../offerings/table.js";
import { systemTransition } from "../assets/service.js";
import { BaseError, ConflictError, NotFoundError } from "../errors.js";
import { claimJobs, completeJob, completeJobs, extendLeases, holdsLeases, retryJob, type Job } from "../queue/service.js";
import { startLoop, wakeOnNotify } from "../queue/loop.js";
import { MINT_QUEUE } from "./service.js";
import { mintBatch, mintRequest, type MintStatus } from "./table.js";
import { DEFAULTS } from "../config.js";
import { appendAuditEvents, type AuditEventInput } from "../audit/service.js";

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
  /** Batches sent and not yet settled at once (1: each batch settles before the next is claimed). */
  pipelineDepth?: number;
  /** A sent transaction not mined after this long is replaced with a higher fee. */
  stuckAfterMs?: number;
  /** How often to look for the receipt of a sent batch that was not mined at once. */
  receiptPollMs?: number;
  /** Owners of the other kinds of chain write, whose writes this worker resumes when their caller is gone. */
  writeOwners?: Record<string, WriteOwner>;
};

/** What the worker's loop last met: `ok` false while the database or chain keeps failing it. */
export type MintWorkerHealth = { ok: boolean; lastError?: string; failingSince?: Date; lostLeases: number };

export type MintWorker = { id: string; wake(): void; stop(): Promise<void>; health(): MintWorkerHealth };

type MintRequestRow = typeof mintRequest.$inferSelect;

/**
 * The jobs a run of the worker is busy with; every write about their work is fenced on them
 * (`jobIds` is read at each write).
 */
export type Lease = { workerId: string; jobIds(): number[] };

/** What the functions below work with: the worker's options and its lease. */
export type MintContext = MintWorkerOptions & { lease: Lease };

export { LeaseLostError };

/** The chain-write kind of a mint batch. */
export const MINT_BATCH_KIND = "MINT_BATCH";

const MAX_ATTEMPTS = 20;
/** Writes of other kinds left SUBMITTED this long (their caller crashed or gave up) are resumed by a worker. */
const ORPHAN_WRITE_IDLE_MS = 60_000;

/** The pipeline context of a mint worker: its writes are fenced on its job leases. */
function writeContext(ctx: MintContext): WriteContext {
  return {
    db: ctx.db,
    chain: ctx.chain,
    logger: ctx.logger,
    confirmations: ctx.confirmations,
    stuckAfterMs: ctx.stuckAfterMs,
    receiptPollMs: ctx.receiptPollMs,
    fence: (tx) => holdsLeases(tx, ctx.lease.jobIds(), ctx.lease.workerId),
  };
}

/** The audited columns of a request the worker moved. */
const audited = {
  id: mintRequest.id,
  organizationId: mintRequest.requestedByOrgId,
  trancheId: mintRequest.trancheId,
  investorId: mintRequest.investorId,
  recipient: mintRequest.recipient,
  amount: mintRequest.amount,
};

/** One event per request, appended in one statement: the worker is SYSTEM, the requests keep their organization. */
function mintEvents(action: string, requests: { id: string }[], payload: Record<string, unknown>): AuditEventInput[] {
  return requests.map((r) => ({ actor: "SYSTEM", action, entityType: "MintRequest", entityId: r.id, payload: { ...r, ...payload } }));
}

async function settleRequests(ctx: MintContext, ids: string[], status: MintStatus, fields: Partial<MintRequestRow> = {}) {
  if (ids.length === 0) return;
  await fenced(writeContext(ctx), `settling requests ${status}`, async (tx) => {
    const settled = await tx
      .update(mintRequest)
      .set({ ...fields, status, updatedAt: new Date() })
      // Only requests not sent yet: one with a transaction out there is the chain's to settle.
      .where(and(inArray(mintRequest.id, ids), eq(mintRequest.status, "REQUESTED"), isNull(mintRequest.batchId)))
      .returning(audited);
    const why = {
      errorCode: fields.errorCode ?? null,
      errorMessage: fields.errorMessage ?? null,
      revertReason: fields.revertReason ?? null,
      onChain: false,
    };
    await appendAuditEvents(tx, mintEvents(status === "REVERTED" ? "mint.reverted" : "mint.failed", settled, why));
  });
}

function mintBatchData(requests: Pick<MintRequestRow, "recipient" | "amount">[]): Hex {
  return encodeFunctionData({
    abi: DataAssetTokenAbi,
    functionName: "mintBatch",
    args: [requests.map((r) => r.recipient as Address), requests.map((r) => BigInt(r.amount))],
  });
}

/**
 * Minting's settlement of its batches, run by the pipeline inside the transaction that moves
 * the batch's write out of SUBMITTED (whoever finds the outcome first: this worker, another,
 * or the indexer's events).
 */
export const mintBatchOwner: WriteOwner = {
  async settle(tx, write, outcome) {
    if (outcome.status === "DROPPED") {
      // Back in line: they are sent again with a new nonce.
      const requeued = await tx
        .update(mintRequest)
        .set({ status: "REQUESTED", batchId: null, txHash: null, nonce: null, updatedAt: new Date() })
        .where(and(eq(mintRequest.batchId, write.id), eq(mintRequest.status, "SUBMITTED")))
        .returning(audited);
      await appendAuditEvents(
        tx,
        mintEvents("mint.requeued", requeued, { batchId: write.id, nonce: write.nonce, nonceTakenBy: outcome.taker.hash }),
      );
      return;
    }
    const mined = {
      batchId: write.id,
      nonce: write.nonce,
      txHash: outcome.receipt.transactionHash,
      blockNumber: outcome.receipt.blockNumber,
      chainId: write.chainId,
    };
    const common = {
      txHash: outcome.receipt.transactionHash,
      blockNumber: outcome.receipt.blockNumber,
      nonce: write.nonce,
      updatedAt: new Date(),
    };
    if (outcome.status === "REVERTED") {
      const reverted = await tx
        .update(mintRequest)
        .set({
          ...common,
          status: "REVERTED",
          revertReason: outcome.reason,
          errorCode: "REVERTED",
          errorMessage: `transaction ${outcome.receipt.transactionHash} reverted on chain: ${outcome.reason}`,
        })
        .where(and(eq(mintRequest.batchId, write.id), eq(mintRequest.status, "SUBMITTED")))
        .returning(audited);
      await appendAuditEvents(tx, mintEvents("mint.reverted", reverted, { ...mined, revertReason: outcome.reason, onChain: true }));
      return;
    }
    const [confirmed, assetIds] = await Promise.all([
      tx
        .update(mintRequest)
        .set({ ...common, status: "CONFIRMED", errorCode: null, errorMessage: null })
        .where(and(eq(mintRequest.batchId, write.id), eq(mintRequest.status, "SUBMITTED")))
        .returning(audited),
      tx
        .select({ id: offeringAsset.assetId })
        .from(mintBatch)
        .innerJoin(tranche, eq(tranche.id, mintBatch.trancheId))
        .innerJoin(offeringAsset, eq(offeringAsset.offeringId, tranche.offeringId))
        .where(eq(mintBatch.id, write.id)),
    ]);
    // The first confirmed mint tokenizes the offering's assets.
    await systemTransition(
      tx,
      assetIds.map((a) => a.id),
      "TOKENIZED",
      new Date(),
    );
    // Last: the audit lock is the last lock of the settlement (see src/audit/service.ts).
    await appendAuditEvents(tx, mintEvents("mint.confirmed", confirmed, mined));
  },
};

/**
 * Drives a SUBMITTED batch to an outcome: CONFIRMED / REVERTED (settled), or DROPPED (its
 * requests re-queued) on positive evidence only. Never signs with a new nonce for it.
 */
export async function resumeBatch(ctx: MintContext, batchId: string): Promise<void> {
  await resumeWrite(writeContext(ctx), batchId, mintBatchOwner);
}

/**
 * The requests that still pass compliance at send time; the others settle FAILED. Requests of
 * one batch share a tranche, so its requirements are read once and each investor's
 * eligibility comes from its row (one read for all of them).
 */
async function stillCompliant(ctx: MintContext, requests: MintRequestRow[], now: Date): Promise<MintRequestRow[]> {
  const trancheId = requests[0]!.trancheId;
  const subject = await loadBulkMintSubject(
    ctx.db,
    trancheId,
    requests.map((r) => r.investorId),
  );
  if (!subject.tranche) throw new NotFoundError("Tranche", trancheId);
  const reports = await evaluateBulkMintSubject(ctx.db, subject, now);
  const passing: MintRequestRow[] = [];
  for (const request of requests) {
    const report = reports.get(request.investorId);
    if (!report) throw new NotFoundError("Investor", request.investorId);
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

/**
 * Sends the given REQUESTED requests (one tranche) as one mintBatch transaction. Requests
 * that no longer pass compliance settle FAILED; those whose mint would revert settle
 * REVERTED with the decoded error. Returns the batch and the hash it was broadcast with, or
 * undefined if nothing was left.
 */
export async function submitBatch(
  ctx: MintContext,
  requests: MintRequestRow[],
): Promise<{ batchId: string; hash: Hex; sent: Awaited<ReturnType<typeof sendWrite>> } | undefined> {
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
  const settled = (p: Promise<bigint>) =>
    p.then(
      (gas) => ({ gas }),
      (error: unknown) => ({ error }),
    );
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
  // The batch and its requests are the intent, committed with the write before the broadcast.
  const sent = await sendWrite(
    writeContext(ctx),
    { kind: MINT_BATCH_KIND, to: token, data: mintBatchData(candidates), gas, fees, head, subject: { trancheId: t.id } },
    async (tx, write) => {
      const [, moved] = await Promise.all([
        tx.insert(mintBatch).values({ id: write.id, trancheId: t.id, tokenAddress: token }),
        tx
          .update(mintRequest)
          // The hash each request names while it waits (a replacement is named only once mined).
          .set({
            status: "SUBMITTED",
            batchId: write.id,
            nonce: write.nonce,
            txHash: write.hash,
            attempts: sql`${mintRequest.attempts} + 1`,
            updatedAt: new Date(),
          })
          .where(and(inArray(mintRequest.id, ids), eq(mintRequest.status, "REQUESTED"), isNull(mintRequest.batchId)))
          .returning(audited),
      ]);
      // Another worker got to one of them first: roll back, so neither nonce nor request is used twice.
      if (moved.length !== ids.length) throw new RequestTakenError(`a request of batch was submitted by another worker`);
      await appendAuditEvents(
        tx,
        mintEvents("mint.submitted", moved, {
          batchId: write.id,
          nonce: write.nonce,
          txHash: write.hash,
          tokenAddress: token,
          chainId: chain.chainId,
          complianceRecheckedAt: now,
        }),
      );
    },
  );
  ctx.logger.info({ batchId: sent.write.id, nonce: sent.write.nonce, requests: ids.length }, "mint transaction broadcast");
  return { batchId: sent.write.id, hash: sent.hash, sent };
}

/** Drives a just-broadcast batch to its outcome (a node that mines at once, a dev chain, has the receipt already). */
async function settleSent(ctx: MintContext, sent: { batchId: string; sent: Awaited<ReturnType<typeof sendWrite>> }): Promise<void> {
  await resumeWrite(writeContext(ctx), sent.batchId, mintBatchOwner, sent.sent);
}

class RequestTakenError extends ConflictError {
  override readonly retryable = true;
}

function isRetryable(error: unknown): boolean {
  if (error instanceof BaseError) return error.retryable;
  // Anything else (RPC down, timeouts, database hiccups) is worth another try.
  return true;
}

/**
 * Handles the claimed jobs of one tranche up to the broadcast of their batch; returns what was
 * sent, for `settleSent`.
 */
async function runJob(ctx: MintContext, jobs: Job[]): ReturnType<typeof submitBatch> {
  const { db } = ctx;
  const ids = jobs.map((j) => String(j.payload.mintRequestId));
  const rows = await db.select().from(mintRequest).where(inArray(mintRequest.id, ids));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const inOrder = ids.flatMap((id) => byId.get(id) ?? []);
  // Batches already out there hold the lower nonces: drive them to an outcome first, as before any new one.
  const inFlight = new Set(inOrder.filter((r) => r.status === "SUBMITTED" && r.batchId).map((r) => r.batchId!));
  for (const batchId of inFlight) await resumeBatch(ctx, batchId);
  return submitBatch(
    ctx,
    inOrder.filter((r) => r.status === "REQUESTED" && !r.batchId),
  );
}

/** Completes jobs whose requests are settled; the rest (e.g. re-queued after a drop) run again at once. */
async function finishJobs(db: Database, logger: Logger, workerId: string, jobs: Job[]): Promise<void> {
  const ids = jobs.map((j) => String(j.payload.mintRequestId));
  const rows = await db.select({ id: mintRequest.id, status: mintRequest.status }).from(mintRequest).where(inArray(mintRequest.id, ids));
  const open = new Set(rows.filter((r) => r.status === "REQUESTED" || r.status === "SUBMITTED").map((r) => r.id));
  const done = jobs.filter((j) => !open.has(String(j.payload.mintRequestId)));
  const completed = await completeJobs(
    db,
    done.map((j) => j.id),
    workerId,
  );
  if (completed < done.length)
    logger.warn({ jobs: done.length - completed }, "lost the race for mint jobs another worker took over; left them to it");
  for (const j of jobs) if (open.has(String(j.payload.mintRequestId))) await retryJob(db, j.id, workerId, "not settled yet", 0);
}

/** A status change of a request to REQUESTED (a new request, or one back in line). */
function announcesRequested(payload: string): boolean {
  try {
    return (JSON.parse(payload) as { status?: string }).status === "REQUESTED";
  } catch {
    // Not a status change of ours; the poll still runs.
    return false;
  }
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
  const leaseSeconds = opts.leaseSeconds ?? DEFAULTS.workerLeaseSeconds;
  /** The jobs of every run this worker is busy with right now (a run sending, others settling). */
  const runs = new Set<Job[]>();
  const heldIds = () => [...runs].flatMap((jobs) => jobs.map((j) => j.id));
  /** A run's own context: its writes are fenced on its own jobs, which it may add to as it claims. */
  const runContext = (jobs: Job[]): MintContext => ({ ...opts, logger: log, lease: { workerId, jobIds: () => jobs.map((j) => j.id) } });
  const depth = Math.max(1, opts.pipelineDepth ?? DEFAULTS.mintPipelineDepth);
  let stopped = false;
  let lostLeases = 0;

  // Heartbeat: keeps the leases of the jobs this worker is busy with, so nobody else takes them.
  const heartbeat = setInterval(
    () => {
      extendLeases(opts.db, heldIds(), workerId, leaseSeconds).catch((error) =>
        log.warn({ err: (error as Error).message }, "lease heartbeat failed"),
      );
    },
    Math.max(200, (leaseSeconds * 1000) / 3),
  );
  heartbeat.unref();

  // Writes of other kinds whose caller crashed or gave up waiting (a deployment, a whitelist change)
  // are resumed here, settled by their owners; they may hold back later nonces, mints included.
  const sweepContext: WriteContext = {
    db: opts.db,
    chain: opts.chain,
    logger: log,
    confirmations: opts.confirmations,
    stuckAfterMs: opts.stuckAfterMs,
  };
  const sweep = startLoop({
    name: "open chain-write sweep",
    logger: log,
    intervalMs: ORPHAN_WRITE_IDLE_MS / 4,
    runAtStart: false,
    run: async () => {
      await sweepOpenWrites(sweepContext, opts.writeOwners ?? {}, { idleMs: ORPHAN_WRITE_IDLE_MS, skipKinds: [MINT_BATCH_KIND] });
    },
  });

  /**
   * Claims and sends batch after batch. A sent batch is settled in the background while the
   * next is prepared and signed (its nonce follows), up to `depth` runs at once, so the chain
   * is kept busy; returns when nothing is left and every run has settled.
   */
  async function drain() {
    const settling = new Set<Promise<void>>();
    try {
      while (!stopped) {
        while (settling.size >= depth) await Promise.race(settling);
        // The oldest waiting job and the other waiting jobs of its tranche (requestMint names it in the payload), in one claim.
        const jobs = await claimJobs(opts.db, MINT_QUEUE, workerId, leaseSeconds, {
          limit: opts.batchSize ?? DEFAULTS.mintBatchSize,
          groupBy: "trancheId",
        });
        if (jobs.length === 0) return;
        runs.add(jobs);
        const run = runContext(jobs);
        let sentHere: Awaited<ReturnType<typeof runJob>>;
        try {
          sentHere = await runJob(run, jobs);
        } catch (error) {
          await settleFailed(run, jobs, error);
          runs.delete(jobs);
          continue;
        }
        // Broadcast: the next batch may be claimed and signed (its nonce follows) while this one settles.
        const settle = (async () => {
          try {
            if (sentHere) await settleSent(run, sentHere);
            await finishJobs(opts.db, log, workerId, jobs);
          } catch (error) {
            await settleFailed(run, jobs, error);
          } finally {
            runs.delete(jobs);
          }
        })();
        settling.add(settle);
        void settle.then(() => settling.delete(settle));
        if (depth === 1) await settle;
      }
    } finally {
      await Promise.all(settling);
    }
  }

  async function settleFailed(run: MintContext, jobs: Job[], error: unknown) {
    if (error instanceof LeaseLostError) {
      // Another worker holds these jobs now (or has finished them): theirs to settle, not ours.
      lostLeases++;
      log.warn({ jobs: jobs.map((j) => j.id), err: error.message }, "lost the race for a mint job: paused past its lease");
      return;
    }
    await handleFailure(run, jobs, error).catch((e) => log.error({ err: (e as Error).message }, "could not record a mint failure"));
  }

  async function handleFailure(run: MintContext, jobs: Job[], error: unknown) {
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
          await settleRequests(run, [request.id], "FAILED", { errorCode: "MINT_FAILED", errorMessage: message.slice(0, 2000) });
        }
        await completeJob(opts.db, j.id, workerId);
      }
    }
  }

  // The drain runs on the shared loop: at start, every poll interval and on each wake, backing
  // off while the database or chain keeps failing it.
  const loop = startLoop({
    name: "mint worker",
    logger: log,
    intervalMs: opts.pollIntervalMs ?? DEFAULTS.workerPollIntervalMs,
    maxBackoffMs: MAX_LOOP_BACKOFF_MS,
    run: drain,
  });
  const kick = () => void loop.wake();

  // requestMint's insert (and a re-queue after a drop) announce REQUESTED on this channel (a trigger).
  const unlisten = wakeOnNotify(opts.listen, CHANNELS.mintStatus, announcesRequested, kick, log);

  return {
    id: workerId,
    wake: kick,
    health: () => ({ ...loop.health(), lostLeases }),
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      await unlisten();
      await Promise.all([loop.stop(), sweep.stop()]);
    },
  };
}
