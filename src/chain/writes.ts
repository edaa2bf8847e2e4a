/**
 * The chain-write pipeline: every transaction the gateway signs goes this one road.
 *
 * 1. **Recorded before broadcast.** Under the signer's nonce row lock (`withNextNonce`) the
 *    transaction is signed and its write (`chain_write`: kind, nonce, head at signing) and
 *    signed bytes (`chain_tx`) are committed in the same database transaction as the owner's
 *    intent (a mint batch and its requests, say). A crash after the commit leaves bytes a
 *    resume re-sends; a crash before it leaves nothing, not even a used nonce.
 * 2. **Resumed by hash.** `resumeWrite` looks every recorded version up by hash; while none is
 *    mined it re-sends the recorded bytes, and when the latest has waited too long it replaces
 *    it (same nonce, fee +25 %, recorded before broadcast). All versions share the nonce, so at
 *    most one can ever be mined.
 * 3. **Settled, or given up on positive evidence only.** A mined version settles the write
 *    CONFIRMED or REVERTED (with the decoded reason). The write is DROPPED only when a mined
 *    transaction of the signer at its nonce is found whose hash is none of its versions
 *    (`minedAtNonce`). "No receipt" together with a nonce count that moved proves nothing
 *    behind a load balancer (the two calls may land on nodes blocks apart); reading it as a
 *    drop once re-minted requests again and again.
 * 4. **The owner settles its own tables.** Each kind of write has a `WriteOwner` whose `settle`
 *    runs inside the transaction that moves the write out of SUBMITTED (compare-and-set), so the
 *    outcome and its domain effect are committed together, once, whoever finds it first.
 * 5. **Fencing.** A caller working under a lease passes `fence`: it is checked (and the lease
 *    rows locked) in every transaction that writes about the write, so a worker paused past its
 *    lease changes nothing when it wakes.
 */
import { randomUUID } from "node:crypto";
import { and, asc, desc, eq, gte, inArray, lt, lte, ne, sql, type SQL } from "drizzle-orm";
import {
  Eip1559FeesNotSupportedError,
  keccak256,
  parseTransaction,
  TransactionReceiptNotFoundError,
  type Abi,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { Logger } from "pino";
import type { Database, Transaction } from "../db/index.js";
import { BaseError, ChainUnavailableError } from "../errors.js";
import type { ChainClients } from "./client.js";
import { withNextNonce } from "./nonce.js";
import { broadcastRecorded, minedAtNonce, type MinedTransaction } from "./transactions.js";
import { decodeRawRevert, decodeRevert, revertData } from "./revert.js";
import { chainTx, chainWrite } from "./table.js";
import { DEFAULTS } from "../config.js";

export type ChainWrite = typeof chainWrite.$inferSelect;

/** What an owner learns of the mined version (from a receipt, or from the final events of its transaction). */
export type MinedReceipt = Pick<TransactionReceipt, "transactionHash" | "blockNumber" | "contractAddress">;

export type WriteOutcome =
  | { status: "CONFIRMED"; receipt: MinedReceipt }
  | { status: "REVERTED"; receipt: MinedReceipt; reason: string }
  | { status: "DROPPED"; taker: MinedTransaction };

/** The domain a kind of write belongs to: it writes the outcome into its own tables. */
export type WriteOwner = {
  /** Runs in the transaction that settles the write (which is then no longer SUBMITTED). */
  settle(tx: Transaction, write: ChainWrite, outcome: WriteOutcome): Promise<void>;
};

/** An owner with nothing of its own to settle (its caller waits for the outcome and acts on it). */
export const NO_OWNER: WriteOwner = { settle: async () => {} };

export type WriteContext = {
  db: Database;
  chain: ChainClients;
  logger: Logger;
  /** Blocks a receipt must have on top of it (1 = mined) before it settles the write. */
  confirmations?: number;
  /** A sent version not mined after this long is replaced with a higher fee. */
  stuckAfterMs?: number;
  /** How often to look for receipts while waiting. */
  receiptPollMs?: number;
  /** Give up waiting (the write stays SUBMITTED, to be resumed later) after this long. */
  waitMs?: number;
  /** Checked in every transaction that writes about a write; false: this caller lost its lease. */
  fence?: (tx: Transaction) => Promise<boolean>;
};

/** The caller's lease ran out and another worker may hold its job now: it must change nothing. */
export class LeaseLostError extends BaseError {
  readonly code = "LEASE_LOST";
  override name = "LeaseLostError";
}

/** A write another writer settled since it was read: the compare-and-set found nothing to change. */
export class WriteSettledElsewhere extends Error {
  override name = "WriteSettledElsewhere";
}

/** How often a resume re-sends the recorded bytes while none of them is mined. */
const RESEND_EVERY_MS = 2_000;
/** How often a resume searches the blocks for the transaction that took the write's nonce. */
const EVIDENCE_EVERY_MS = 1_000;
/** How long the nonce must have looked used, with no receipt of ours, before the first search. */
const EVIDENCE_AFTER_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` in a transaction fenced on the caller's lease, if it has one: with the lease lost, nothing `fn` wrote is committed. */
export async function fenced<T>(ctx: WriteContext, what: string, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    if (!ctx.fence) return fn(tx);
    // Sent together with fn's first statements; a lost lease rolls them all back.
    const [holds, result] = await Promise.all([ctx.fence(tx), fn(tx)]);
    if (!holds) throw new LeaseLostError(`lost the lease before ${what}; changed nothing`);
    return result;
  });
}

export type Fees = { type: "eip1559"; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | { type: "legacy"; gasPrice: bigint };

/** EIP-1559 fees when the chain has a base fee, else a legacy gas price (as viem's own preparation would choose). */
export async function currentFees(chain: ChainClients): Promise<Fees> {
  try {
    const fees = await chain.publicClient.estimateFeesPerGas();
    return { type: "eip1559", maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
  } catch (error) {
    if (!(error instanceof Eip1559FeesNotSupportedError)) throw error;
    return { type: "legacy", gasPrice: await chain.publicClient.getGasPrice() };
  }
}

export type WriteRequest = {
  /** The owner's name for this kind of write (MINT_BATCH, DEPLOY_TOKEN, TOKEN_CALL…). */
  kind: string;
  /** Contract called, or undefined for a deployment. */
  to?: Address;
  data: Hex;
  gas: bigint;
  /** Fees and the head to record, when the caller read them already; else read here. */
  fees?: Fees;
  head?: bigint;
  /** What the owner needs to settle it later (e.g. the tranche a deployment is for). */
  subject?: Record<string, unknown>;
};

/**
 * Signs `request` with the next nonce and commits the write, its signed bytes and the
 * owner's `intent` (run in the same transaction; it may throw to roll everything back)
 * before anything is broadcast, then broadcasts. The intent's statements may reference the
 * write (its id is the one passed), but not each other: they are sent together. Returns the
 * recorded write.
 */
export async function sendWrite(
  ctx: WriteContext,
  request: WriteRequest,
  intent?: (tx: Transaction, write: { id: string; nonce: number; hash: Hex }) => Promise<unknown>,
): Promise<{ write: ChainWrite; hash: Hex; version: Version }> {
  const { db, chain } = ctx;
  const [fees, head] = await Promise.all([
    request.fees ?? currentFees(chain),
    request.head ?? chain.publicClient.getBlockNumber({ cacheTime: 0 }),
  ]);
  const recorded = await chain.withSignerLock(() =>
    withNextNonce(db, chain, async (tx, nonce) => {
      // Signed with the local key directly: everything is known, and the wallet client would ask the node for its chain id.
      const signed = await chain.account.signTransaction({
        ...fees,
        chainId: chain.chainId,
        to: request.to,
        data: request.data,
        nonce,
        gas: request.gas,
      });
      const hash = keccak256(signed);
      const id = randomUUID();
      const signedAt = new Date();
      // Two round trips while the nonce row is locked: the write (with the lease check), then what
      // references it (its signed version and the owner's intent), each group sent together. The
      // groups are awaited in turn because statements sent together are not guaranteed to reach
      // PostgreSQL in the order they were started, and a foreign key needs the write first.
      const [held, write] = await Promise.all([
        ctx.fence ? ctx.fence(tx) : true,
        tx
          .insert(chainWrite)
          .values({
            id,
            kind: request.kind,
            chainId: chain.chainId,
            signer: chain.account.address,
            nonce,
            toAddress: request.to ?? null,
            signedAtBlock: head,
            subject: request.subject ?? {},
          })
          .returning()
          .then(([row]) => row!),
      ]);
      if (!held) throw new LeaseLostError("lost the lease before recording a chain write; changed nothing");
      await Promise.all([
        tx.insert(chainTx).values({
          hash,
          writeId: id,
          signedTx: signed,
          maxFeePerGas: String(fees.type === "eip1559" ? fees.maxFeePerGas : fees.gasPrice),
          createdAt: signedAt,
        }),
        intent?.(tx, { id, nonce, hash }),
      ]);
      return { write, hash, signed, signedAt, maxFeePerGas: String(fees.type === "eip1559" ? fees.maxFeePerGas : fees.gasPrice) };
    }),
  );
  // Broadcast after the commit: a crash right here leaves a recorded, unsent transaction that a resume re-sends.
  await broadcastRecorded(chain, recorded.signed, ctx.logger, {
    writeId: recorded.write.id,
    kind: request.kind,
    nonce: recorded.write.nonce,
    hash: recorded.hash,
  });
  const version: Version = {
    hash: recorded.hash,
    writeId: recorded.write.id,
    signedTx: recorded.signed,
    maxFeePerGas: recorded.maxFeePerGas,
    createdAt: recorded.signedAt,
  };
  return { write: recorded.write, hash: recorded.hash, version };
}

/** The reason a mined transaction reverted, found by replaying its call on the block before. */
async function revertReasonOf(chain: ChainClients, signed: Hex, block: bigint): Promise<string> {
  const original = parseTransaction(signed);
  try {
    await chain.publicClient.call({
      account: chain.account.address,
      to: original.to ?? undefined,
      data: original.data,
      gas: original.gas,
      blockNumber: block > 0n ? block - 1n : block,
    });
  } catch (error) {
    const reason = decodeRawRevert(error);
    if (reason) return reason;
  }
  return "reverted";
}

/**
 * Moves the write out of SUBMITTED and lets its owner settle, in one fenced transaction.
 * Throws WriteSettledElsewhere when another writer got there first (nothing is changed).
 */
async function settleWrite(ctx: WriteContext, write: ChainWrite, owner: WriteOwner, outcome: WriteOutcome): Promise<ChainWrite> {
  const mined =
    outcome.status === "DROPPED"
      ? { minedTxHash: outcome.taker.hash, blockNumber: outcome.taker.blockNumber }
      : {
          minedTxHash: outcome.receipt.transactionHash,
          blockNumber: outcome.receipt.blockNumber,
          contractAddress: outcome.receipt.contractAddress ?? null,
        };
  const fields = {
    ...mined,
    status: outcome.status,
    revertReason: outcome.status === "REVERTED" ? outcome.reason : null,
    updatedAt: new Date(),
  };
  return fenced(ctx, `settling a write ${outcome.status}`, async (tx) => {
    // The compare-and-set and the owner's settlement are sent together; if the write was no
    // longer SUBMITTED, the rollback undoes what the owner wrote.
    const [[moved]] = await Promise.all([
      tx
        .update(chainWrite)
        .set(fields)
        .where(and(eq(chainWrite.id, write.id), eq(chainWrite.status, "SUBMITTED")))
        .returning(),
      owner.settle(tx, { ...write, ...fields }, outcome),
    ]);
    if (!moved) throw new WriteSettledElsewhere();
    return moved;
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

/** Whether a mined receipt has the confirmations a settlement needs (a receipt is one; only more need the head). */
async function deepEnough(ctx: WriteContext, receipt: TransactionReceipt): Promise<boolean> {
  if ((ctx.confirmations ?? DEFAULTS.mintConfirmations) <= 1) return true;
  const head = await ctx.chain.publicClient.getBlockNumber({ cacheTime: 0 });
  return head - receipt.blockNumber + 1n >= BigInt(ctx.confirmations!);
}

type Version = typeof chainTx.$inferSelect;

/** Signs the write's transaction again with its nonce and a fee at least 25 % higher; recorded (fenced) before broadcast. */
async function replaceVersion(ctx: WriteContext, write: ChainWrite, latest: Version): Promise<void> {
  const { chain } = ctx;
  const fees = await chain.publicClient.estimateFeesPerGas();
  const bumped = (BigInt(latest.maxFeePerGas) * 125n) / 100n + 1n;
  const maxFeePerGas = fees.maxFeePerGas > bumped ? fees.maxFeePerGas : bumped;
  // Same call, nonce and gas limit: an estimate now would run against the pending state, where the
  // stuck version has already run, and could come out too low for the real state.
  const original = parseTransaction(latest.signedTx as Hex);
  const signed = await chain.account.signTransaction({
    chainId: chain.chainId,
    to: original.to ?? undefined,
    data: original.data,
    nonce: write.nonce,
    gas: original.gas,
    maxFeePerGas,
    maxPriorityFeePerGas: maxFeePerGas,
  });
  const hash = keccak256(signed);
  await fenced(ctx, "recording a replacement", async (tx) => {
    // The write's row lock orders this against a settlement: a settled write is never replaced.
    const [current] = await tx.select({ status: chainWrite.status }).from(chainWrite).where(eq(chainWrite.id, write.id)).for("update");
    if (current?.status !== "SUBMITTED") throw new WriteSettledElsewhere();
    await tx.insert(chainTx).values({ hash, writeId: write.id, signedTx: signed, maxFeePerGas: maxFeePerGas.toString() });
  });
  ctx.logger.warn({ writeId: write.id, kind: write.kind, nonce: write.nonce, hash, replaced: latest.hash }, "replaced a stuck transaction");
  await broadcastRecorded(chain, signed, ctx.logger, { writeId: write.id, nonce: write.nonce, hash });
}

/** The latest signed bytes of the signer's SUBMITTED writes with nonces in [minedCount, write.nonce). */
async function unminedBefore(db: Database, write: ChainWrite, minedCount: number): Promise<Version[]> {
  const rows = await db
    .select({ version: chainTx, nonce: chainWrite.nonce })
    .from(chainWrite)
    .innerJoin(chainTx, eq(chainTx.writeId, chainWrite.id))
    .where(
      and(
        eq(chainWrite.chainId, write.chainId),
        eq(chainWrite.signer, write.signer),
        eq(chainWrite.status, "SUBMITTED"),
        gte(chainWrite.nonce, minedCount),
        lt(chainWrite.nonce, write.nonce),
      ),
    )
    .orderBy(asc(chainWrite.nonce), desc(chainTx.createdAt));
  const latestPerNonce = new Map<number, Version>();
  for (const r of rows) if (!latestPerNonce.has(r.nonce)) latestPerNonce.set(r.nonce, r.version);
  return [...latestPerNonce.values()];
}

/**
 * Drives a SUBMITTED write to an outcome, settled by `owner`: CONFIRMED / REVERTED, or
 * DROPPED on positive evidence only. Never signs with a new nonce. Returns the write once it
 * is settled, by this caller or another writer; throws ChainUnavailableError (retryable)
 * when it is still open after `waitMs`.
 */
export async function resumeWrite(
  ctx: WriteContext,
  writeId: string,
  owner: WriteOwner,
  /** What the caller just recorded (sendWrite's answer): the first look needs no database read. */
  justSent?: { write: ChainWrite; version: Version },
): Promise<ChainWrite> {
  const { db, chain, logger } = ctx;
  const started = Date.now();
  let resentAt = 0;
  let searchedAt = 0;
  let movedSince: number | undefined;
  for (let look = 0; ; look++) {
    const [write] = look === 0 && justSent ? [justSent.write] : await db.select().from(chainWrite).where(eq(chainWrite.id, writeId));
    if (!write) throw new Error(`chain write ${writeId} does not exist`);
    if (write.status !== "SUBMITTED") {
      if (look > 0) logger.info({ writeId, status: write.status }, "another writer settled the write first; changed nothing");
      return write;
    }
    try {
      const versions =
        look === 0 && justSent
          ? [justSent.version]
          : await db.select().from(chainTx).where(eq(chainTx.writeId, write.id)).orderBy(asc(chainTx.createdAt));
      const hashes = versions.map((v) => v.hash as Hex);
      const receipt = await findReceipt(chain, hashes);
      // Read after the receipts: a version mined in between shows as a moved count, and the search
      // for the nonce's transaction then finds it is ours (it never decides a drop on the count alone).
      const minedCount = receipt
        ? 0
        : await chain.publicClient.getTransactionCount({ address: write.signer as Address, blockTag: "latest" });
      if (receipt) {
        if (await deepEnough(ctx, receipt)) {
          const outcome: WriteOutcome =
            receipt.status === "success"
              ? { status: "CONFIRMED", receipt }
              : {
                  status: "REVERTED",
                  receipt,
                  reason: await revertReasonOf(
                    chain,
                    versions.find((v) => v.hash === receipt.transactionHash)!.signedTx as Hex,
                    receipt.blockNumber,
                  ),
                };
          return await settleWrite(ctx, write, owner, outcome);
        }
      } else if (minedCount > write.nonce) {
        // The nonce is used, by this node's count. Which transaction used it decides; until the
        // chain shows one (this node may be ahead of the one that had no receipt), keep looking.
        // A node may count a transaction a moment before it serves its receipt (anvil does, about
        // one send in ten): the search waits until the count has looked moved for a while.
        movedSince ??= Date.now();
        if (Date.now() - movedSince >= EVIDENCE_AFTER_MS && Date.now() - searchedAt >= EVIDENCE_EVERY_MS) {
          searchedAt = Date.now();
          const taker = await minedAtNonce(chain, write.signer as Address, write.nonce, write.signedAtBlock);
          if (taker && !hashes.some((h) => h.toLowerCase() === taker.hash.toLowerCase())) {
            logger.warn(
              { writeId, kind: write.kind, nonce: write.nonce, takenBy: taker.hash, block: taker.blockNumber.toString() },
              "transaction dropped: a foreign transaction took its nonce",
            );
            return await settleWrite(ctx, write, owner, { status: "DROPPED", taker });
          }
          if (taker) logger.info({ writeId, nonce: write.nonce, hash: taker.hash }, "transaction mined; its receipt is not served yet");
        }
      } else {
        const latest = versions.at(-1)!;
        if (Date.now() - latest.createdAt.getTime() > (ctx.stuckAfterMs ?? DEFAULTS.mintStuckAfterSeconds * 1000)) {
          await replaceVersion(ctx, write, latest);
        } else if (Date.now() - resentAt >= RESEND_EVERY_MS) {
          // The bytes may never have left (a crash between recording and broadcast) or the node forgot them.
          // Lower nonces still unmined (a crash before their broadcast) would hold this one back: re-send
          // their recorded bytes too. Re-sending recorded bytes never executes anything twice.
          for (const lower of await unminedBefore(db, write, minedCount)) {
            await broadcastRecorded(chain, lower.signedTx as Hex, logger, { writeId: lower.writeId, hash: lower.hash });
          }
          await broadcastRecorded(chain, latest.signedTx as Hex, logger, { writeId, nonce: write.nonce, hash: latest.hash });
          resentAt = Date.now();
        }
      }
    } catch (error) {
      if (!(error instanceof WriteSettledElsewhere)) throw error;
      continue; // read back what the other writer settled
    }
    if (Date.now() - started > (ctx.waitMs ?? 30_000)) {
      throw new ChainUnavailableError(`chain write ${writeId} (${write.kind}, nonce ${write.nonce}) not settled yet; it will be resumed`);
    }
    // Quick looks first (a just-sent transaction is usually mined within milliseconds on a dev
    // chain), then every receiptPollMs.
    await sleep(Math.min(ctx.receiptPollMs ?? DEFAULTS.mintReceiptPollMs, 5 * 2 ** look));
  }
}

/** This signer's SUBMITTED writes on this chain matching `where`, lowest nonce first. */
function openWrites(ctx: WriteContext, where: SQL[], limit: number) {
  return ctx.db
    .select({ id: chainWrite.id, kind: chainWrite.kind })
    .from(chainWrite)
    .where(
      and(
        eq(chainWrite.chainId, ctx.chain.chainId),
        eq(chainWrite.signer, ctx.chain.account.address),
        eq(chainWrite.status, "SUBMITTED"),
        ...where,
      ),
    )
    .orderBy(asc(chainWrite.nonce))
    .limit(limit);
}

/**
 * Resumes every write still SUBMITTED that nobody has looked at for `idleMs` (its caller
 * crashed or gave up waiting), settling each through the owner of its kind. Mint batches are
 * left to the mint worker, which resumes them under its job leases.
 */
export async function sweepOpenWrites(
  ctx: WriteContext,
  owners: Record<string, WriteOwner>,
  options: { idleMs: number; skipKinds?: string[] },
): Promise<number> {
  const open = await openWrites(
    ctx,
    [
      lte(chainWrite.updatedAt, sql`now() - make_interval(secs => ${options.idleMs / 1000})`),
      ...(options.skipKinds ?? []).map((kind) => ne(chainWrite.kind, kind)),
    ],
    50,
  );
  let settled = 0;
  for (const w of open) {
    await resumeWrite(ctx, w.id, owners[w.kind] ?? NO_OWNER);
    settled++;
  }
  return settled;
}

/** The write context a worker's options carry (the fields of WriteContext, nothing else). */
export function writeContextOf(o: WriteContext): WriteContext {
  const { db, chain, logger, confirmations, stuckAfterMs, receiptPollMs, waitMs, fence } = o;
  return { db, chain, logger, confirmations, stuckAfterMs, receiptPollMs, waitMs, fence };
}

/**
 * Resumes this signer's SUBMITTED writes of the owners' kinds, lowest nonce first (at most
 * `limit`), each settled by the owner of its kind: what a domain worker does at the start of a
 * round, before it signs anything new, so its open batches are never signed again.
 */
export async function resumeOpenWrites(ctx: WriteContext, owners: Record<string, WriteOwner>, limit = 20): Promise<void> {
  const open = await openWrites(ctx, [inArray(chainWrite.kind, Object.keys(owners))], limit);
  for (const w of open) await resumeWrite(ctx, w.id, owners[w.kind]!);
}

/**
 * Runs a contract call of the gateway's signer against the chain's current state: its gas, or
 * the decoded reason it would revert (the custom errors of `abi`). Errors that are not a revert
 * (the node unreachable) are thrown. `data`: the raw revert data, for callers that decode its arguments.
 */
export async function simulateSignerCall(
  chain: ChainClients,
  call: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] },
): Promise<{ gas: bigint } | { reason: string; data?: Hex }> {
  try {
    return { gas: await chain.publicClient.estimateContractGas({ account: chain.account.address, ...call } as any) };
  } catch (error) {
    const reason = decodeRevert(error);
    if (!reason) throw error;
    return { reason, data: revertData(error) };
  }
}
