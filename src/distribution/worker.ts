/**
 * The distribution worker: announces each declared distribution on chain (one `declare` of the
 * RevenueDistributor, DistributionDeclared with the totals per tranche), then pays its payouts
 * from the treasury in `payBatch` transactions (one DistributionPaid per payout), all through
 * the chain-write pipeline (src/chain/writes.ts), and settles the rows as each write's owner.
 *
 * Exactly once, as for DvP settlement: a batch's write (nonce, signed bytes) is committed in the
 * same transaction that moves its payouts REQUESTED → SUBMITTED, only if every one is still
 * REQUESTED with no batch; a SUBMITTED batch is only ever resumed by hash; its payouts leave
 * SUBMITTED only with the write. The contract refuses a payout id it has paid (AlreadyPaid) as a
 * second line. Payouts are owed: a refusal (an unfunded treasury) leaves them waiting, never lost.
 * Held payouts (a frozen holder) are released once the holder is no longer frozen.
 */
import { and, asc, eq, inArray, isNull, lt, notExists, or, sql } from "drizzle-orm";
import type { Address } from "viem";
import type { Logger } from "pino";
import type { Database, Listen, Transaction } from "../db/index.js";
import { CHANNELS } from "../notifications/change-feed.js";
import type { ChainClients } from "../chain/client.js";
import {
  resumeOpenWrites,
  resumeWrite,
  sendWrite,
  simulateSignerCall,
  writeContextOf,
  type WriteOutcome,
  type WriteOwner,
} from "../chain/writes.js";
import {
  declareDistributionData,
  ensureDistributorContract,
  payBatchData,
  RevenueDistributorAbi,
  DevStablecoinAbi,
  settlementId,
  type PayoutItem,
} from "../chain/settlement.js";
import { startListeningLoop } from "../queue/loop.js";
import { tranche } from "../offerings/table.js";
import { frozenAddress } from "../minting/table.js";
import { appendAuditEvents, type AuditEventInput } from "../audit/service.js";
import { DEFAULTS } from "../config.js";
import { distribution, distributionPayout } from "./table.js";

export const DECLARE_DISTRIBUTION_KIND = "DECLARE_DISTRIBUTION";
export const PAY_BATCH_KIND = "DISTRIBUTION_PAY_BATCH";

export type DistributionWorkerOptions = {
  db: Database;
  chain: ChainClients;
  logger: Logger;
  confirmations: number;
  /** How often to look for work when not woken. */
  pollIntervalMs?: number;
  /**
   * LISTEN on the database, to wake on every declared distribution (and announcement, payout or
   * held payout back in line) whichever process wrote it (a worker of its own, `npm run worker`).
   * Without it the worker relies on `wake()` (the API in the same process calls it) and on the poll.
   */
  listen?: Listen;
  /** Most payouts in one transaction. */
  batchSize?: number;
  stuckAfterMs?: number;
  receiptPollMs?: number;
  waitMs?: number;
  /** How long payouts the chain refused (an unfunded treasury) wait before they are tried again (default 30 s). */
  owedRetryMs?: number;
};
export type DistributionWorker = { wake(): void; stop(): Promise<void> };

/** Payouts per payBatch: ~35k gas each (docs/distribution-gas.md), far under a block. */
const DEFAULT_BATCH_SIZE = 200;
const OWED_RETRY_MS = 30_000;
const ERRORS_ABI = [...RevenueDistributorAbi, ...DevStablecoinAbi.filter((i) => i.type === "error")];

function events(
  action: string,
  rows: { id: string }[],
  payload: Record<string, unknown>,
  entityType = "DistributionPayout",
): AuditEventInput[] {
  return rows.map((r) => ({ actor: "SYSTEM", action, entityType, entityId: r.id, payload: { ...r, ...payload } }));
}

/** The distribution is PAID once none of its payouts waits to be sent or mined (held ones are paid later, outside this count). */
async function markPaidIfDone(tx: Transaction, distributionId: string) {
  const [open] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(distributionPayout)
    .where(and(eq(distributionPayout.distributionId, distributionId), inArray(distributionPayout.status, ["REQUESTED", "SUBMITTED"])));
  if (open!.n > 0) return;
  const paid = await tx
    .update(distribution)
    .set({ status: "PAID", updatedAt: new Date() })
    .where(and(eq(distribution.id, distributionId), eq(distribution.status, "PAYING")))
    .returning({ id: distribution.id });
  await appendAuditEvents(tx, events("distribution.paid", paid, {}, "Distribution"));
}

/** Settles the on-chain announcement: PAYING once DistributionDeclared is mined, back in line otherwise. */
export const declareDistributionOwner: WriteOwner = {
  async settle(tx, write, outcome) {
    const id = write.subject.distributionId as string;
    if (outcome.status === "CONFIRMED") {
      const moved = await tx
        .update(distribution)
        .set({ status: "PAYING", declareTxHash: outcome.receipt.transactionHash, announceError: null, updatedAt: new Date() })
        .where(and(eq(distribution.id, id), eq(distribution.declareWriteId, write.id)))
        .returning({ id: distribution.id });
      await appendAuditEvents(tx, events("distribution.announced", moved, { txHash: outcome.receipt.transactionHash }, "Distribution"));
      if (moved.length > 0) await markPaidIfDone(tx, id);
      return;
    }
    await tx
      .update(distribution)
      .set({ declareWriteId: null, updatedAt: new Date() })
      .where(and(eq(distribution.id, id), eq(distribution.declareWriteId, write.id)));
  },
};

/** Settles a payBatch: its payouts CONFIRMED, or back in line (a reverted batch paid nothing; payouts are owed, never given up). */
export const payBatchOwner: WriteOwner = {
  async settle(tx, write, outcome: WriteOutcome) {
    const inBatch = and(eq(distributionPayout.batchId, write.id), eq(distributionPayout.status, "SUBMITTED"));
    const returning = { id: distributionPayout.id, distributionId: distributionPayout.distributionId, amount: distributionPayout.amount };
    if (outcome.status === "CONFIRMED") {
      const facts = { txHash: outcome.receipt.transactionHash, blockNumber: outcome.receipt.blockNumber };
      const paid = await tx
        .update(distributionPayout)
        .set({ ...facts, status: "CONFIRMED", revertReason: null, updatedAt: new Date() })
        .where(inBatch)
        .returning(returning);
      await appendAuditEvents(tx, events("payout.confirmed", paid, { batchId: write.id, nonce: write.nonce, ...facts }));
      for (const id of new Set(paid.map((p) => p.distributionId))) await markPaidIfDone(tx, id);
      return;
    }
    const reason = outcome.status === "REVERTED" ? outcome.reason : `nonce taken by ${outcome.taker.hash}`;
    const back = await tx
      .update(distributionPayout)
      .set({ status: "REQUESTED", batchId: null, txHash: null, revertReason: reason, updatedAt: new Date() })
      .where(inBatch)
      .returning(returning);
    await appendAuditEvents(tx, events("payout.requeued", back, { batchId: write.id, nonce: write.nonce, reason }));
  },
};

export const DISTRIBUTION_WRITE_OWNERS: Record<string, WriteOwner> = {
  [DECLARE_DISTRIBUTION_KIND]: declareDistributionOwner,
  [PAY_BATCH_KIND]: payBatchOwner,
};

function simulate(chain: ChainClients, distributor: Address, functionName: "declare" | "payBatch", args: readonly unknown[]) {
  return simulateSignerCall(chain, { address: distributor, abi: ERRORS_ABI, functionName, args });
}

/** Held payouts whose holder is no longer frozen on the tranche token go back in line. */
async function releaseUnfrozen(db: Database) {
  await db.transaction(async (tx) => {
    const released = await tx
      .update(distributionPayout)
      .set({ status: "REQUESTED", updatedAt: new Date() })
      .where(
        and(
          eq(distributionPayout.status, "HELD"),
          notExists(
            tx
              .select({ one: sql`1` })
              .from(frozenAddress)
              .where(
                and(
                  eq(frozenAddress.trancheId, distributionPayout.trancheId),
                  sql`lower(${frozenAddress.address}) = lower(${distributionPayout.holder})`,
                ),
              ),
          ),
        ),
      )
      .returning({ id: distributionPayout.id, distributionId: distributionPayout.distributionId, holder: distributionPayout.holder });
    if (released.length === 0) return;
    await appendAuditEvents(tx, events("payout.released", released, { reason: "holder unfrozen" }));
    // A distribution PAID before the release pays again: back to PAYING until these are confirmed.
    await tx
      .update(distribution)
      .set({ status: "PAYING", updatedAt: new Date() })
      .where(
        and(
          inArray(distribution.id, [...new Set(released.map((r) => r.distributionId))]),
          eq(distribution.status, "PAID"),
          sql`${distribution.declareTxHash} is not null`,
        ),
      );
  });
}

/** Announces the oldest declared distribution not announced yet. Returns false when none waits. */
async function announceNext(o: DistributionWorkerOptions): Promise<boolean> {
  // One the distributor refused waits (owedRetryMs) and does not hold up the ones behind it.
  const due = or(isNull(distribution.announceError), lt(distribution.updatedAt, new Date(Date.now() - (o.owedRetryMs ?? OWED_RETRY_MS))));
  const [d] = await o.db
    .select()
    .from(distribution)
    .where(and(eq(distribution.status, "DECLARED"), isNull(distribution.declareWriteId), due))
    .orderBy(asc(distribution.createdAt))
    .limit(1);
  if (!d) return false;
  const [holders] = await o.db
    .select({ n: sql<number>`count(distinct ${distributionPayout.holder})::int` })
    .from(distributionPayout)
    .where(eq(distributionPayout.distributionId, d.id));
  // The declared totals are what the payouts add up to per tranche (a tranche without holders pays nothing).
  const perTranche = await o.db
    .select({ token: tranche.tokenAddress, total: sql<string>`sum(${distributionPayout.amount})::text` })
    .from(distributionPayout)
    .innerJoin(tranche, eq(tranche.id, distributionPayout.trancheId))
    .where(eq(distributionPayout.distributionId, d.id))
    .groupBy(tranche.tokenAddress);
  const distributor = await ensureDistributorContract(o.chain);
  const args = [
    settlementId(d.id),
    d.currency as Address,
    d.treasury as Address,
    BigInt(holders!.n),
    perTranche.map((t) => t.token as Address),
    perTranche.map((t) => BigInt(t.total)),
  ] as const;
  const simulated = await simulate(o.chain, distributor, "declare", args);
  if ("reason" in simulated) {
    // Recorded once per attempt (with the time, for the retry) and on the trail; the worker goes on.
    await o.db.transaction(async (tx) => {
      const noted = await tx
        .update(distribution)
        .set({ announceError: simulated.reason, updatedAt: new Date() })
        .where(and(eq(distribution.id, d.id), isNull(distribution.declareWriteId)))
        .returning({ id: distribution.id });
      await appendAuditEvents(tx, events("distribution.announce_refused", noted, { reason: simulated.reason }, "Distribution"));
    });
    o.logger.error({ distributionId: d.id, reason: simulated.reason }, "the distributor refuses the declaration; tried again later");
    return true;
  }
  const ctx = writeContextOf(o);
  const sent = await sendWrite(
    ctx,
    {
      kind: DECLARE_DISTRIBUTION_KIND,
      to: distributor,
      data: declareDistributionData(...args),
      gas: (simulated.gas * 12n) / 10n,
      subject: { distributionId: d.id },
    },
    async (tx, write) => {
      const moved = await tx
        .update(distribution)
        .set({ declareWriteId: write.id, updatedAt: new Date() })
        .where(and(eq(distribution.id, d.id), isNull(distribution.declareWriteId), eq(distribution.status, "DECLARED")))
        .returning({ id: distribution.id });
      if (moved.length !== 1) throw new RowsTakenError();
    },
  ).catch((error) => {
    if (error instanceof RowsTakenError) return undefined;
    throw error;
  });
  if (sent) await resumeWrite(ctx, sent.write.id, declareDistributionOwner, sent);
  return true;
}

class RowsTakenError extends Error {}

/** Pays the oldest waiting payouts of one announced distribution as one batch. Returns false when none waits. */
async function payNext(o: DistributionWorkerOptions): Promise<boolean> {
  const waiting = and(eq(distributionPayout.status, "REQUESTED"), isNull(distributionPayout.batchId));
  const due = or(
    isNull(distributionPayout.revertReason),
    lt(distributionPayout.updatedAt, new Date(Date.now() - (o.owedRetryMs ?? OWED_RETRY_MS))),
  );
  const [first] = await o.db
    .select({ distributionId: distributionPayout.distributionId })
    .from(distributionPayout)
    .innerJoin(distribution, eq(distribution.id, distributionPayout.distributionId))
    .where(and(waiting, due, eq(distribution.status, "PAYING")))
    .orderBy(asc(distribution.createdAt))
    .limit(1);
  if (!first) return false;
  const [d] = await o.db.select().from(distribution).where(eq(distribution.id, first.distributionId));
  const rows = await o.db
    .select({ p: distributionPayout, token: tranche.tokenAddress })
    .from(distributionPayout)
    .innerJoin(tranche, eq(tranche.id, distributionPayout.trancheId))
    .where(and(waiting, due, eq(distributionPayout.distributionId, d!.id)))
    .orderBy(asc(distributionPayout.createdAt), asc(distributionPayout.id))
    .limit(o.batchSize ?? DEFAULT_BATCH_SIZE);
  const items: PayoutItem[] = rows.map(({ p, token }) => ({
    payoutId: settlementId(p.id),
    tranche: token as Address,
    holder: p.holder as Address,
    amount: BigInt(p.amount),
  }));
  const distributor = await ensureDistributorContract(o.chain);
  const args = [settlementId(d!.id), d!.currency as Address, d!.treasury as Address, items] as const;
  const simulated = await simulate(o.chain, distributor, "payBatch", args);
  const ids = rows.map((r) => r.p.id);
  if ("reason" in simulated) {
    // The treasury short of funds or allowance (or a node ahead of us): noted, tried again later, never dropped.
    await o.db.transaction(async (tx) => {
      const noted = await tx
        .update(distributionPayout)
        .set({ revertReason: simulated.reason, updatedAt: new Date() })
        .where(and(inArray(distributionPayout.id, ids), waiting))
        .returning({ id: distributionPayout.id });
      await appendAuditEvents(tx, events("payout.waiting", noted, { revertReason: simulated.reason, onChain: false }));
    });
    o.logger.warn({ distributionId: d!.id, reason: simulated.reason }, "payouts refused by the distributor for now");
    return true;
  }
  const ctx = writeContextOf(o);
  let sent: Awaited<ReturnType<typeof sendWrite>> | undefined;
  try {
    sent = await sendWrite(
      ctx,
      {
        kind: PAY_BATCH_KIND,
        to: distributor,
        data: payBatchData(...args),
        gas: (simulated.gas * 12n) / 10n,
        subject: { distributionId: d!.id },
      },
      async (tx, write) => {
        const moved = await tx
          .update(distributionPayout)
          .set({
            status: "SUBMITTED",
            batchId: write.id,
            txHash: write.hash,
            attempts: sql`${distributionPayout.attempts} + 1`,
            updatedAt: new Date(),
          })
          .where(and(inArray(distributionPayout.id, ids), waiting))
          .returning({ id: distributionPayout.id, holder: distributionPayout.holder, amount: distributionPayout.amount });
        if (moved.length !== ids.length) throw new RowsTakenError();
        await appendAuditEvents(
          tx,
          events("payout.submitted", moved, {
            batchId: write.id,
            nonce: write.nonce,
            txHash: write.hash,
            distributor,
            chainId: o.chain.chainId,
          }),
        );
      },
    );
  } catch (error) {
    if (error instanceof RowsTakenError) return true;
    throw error;
  }
  o.logger.info({ batchId: sent.write.id, nonce: sent.write.nonce, payouts: ids.length }, "distribution payouts broadcast");
  await resumeWrite(ctx, sent.write.id, payBatchOwner, sent);
  return true;
}

/** One round: open writes first (they hold the lower nonces), held payouts released, then announcements and payouts. */
export async function distributionRound(o: DistributionWorkerOptions): Promise<void> {
  await resumeOpenWrites(writeContextOf(o), DISTRIBUTION_WRITE_OWNERS);
  await releaseUnfrozen(o.db);
  for (let i = 0; i < 50; i++) {
    const announced = await announceNext(o);
    const paid = await payNext(o);
    if (!announced && !paid) return;
  }
}

/** Starts the distribution worker on the shared loop (at start, every poll interval, on wake). */
export function startDistributionWorker(options: DistributionWorkerOptions): DistributionWorker {
  const o = { ...options, logger: options.logger.child({ component: "distribution-worker" }) };
  // The triggers on distribution, distribution_payout and frozen_address announce new work on work_ready, naming this worker.
  const loop = startListeningLoop({
    name: "distribution worker",
    logger: o.logger,
    intervalMs: o.pollIntervalMs ?? DEFAULTS.workerPollIntervalMs,
    maxBackoffMs: 10_000,
    run: () => distributionRound(o),
    listen: o.listen,
    wakeOn: { channel: CHANNELS.workReady, matches: (worker) => worker === "distribution" },
  });
  return { wake: () => void loop.wake(), stop: () => loop.stop() };
}
