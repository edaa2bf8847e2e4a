/**
 * The cap table and the webhook inbox. Holdings are derived from applied Transfer events by
 * summing them: addition commutes, so duplicates (stored once), reversed or shuffled
 * deliveries, and removed logs (left out of the sum) all give the same answer.
 */
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { zeroAddress } from "viem";
import type { Logger } from "pino";
import type { Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import type { ServiceContext } from "../context.js";
import { addressSchema } from "../chain/address.js";
import { parseInput } from "../validation.js";
import { ChainUnavailableError } from "../errors.js";
import { tranche } from "../offerings/table.js";
import { chainEvent, indexerState, webhookDelivery } from "./table.js";
import { storeLogs } from "./events.js";
import { logsOfDelivery } from "./webhooks.js";

export type Holding = {
  chainId: number;
  tokenAddress: string;
  holder: string;
  /** Every applied, non-removed Transfer counted (final and pending). */
  balance: bigint;
  /** Only Transfers at least FINALITY_DEPTH blocks deep. */
  finalBalance: bigint;
};

/** What the indexer's parts share: the database, the chain and the finality rule. */
/**
 * Told, after each round, the block through which events are final, so the domain that owns
 * a transaction settles it from them (minting confirms its batches). The indexer itself
 * writes only its own tables.
 */
export type FinalEventsHandler = (db: Database, chainId: number, safeBlock: bigint) => Promise<unknown>;

export type IndexerDeps = {
  db: Database;
  chain: ChainClients;
  finalityDepth: number;
  logger?: Logger;
  onFinalEvents?: readonly FinalEventsHandler[];
};

/** Reports the final block to every handler. */
export async function reportFinalEvents(deps: IndexerDeps, safeBlock: bigint): Promise<void> {
  for (const handle of deps.onFinalEvents ?? []) await handle(deps.db, deps.chain.chainId, safeBlock);
}

/** Rows of `db.execute`, whichever driver answered (PGlite gives `{ rows }`, postgres.js an array). */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/** The highest block whose events count as final, from the chain's head. */
export async function safeBlockNumber(chain: ChainClients, finalityDepth: number): Promise<bigint> {
  let head: bigint;
  try {
    head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  } catch (error) {
    throw new ChainUnavailableError(`cannot read the chain head: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return head - BigInt(finalityDepth);
}

/**
 * Sums Transfer events into balances per (token, holder). `throughBlock` limits the events
 * counted (reconciliation compares at one block); `safeBlock` splits final from pending.
 */
export async function queryHoldings(
  db: Database,
  filter: { chainId: number; tokenAddress?: string; holder?: string; throughBlock?: bigint; safeBlock: bigint },
): Promise<Holding[]> {
  const where = sql.join(
    [
      sql`chain_id = ${filter.chainId}`,
      sql`event_name = 'Transfer'`,
      sql`not removed`,
      filter.tokenAddress ? sql`contract = ${filter.tokenAddress}` : undefined,
      filter.throughBlock !== undefined ? sql`block_number <= ${filter.throughBlock}` : undefined,
      filter.holder ? sql`(to_address = ${filter.holder} or from_address = ${filter.holder})` : undefined,
    ].filter((part) => part !== undefined),
    sql` and `,
  );
  const result = await db.execute(sql`
    select contract, holder, sum(delta)::text as balance,
           coalesce(sum(delta) filter (where block_number <= ${filter.safeBlock}), 0)::text as final_balance
    from (
      select contract, to_address as holder, value as delta, block_number from chain_event where ${where}
      union all
      select contract, from_address as holder, -value as delta, block_number from chain_event where ${where}
    ) moves
    where holder <> ${zeroAddress} ${filter.holder ? sql`and holder = ${filter.holder}` : sql``}
    group by contract, holder
    order by contract, holder`);
  return rowsOf<{ contract: string; holder: string; balance: string; final_balance: string }>(result).map((r) => ({
    chainId: filter.chainId,
    tokenAddress: r.contract,
    holder: r.holder,
    balance: BigInt(r.balance),
    finalBalance: BigInt(r.final_balance),
  }));
}

/** Used when no indexer has announced its finality depth for the chain yet. */
export const DEFAULT_FINALITY_DEPTH = 2;

/** The finality depth the indexer of `chainId` runs with (see `indexer_state`). */
export async function finalityDepthOf(db: Database, chainId: number): Promise<number> {
  const [row] = await db.select({ depth: indexerState.finalityDepth }).from(indexerState).where(eq(indexerState.chainId, chainId));
  return row?.depth ?? DEFAULT_FINALITY_DEPTH;
}

/** Records this process's finality depth for readers that have only the database. */
export async function announceIndexer(db: Database, chainId: number, finalityDepth: number): Promise<void> {
  await db
    .insert(indexerState)
    .values({ chainId, finalityDepth })
    .onConflictDoUpdate({ target: indexerState.chainId, set: { finalityDepth, updatedAt: new Date() } });
}

/**
 * The cap table of one token on the gateway's chain: every holder ever seen, with its
 * balance (final and pending). Holders whose balance went back to zero stay listed.
 * @example const rows = await holdingsOfToken(ctx, "0xToken…");
 */
export async function holdingsOfToken(ctx: ServiceContext, tokenAddress: string): Promise<Holding[]> {
  const token = parseInput(addressSchema, tokenAddress);
  const safeBlock = await safeBlockNumber(ctx.chain, await finalityDepthOf(ctx.db, ctx.chain.chainId));
  return queryHoldings(ctx.db, { chainId: ctx.chain.chainId, tokenAddress: token, safeBlock });
}

/** Every token one wallet holds (or held) on the gateway's chain. */
export async function holdingsOfWallet(ctx: ServiceContext, wallet: string): Promise<Holding[]> {
  const holder = parseInput(addressSchema, wallet);
  const safeBlock = await safeBlockNumber(ctx.chain, await finalityDepthOf(ctx.db, ctx.chain.chainId));
  return queryHoldings(ctx.db, { chainId: ctx.chain.chainId, holder, safeBlock });
}

/** Deployed tranche tokens on this chain (what the poller watches and reconciliation checks). */
export async function deployedTokens(
  db: Database,
  chainId: number,
): Promise<{ address: `0x${string}`; deployTxHash: `0x${string}` | null }[]> {
  const rows = await db
    .select({ address: tranche.tokenAddress, deployTxHash: tranche.deployTxHash })
    .from(tranche)
    .where(and(eq(tranche.chainId, chainId), sql`${tranche.tokenAddress} is not null`))
    .orderBy(asc(tranche.tokenAddress));
  return rows.map((r) => ({ address: r.address as `0x${string}`, deployTxHash: r.deployTxHash as `0x${string}` | null }));
}

/**
 * Applies pending inbox deliveries, oldest first, each in its own transaction claimed with
 * FOR UPDATE SKIP LOCKED (safe with many gateway processes). A delivery that fails stays in
 * the inbox with its error and is tried again on the next call. Returns how many applied.
 */
export async function applyPendingDeliveries(deps: IndexerDeps, limit = 100): Promise<number> {
  let applied = 0;
  for (let i = 0; i < limit; i++) {
    const outcome = await deps.db.transaction(async (tx) => {
      const [delivery] = await tx
        .select()
        .from(webhookDelivery)
        .where(isNull(webhookDelivery.appliedAt))
        // Fewest attempts first: one delivery that keeps failing does not hold up the rest.
        .orderBy(asc(webhookDelivery.attempts), asc(webhookDelivery.id))
        .limit(1)
        .for("update", { skipLocked: true });
      if (!delivery) return "empty" as const;
      try {
        const logs = logsOfDelivery(delivery.format, delivery.payload, deps.chain.chainId);
        await tx.transaction(async (inner) => {
          await storeLogs(inner, logs, "WEBHOOK");
        });
        await tx
          .update(webhookDelivery)
          .set({ appliedAt: new Date(), attempts: sql`${webhookDelivery.attempts} + 1`, lastError: null })
          .where(eq(webhookDelivery.id, delivery.id));
        return "applied" as const;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        deps.logger?.warn({ deliveryId: delivery.id, err: message }, "webhook delivery failed to apply; kept in the inbox");
        await tx
          .update(webhookDelivery)
          .set({ attempts: sql`${webhookDelivery.attempts} + 1`, lastError: message.slice(0, 2000) })
          .where(eq(webhookDelivery.id, delivery.id));
        return "failed" as const;
      }
    });
    if (outcome === "empty") break;
    if (outcome === "applied") applied++;
    else break; // a failing head of the queue waits for the next round instead of spinning
  }
  if (applied > 0) {
    const safe = await safeBlockNumber(deps.chain, deps.finalityDepth);
    await reportFinalEvents(deps, safe);
  }
  return applied;
}

/**
 * Deletes applied deliveries received more than `retentionSeconds` ago. Their keys guard
 * against replays, so the retention must stay well above the 5-minute signature window.
 */
export async function pruneDeliveries(db: Database, retentionSeconds: number): Promise<number> {
  const deleted = await db
    .delete(webhookDelivery)
    .where(
      and(
        sql`${webhookDelivery.appliedAt} is not null`,
        sql`${webhookDelivery.receivedAt} < now() - make_interval(secs => ${Math.max(retentionSeconds, 600)})`,
      ),
    )
    .returning({ id: webhookDelivery.id });
  return deleted.length;
}

/** How many deliveries wait in the inbox (for readiness checks and tests). */
export async function pendingDeliveryCount(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(webhookDelivery).where(isNull(webhookDelivery.appliedAt));
  return row?.n ?? 0;
}

/** Number of stored events (tests compare it before and after refused deliveries). */
export async function eventCount(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(chainEvent);
  return row?.n ?? 0;
}
