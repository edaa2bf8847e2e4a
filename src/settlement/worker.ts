/**
 * The settlement worker: sends recorded subscriptions and redemptions to the DvpSettlement
 * contract, one `subscribeBatch` / `redeemBatch` transaction per tranche and batch, through
 * the chain-write pipeline (src/chain/writes.ts), and settles each row as the batch's owner.
 *
 * Exactly once, without leases:
 * - A batch's chain write (nonce, signed bytes) is committed in the same transaction that moves
 *   its rows REQUESTED → SUBMITTED, and only if every one is still REQUESTED with no batch; a
 *   second worker (this process or another) racing for the same rows rolls back, nonce and all.
 * - A SUBMITTED batch is only ever resumed by hash (re-sent, fee-bumped at the same nonce), and
 *   given up on only on positive evidence that a foreign transaction took the nonce.
 * - Its rows leave SUBMITTED only in the transaction that moves the write out of SUBMITTED by
 *   compare-and-set, whoever finds the outcome first; anyone may resume it, and a worker paused
 *   for a long time that wakes finds the write settled and changes nothing.
 * - A mined batch that reverted moved nothing (a transaction is all or nothing): its rows go back
 *   in line so the next run's simulation singles out the culprit; a row that alone reverts ends
 *   REVERTED with the decoded reason.
 */
import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import type { Logger } from "pino";
import type { Database, Listen, Transaction } from "../db/index.js";
import { CHANNELS } from "../notifications/change-feed.js";
import type { ChainClients } from "../chain/client.js";
import {
  resumeOpenWrites,
  resumeWrite,
  sendWrite,
  writeContextOf,
  type ChainWrite,
  type WriteOutcome,
  type WriteOwner,
} from "../chain/writes.js";
import { ensureSettlementContract, redeemBatchData, subscribeBatchData } from "../chain/settlement.js";
import { startListeningLoop } from "../queue/loop.js";
import { offering, offeringAsset, tranche } from "../offerings/table.js";
import { systemTransition } from "../assets/service.js";
import { evaluateForMint } from "../compliance/service.js";
import { appendAuditEvents, type AuditEventInput } from "../audit/service.js";
import { DEFAULTS } from "../config.js";
import { redemption, settlementBatch, subscription, type SettlementStatus } from "./table.js";
import { recordRefunds, redemptionItem, settlementTerms, simulateSettlement, subscriptionItem } from "./service.js";

export const SUBSCRIBE_BATCH_KIND = "SUBSCRIBE_BATCH";
export const REDEEM_BATCH_KIND = "REDEEM_BATCH";

export type SettlementWorkerOptions = {
  db: Database;
  chain: ChainClients;
  logger: Logger;
  /** Blocks a receipt must have on top of it (1 = mined) before a settlement is CONFIRMED. */
  confirmations: number;
  now?: () => Date;
  /** How often to look for work when not woken. */
  pollIntervalMs?: number;
  /**
   * LISTEN on the database, to wake on every new (or re-queued) subscription and redemption
   * whichever process wrote it (a worker of its own, `npm run worker`). Without it the worker
   * relies on `wake()` (the API in the same process calls it) and on the poll.
   */
  listen?: Listen;
  /** Most subscriptions (or redemptions) in one transaction. */
  batchSize?: number;
  stuckAfterMs?: number;
  receiptPollMs?: number;
  /** How long one round waits for a batch's outcome before leaving it to the next (default 30 s). */
  waitMs?: number;
  /** How long a refund or maturity redemption the chain refused waits before it is tried again (default 30 s). */
  owedRetryMs?: number;
};

export type SettlementWorker = { wake(): void; stop(): Promise<void> };

/** A permit must outlive the send by this much, or the subscription fails unsent (PERMIT_EXPIRED) instead of risking a revert. */
const PERMIT_MARGIN_SECONDS = 60n;
/** A row whose batch reverted on chain this often is settled REVERTED instead of being put back in line. */
const MAX_REVERTED_BATCHES = 3;
/** How long a refund or maturity redemption the chain refused waits before it is tried again (the treasury may be funded by then). */
const OWED_RETRY_MS = 30_000;

/** Refunds and maturity redemptions are owed by the issuer: a refusal (an unfunded treasury) leaves them waiting, never REVERTED. */
function isOwed(row: { kind?: string }): boolean {
  return row.kind === "REFUND" || row.kind === "MATURITY";
}

type Row = typeof subscription | typeof redemption;
type Entity = "Subscription" | "Redemption";

function events(entity: Entity, action: string, rows: { id: string }[], payload: Record<string, unknown>): AuditEventInput[] {
  return rows.map((r) => ({ actor: "SYSTEM", action, entityType: entity, entityId: r.id, payload: { ...r, ...payload } }));
}

/** What a batch's owner does for its rows, shared by subscriptions and redemptions. */
async function settleRows(
  tx: Transaction,
  table: Row,
  entity: Entity,
  prefix: "subscription" | "redemption",
  write: ChainWrite,
  outcome: WriteOutcome,
): Promise<{ id: string; offeringId: string; trancheId: string }[]> {
  const returning = { id: table.id, offeringId: table.offeringId, trancheId: table.trancheId, amount: table.amount };
  const inBatch = and(eq(table.batchId, write.id), eq(table.status, "SUBMITTED"));
  if (outcome.status === "DROPPED") {
    const requeued = await tx
      .update(table)
      .set({ status: "REQUESTED", batchId: null, txHash: null, updatedAt: new Date() })
      .where(inBatch)
      .returning(returning);
    await appendAuditEvents(
      tx,
      events(entity, `${prefix}.requeued`, requeued, { batchId: write.id, nonce: write.nonce, nonceTakenBy: outcome.taker.hash }),
    );
    return [];
  }
  const mined = { txHash: outcome.receipt.transactionHash, blockNumber: outcome.receipt.blockNumber, updatedAt: new Date() };
  const facts = { batchId: write.id, nonce: write.nonce, txHash: mined.txHash, blockNumber: mined.blockNumber, chainId: write.chainId };
  if (outcome.status === "REVERTED") {
    // Nothing of a reverted transaction happened: rows that may be innocent go back in line, to be
    // simulated one by one; a row alone in its batch, or back too often, is what reverted.
    // What the issuer owes (a refund, a maturity redemption) is never given up on: it waits for the treasury.
    const rows: { id: string; attempts: number; kind?: string }[] =
      table === redemption
        ? await tx.select({ id: redemption.id, attempts: redemption.attempts, kind: redemption.kind }).from(redemption).where(inBatch)
        : await tx.select({ id: table.id, attempts: table.attempts }).from(table).where(inBatch);
    const alone = rows.length === 1;
    const again = rows.filter((r) => isOwed(r) || (!alone && r.attempts < MAX_REVERTED_BATCHES)).map((r) => r.id);
    const requeued =
      again.length > 0
        ? await tx
            .update(table)
            .set({ status: "REQUESTED", batchId: null, txHash: null, revertReason: outcome.reason, updatedAt: new Date() })
            .where(and(inBatch, inArray(table.id, again)))
            .returning(returning)
        : [];
    const reverted = await tx
      .update(table)
      .set({
        ...mined,
        status: "REVERTED",
        revertReason: outcome.reason,
        errorCode: "REVERTED",
        errorMessage: `transaction ${mined.txHash} reverted on chain: ${outcome.reason}`,
      })
      .where(inBatch)
      .returning(returning);
    await appendAuditEvents(tx, [
      ...events(entity, `${prefix}.requeued`, requeued, { ...facts, revertReason: outcome.reason }),
      ...events(entity, `${prefix}.reverted`, reverted, { ...facts, revertReason: outcome.reason, onChain: true }),
    ]);
    return [];
  }
  const confirmed = await tx
    .update(table)
    .set({ ...mined, status: "CONFIRMED", errorCode: null, errorMessage: null, revertReason: null })
    .where(inBatch)
    .returning(returning);
  await appendAuditEvents(tx, events(entity, `${prefix}.confirmed`, confirmed, facts));
  return confirmed;
}

/**
 * Subscriptions' settlement of their batches: paid and minted (CONFIRMED), or back in line.
 * A batch confirmed after its offering was cancelled is refunded at once (the refunds are
 * recorded in this same transaction, so none is lost and none doubled).
 */
export const subscriptionBatchOwner: WriteOwner = {
  async settle(tx, write, outcome) {
    const confirmed = await settleRows(tx, subscription, "Subscription", "subscription", write, outcome);
    if (confirmed.length === 0) return;
    const offeringId = confirmed[0]!.offeringId;
    // FOR SHARE orders this against cancelOffering's FOR UPDATE: either the cancel commits first
    // (and is read here), or it waits and then sees these subscriptions CONFIRMED.
    const [[o], assets] = await Promise.all([
      tx.select({ status: offering.status }).from(offering).where(eq(offering.id, offeringId)).for("share"),
      tx.select({ id: offeringAsset.assetId }).from(offeringAsset).where(eq(offeringAsset.offeringId, offeringId)),
    ]);
    await systemTransition(
      tx,
      assets.map((a) => a.id),
      "TOKENIZED",
      new Date(),
    );
    if (o?.status === "CANCELLED") {
      await recordRefunds(
        tx,
        offeringId,
        confirmed.map((s) => s.id),
      );
    }
  },
};

/** Redemptions' settlement of their batches; the offering is REDEEMED once every maturity redemption is confirmed. */
export const redemptionBatchOwner: WriteOwner = {
  async settle(tx, write, outcome) {
    const confirmed = await settleRows(tx, redemption, "Redemption", "redemption", write, outcome);
    if (confirmed.length === 0) return;
    const offeringId = confirmed[0]!.offeringId;
    // The offering's lock serializes the last check: two tranches' batches settling at once cannot both miss the other's.
    const [o] = await tx.select().from(offering).where(eq(offering.id, offeringId)).for("update");
    if (o?.status !== "MATURED" || !o.redemptionPlannedAt) return;
    const [left] = await tx
      .select({ open: sql<number>`count(*)::int` })
      .from(redemption)
      .where(and(eq(redemption.offeringId, offeringId), eq(redemption.kind, "MATURITY"), sql`${redemption.status} <> 'CONFIRMED'`));
    if (left!.open > 0) return;
    const [{ shortfall }] = (await tx
      .select({ shortfall: sql<string>`coalesce(sum(${redemption.shortfall}), 0)::text` })
      .from(redemption)
      .where(and(eq(redemption.offeringId, offeringId), eq(redemption.kind, "MATURITY")))) as [{ shortfall: string }];
    await tx
      .update(offering)
      .set({ status: "REDEEMED" })
      .where(and(eq(offering.id, offeringId), eq(offering.status, "MATURED")));
    await appendAuditEvents(tx, [
      {
        actor: "SYSTEM",
        action: "offering.redeemed",
        entityType: "Offering",
        entityId: offeringId,
        payload: { from: "MATURED", to: "REDEEMED", shortfall },
      },
    ]);
  },
};

export const SETTLEMENT_WRITE_OWNERS: Record<string, WriteOwner> = {
  [SUBSCRIBE_BATCH_KIND]: subscriptionBatchOwner,
  [REDEEM_BATCH_KIND]: redemptionBatchOwner,
};

/** Rows of a batch another worker sent first: the write rolls back, and this run moves on. */
class RowsTakenError extends Error {}

/** Settles rows that never left the gateway: FAILED (a rule no longer holds) or REVERTED (the simulation refused them). */
async function settleUnsent(
  db: Database,
  table: Row,
  entity: Entity,
  prefix: string,
  ids: string[],
  status: SettlementStatus,
  fields: { errorCode: string; errorMessage: string; revertReason?: string },
) {
  if (ids.length === 0) return;
  await db.transaction(async (tx) => {
    const settled = await tx
      .update(table)
      .set({ status, ...fields, updatedAt: new Date() })
      .where(and(inArray(table.id, ids), eq(table.status, "REQUESTED"), isNull(table.batchId)))
      .returning({ id: table.id, trancheId: table.trancheId });
    await appendAuditEvents(
      tx,
      events(entity, `${prefix}.${status === "FAILED" ? "failed" : "reverted"}`, settled, { ...fields, onChain: false }),
    );
  });
}

/** An owed row the chain refuses (the treasury short of funds or allowance): noted, left REQUESTED, tried again after OWED_RETRY_MS. */
async function noteRefusal(db: Database, table: Row, entity: Entity, prefix: string, id: string, reason: string) {
  await db.transaction(async (tx) => {
    const noted = await tx
      .update(table)
      .set({
        revertReason: reason,
        errorMessage: `the settlement contract refuses it for now: ${reason}; tried again every ${OWED_RETRY_MS / 1000} s`,
        updatedAt: new Date(),
      })
      .where(and(eq(table.id, id), eq(table.status, "REQUESTED"), isNull(table.batchId)))
      .returning({ id: table.id, trancheId: table.trancheId });
    await appendAuditEvents(tx, events(entity, `${prefix}.waiting`, noted, { revertReason: reason, onChain: false }));
  });
}

/** Resumes every open settlement batch of this signer (after a crash, or a wait that ran out), oldest nonce first. */
type Plan<R> = {
  table: Row;
  entity: Entity;
  prefix: "subscription" | "redemption";
  kind: string;
  batchKind: "SUBSCRIBE" | "REDEEM";
  functionName: "subscribeBatch" | "redeemBatch";
  /** Rows that may no longer be sent, settled FAILED before the batch is simulated. */
  screen(rows: R[], o: typeof offering.$inferSelect, now: Date): Promise<R[]>;
  items(rows: R[]): unknown[];
  data(token: Address, currency: Address, treasury: Address, rows: R[]): Hex;
};

/**
 * Sends the oldest waiting rows of one tranche as one batch and drives it to an outcome.
 * Returns false when nothing was waiting.
 */
async function sendNext<R extends { id: string; trancheId: string; attempts: number }>(
  o: SettlementWorkerOptions,
  plan: Plan<R>,
): Promise<boolean> {
  const { db, chain } = o;
  const { table } = plan;
  const waiting = and(eq(table.status, "REQUESTED"), isNull(table.batchId));
  // An owed row the chain refused a moment ago waits a while before it is tried again.
  const due = or(isNull(table.revertReason), lt(table.updatedAt, new Date(Date.now() - (o.owedRetryMs ?? OWED_RETRY_MS))));
  const [first] = await db
    .select({ trancheId: table.trancheId })
    .from(table)
    .where(and(waiting, due))
    .orderBy(asc(table.createdAt))
    .limit(1);
  if (!first) return false;
  const [[row], rows] = await Promise.all([
    db
      .select({ tranche, offering })
      .from(tranche)
      .innerJoin(offering, eq(offering.id, tranche.offeringId))
      .where(eq(tranche.id, first.trancheId)),
    db
      .select()
      .from(table)
      .where(and(waiting, due, eq(table.trancheId, first.trancheId)))
      .orderBy(asc(table.createdAt))
      .limit(o.batchSize ?? DEFAULTS.mintBatchSize) as unknown as Promise<R[]>,
  ]);
  const { tranche: t, offering: off } = row!;
  const now = (o.now ?? (() => new Date()))();
  let candidates = await plan.screen(rows, off, now);
  if (candidates.length === 0) return true;
  const { currency, treasury } = settlementTerms(off);
  const token = t.tokenAddress as Address;
  const settlement = await ensureSettlementContract(chain);
  const simulate = (batch: R[]) =>
    simulateSettlement(chain, settlement, { functionName: plan.functionName, args: [token, currency, treasury, plan.items(batch)] });
  let simulated = await simulate(candidates);
  if ("reason" in simulated) {
    // One refused item reverts the whole batch: find the culprits one by one, settle them, send the rest.
    const passing: R[] = [];
    for (const r of candidates) {
      const alone = await simulate([r]);
      if ("gas" in alone) {
        passing.push(r);
        continue;
      }
      if (isOwed(r as { kind?: string })) {
        await noteRefusal(db, table, plan.entity, plan.prefix, r.id, alone.reason);
        continue;
      }
      await settleUnsent(db, table, plan.entity, plan.prefix, [r.id], "REVERTED", {
        errorCode: "REVERTED",
        errorMessage: `the settlement contract refused it: ${alone.reason}`,
        revertReason: alone.reason,
      });
    }
    candidates = passing;
    if (candidates.length === 0) return true;
    simulated = await simulate(candidates);
    if ("reason" in simulated) throw new Error(`the batch still reverts without its culprits: ${simulated.reason}`);
  }
  const ids = candidates.map((r) => r.id);
  const ctx = writeContextOf(o);
  let sent;
  try {
    sent = await sendWrite(
      ctx,
      // A little headroom: the state the estimate ran on may move before the batch is mined (a permit used, a balance topped up).
      {
        kind: plan.kind,
        to: settlement,
        data: plan.data(token, currency, treasury, candidates),
        gas: (simulated.gas * 12n) / 10n,
        subject: { trancheId: t.id },
      },
      async (tx, write) => {
        const [, moved] = await Promise.all([
          tx.insert(settlementBatch).values({ id: write.id, kind: plan.batchKind, trancheId: t.id }),
          tx
            .update(table)
            .set({
              status: "SUBMITTED",
              batchId: write.id,
              txHash: write.hash,
              attempts: sql`${table.attempts} + 1`,
              updatedAt: new Date(),
            })
            .where(and(inArray(table.id, ids), waiting))
            .returning({ id: table.id, trancheId: table.trancheId, amount: table.amount }),
        ]);
        if (moved.length !== ids.length) throw new RowsTakenError();
        await appendAuditEvents(
          tx,
          events(plan.entity, `${plan.prefix}.submitted`, moved, {
            batchId: write.id,
            nonce: write.nonce,
            txHash: write.hash,
            settlementContract: settlement,
            chainId: chain.chainId,
          }),
        );
      },
    );
  } catch (error) {
    if (error instanceof RowsTakenError) return true;
    throw error;
  }
  o.logger.info({ batchId: sent.write.id, kind: plan.kind, nonce: sent.write.nonce, rows: ids.length }, "settlement transaction broadcast");
  await resumeWrite(ctx, sent.write.id, SETTLEMENT_WRITE_OWNERS[plan.kind]!, sent);
  return true;
}

type SubscriptionRow = typeof subscription.$inferSelect;
type RedemptionRow = typeof redemption.$inferSelect;

function subscriptionPlan(o: SettlementWorkerOptions): Plan<SubscriptionRow> {
  return {
    table: subscription,
    entity: "Subscription",
    prefix: "subscription",
    kind: SUBSCRIBE_BATCH_KIND,
    batchKind: "SUBSCRIBE",
    functionName: "subscribeBatch",
    async screen(rows, off, now) {
      if (off.status === "CANCELLED") {
        await settleUnsent(
          o.db,
          subscription,
          "Subscription",
          "subscription",
          rows.map((r) => r.id),
          "FAILED",
          {
            errorCode: "OFFERING_CANCELLED",
            errorMessage: `offering ${off.id} was cancelled before the subscription was sent; nothing was paid`,
          },
        );
        return [];
      }
      const passing: SubscriptionRow[] = [];
      const nowSeconds = BigInt(Math.floor(now.getTime() / 1000));
      for (const r of rows) {
        if (r.permit && BigInt(r.permit.deadline) < nowSeconds + PERMIT_MARGIN_SECONDS) {
          await settleUnsent(o.db, subscription, "Subscription", "subscription", [r.id], "FAILED", {
            errorCode: "PERMIT_EXPIRED",
            errorMessage: `the permit's deadline (${r.permit.deadline}) passed before it could be relayed; sign a new one`,
          });
          continue;
        }
        const report = await evaluateForMint(o.db, { trancheId: r.trancheId, investorId: r.investorId }, now);
        if (!report.holds) {
          await settleUnsent(o.db, subscription, "Subscription", "subscription", [r.id], "FAILED", {
            errorCode: "COMPLIANCE_NOT_SATISFIED",
            errorMessage: `compliance no longer holds at send time: ${[...new Set(report.unmet.map((u) => u.code))].join(", ")}`,
          });
          continue;
        }
        passing.push(r);
      }
      return passing;
    },
    items: (rows) => rows.map(subscriptionItem),
    data: (token, currency, treasury, rows) => subscribeBatchData(token, currency, treasury, rows.map(subscriptionItem)),
  };
}

function redemptionPlan(): Plan<RedemptionRow> {
  return {
    table: redemption,
    entity: "Redemption",
    prefix: "redemption",
    kind: REDEEM_BATCH_KIND,
    batchKind: "REDEEM",
    functionName: "redeemBatch",
    screen: async (rows) => rows,
    items: (rows) => rows.map(redemptionItem),
    data: (token, currency, treasury, rows) => redeemBatchData(token, currency, treasury, rows.map(redemptionItem)),
  };
}

/** One round: open batches first (they hold the lower nonces), then waiting subscriptions and redemptions, a batch at a time. */
export async function settlementRound(o: SettlementWorkerOptions): Promise<void> {
  await resumeOpenWrites(writeContextOf(o), SETTLEMENT_WRITE_OWNERS);
  const subscriptions = subscriptionPlan(o);
  const redemptions = redemptionPlan();
  for (let i = 0; i < 50; i++) {
    const didSubscriptions = await sendNext(o, subscriptions);
    const didRedemptions = await sendNext(o, redemptions);
    if (!didSubscriptions && !didRedemptions) return;
  }
}

/**
 * Starts the settlement worker in this process, on the shared loop (at start, every poll
 * interval, on wake; backing off while the database or chain fails it).
 * @example const worker = startSettlementWorker({ db, chain, logger, confirmations: 1 }); worker.wake();
 */
export function startSettlementWorker(options: SettlementWorkerOptions): SettlementWorker {
  const o = { ...options, logger: options.logger.child({ component: "settlement-worker" }) };
  // The triggers on subscription and redemption announce new work on work_ready, naming this worker.
  const loop = startListeningLoop({
    name: "settlement worker",
    logger: o.logger,
    intervalMs: o.pollIntervalMs ?? DEFAULTS.workerPollIntervalMs,
    maxBackoffMs: 10_000,
    run: () => settlementRound(o),
    listen: o.listen,
    wakeOn: { channel: CHANNELS.workReady, matches: (worker) => worker === "settlement" },
  });
  return { wake: () => void loop.wake(), stop: () => loop.stop() };
}
