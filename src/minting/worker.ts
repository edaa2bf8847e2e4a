/**
 * The mint worker. For each claimed job it re-checks compliance, simulates, signs, records
 * the nonce, hash and signed bytes *before* broadcasting, then waits for confirmations and
 * settles the request. A retry of a SUBMITTED request re-sends the recorded bytes (same
 * hash), so a crash anywhere never produces a second mint for one request.
 */
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { encodeFunctionData, keccak256, TransactionReceiptNotFoundError, type Address, type Hex } from "viem";
import type { Logger } from "pino";
import type { Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import { DataAssetTokenAbi, decodeRevert } from "../chain/token.js";
import { evaluateForMint } from "../compliance/service.js";
import { offeringAsset, tranche } from "../offerings/table.js";
import { systemTransition } from "../assets/service.js";
import { BaseError } from "../errors.js";
import { claimJob, completeJob, retryJob } from "../queue/service.js";
import { MINT_QUEUE } from "./service.js";
import { mintRequest, type MintStatus } from "./table.js";

export type MintWorkerOptions = {
  db: Database;
  chain: ChainClients;
  logger: Logger;
  confirmations: number;
  now?: () => Date;
  /** How often to look for work when not woken. */
  pollIntervalMs?: number;
};

export type MintWorker = { wake(): void; stop(): Promise<void> };

const LEASE_SECONDS = 60;
const MAX_ATTEMPTS = 20;

async function settle(db: Database, id: string, status: MintStatus, fields: Partial<typeof mintRequest.$inferInsert> = {}) {
  await db.update(mintRequest).set({ ...fields, status, updatedAt: new Date() }).where(eq(mintRequest.id, id));
}

async function waitAndSettle(opts: MintWorkerOptions, requestId: string, hash: Hex): Promise<void> {
  const receipt = await opts.chain.publicClient.waitForTransactionReceipt({
    hash,
    confirmations: opts.confirmations,
    timeout: 60_000,
  });
  if (receipt.status === "success") {
    await opts.db.transaction(async (tx) => {
      await tx
        .update(mintRequest)
        .set({ status: "CONFIRMED", blockNumber: receipt.blockNumber, errorCode: null, errorMessage: null, updatedAt: new Date() })
        .where(eq(mintRequest.id, requestId));
      // The first confirmed mint tokenizes the offering's assets.
      const assetIds = await tx
        .select({ id: offeringAsset.assetId })
        .from(mintRequest)
        .innerJoin(tranche, eq(tranche.id, mintRequest.trancheId))
        .innerJoin(offeringAsset, eq(offeringAsset.offeringId, tranche.offeringId))
        .where(eq(mintRequest.id, requestId));
      await systemTransition(tx, assetIds.map((a) => a.id), "TOKENIZED", new Date());
    });
  } else {
    await settle(opts.db, requestId, "REVERTED", {
      blockNumber: receipt.blockNumber,
      errorCode: "REVERTED",
      errorMessage: `transaction ${hash} reverted on chain`,
    });
  }
}

/** Does the work for one mint request; throws a retryable error to be tried again later. */
export async function processMintRequest(opts: MintWorkerOptions, requestId: string): Promise<void> {
  const { db, chain } = opts;
  const [request] = await db.select().from(mintRequest).where(eq(mintRequest.id, requestId));
  if (!request || ["CONFIRMED", "FAILED", "REVERTED"].includes(request.status)) return;

  if (request.status === "SUBMITTED" && request.txHash && request.signedTx) {
    // Our earlier attempt signed and recorded this transaction; find it or re-send the same bytes.
    try {
      await chain.publicClient.getTransactionReceipt({ hash: request.txHash as Hex });
    } catch (error) {
      if (!(error instanceof TransactionReceiptNotFoundError)) throw error;
      await chain.publicClient.sendRawTransaction({ serializedTransaction: request.signedTx as Hex }).catch(() => {
        // "already known" / "nonce too low" mean the chain has (or had) it: the receipt wait decides.
      });
    }
    return waitAndSettle(opts, request.id, request.txHash as Hex);
  }

  const report = await evaluateForMint(db, { trancheId: request.trancheId, investorId: request.investorId }, (opts.now ?? (() => new Date()))());
  if (!report.holds) {
    const codes = [...new Set(report.unmet.map((u) => u.code))];
    await settle(db, request.id, "FAILED", {
      errorCode: "COMPLIANCE_NOT_SATISFIED",
      errorMessage: `compliance no longer holds at send time: ${codes.join(", ")}`,
    });
    return;
  }
  const [t] = await db.select().from(tranche).where(eq(tranche.id, request.trancheId));
  const token = t!.tokenAddress as Address;

  const hash = await chain.withSignerLock(async () => {
    try {
      await chain.publicClient.simulateContract({
        account: chain.account,
        address: token,
        abi: DataAssetTokenAbi,
        functionName: "mint",
        args: [request.recipient as Address, BigInt(request.amount)],
      });
    } catch (error) {
      const reason = decodeRevert(error);
      if (reason) {
        await settle(db, request.id, "REVERTED", { errorCode: "REVERTED", errorMessage: reason });
        return undefined;
      }
      throw error;
    }
    const prepared = await chain.walletClient.prepareTransactionRequest({
      to: token,
      data: encodeMint(request.recipient as Address, BigInt(request.amount)),
    });
    const signed = await chain.walletClient.signTransaction(prepared);
    const txHash = keccak256(signed);
    await db
      .update(mintRequest)
      .set({
        status: "SUBMITTED",
        txHash,
        nonce: prepared.nonce,
        signedTx: signed,
        attempts: sql`${mintRequest.attempts} + 1`,
        updatedAt: new Date(),
      })
      .where(eq(mintRequest.id, request.id));
    await chain.publicClient.sendRawTransaction({ serializedTransaction: signed });
    return txHash;
  });
  if (hash) await waitAndSettle(opts, request.id, hash);
}

function encodeMint(to: Address, amount: bigint): Hex {
  return encodeFunctionData({ abi: DataAssetTokenAbi, functionName: "mint", args: [to, amount] });
}

function isRetryable(error: unknown): boolean {
  if (error instanceof BaseError) return error.retryable;
  // Anything else (RPC down, timeouts, database hiccups) is worth another try.
  return true;
}

/**
 * Starts a polling worker in this process.
 * @example const worker = startMintWorker({ db, chain, logger, confirmations: 1 }); worker.wake();
 */
export function startMintWorker(opts: MintWorkerOptions): MintWorker {
  const workerId = `worker-${randomUUID().slice(0, 8)}`;
  const log = opts.logger.child({ component: "mint-worker", workerId });
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  async function drain() {
    while (!stopped) {
      const job = await claimJob(opts.db, MINT_QUEUE, workerId, LEASE_SECONDS);
      if (!job) return;
      const requestId = String(job.payload.mintRequestId);
      try {
        await processMintRequest(opts, requestId);
        await completeJob(opts.db, job.id);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (isRetryable(error) && job.attempts < MAX_ATTEMPTS) {
          const delayMs = Math.min(30_000, 250 * 2 ** job.attempts);
          log.warn({ requestId, attempts: job.attempts, delayMs, err: message }, "mint attempt failed; will retry");
          await retryJob(opts.db, job.id, message, delayMs);
        } else {
          log.error({ requestId, err: message }, "mint failed");
          await settle(opts.db, requestId, "FAILED", { errorCode: "MINT_FAILED", errorMessage: message.slice(0, 2000) });
          await completeJob(opts.db, job.id);
        }
      }
    }
  }

  function kick() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch((error) => log.error({ err: error instanceof Error ? error.message : String(error) }, "worker loop error"))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          kick();
        }
      });
  }

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
    wake: kick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
