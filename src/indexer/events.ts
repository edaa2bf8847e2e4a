/**
 * The event store: decodes raw logs of our token ABI and upserts them keyed by
 * (chain, block hash, tx hash, log index). Webhooks and the poller both feed `storeLogs`,
 * so the two sources share one pipeline and deduplicate against each other.
 */
import { and, eq, gt, sql } from "drizzle-orm";
import { decodeEventLog, getAddress, type Hex } from "viem";
import type { Database, Transaction } from "../db/index.js";
import { DataAssetTokenAbi } from "../chain/token.js";
import { chainEvent, type EventSource } from "./table.js";

/** A log as eth_getLogs returns it, with quantities already read as numbers. */
export type RawLog = {
  chainId: number;
  address: string;
  topics: readonly Hex[];
  data: Hex;
  blockNumber: bigint;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: number;
  removed: boolean;
};

type EventRow = typeof chainEvent.$inferInsert;

/** JSON-safe args: bigints as decimal strings, addresses checksummed. */
function plainArgs(args: Record<string, unknown>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === "bigint") out[key] = value.toString();
    else if (typeof value === "boolean") out[key] = value;
    else if (typeof value === "string" && /^0x[0-9a-fA-F]{40}$/.test(value)) out[key] = getAddress(value);
    else out[key] = String(value);
  }
  return out;
}

/** Decodes one log with the token ABI; logs of other shapes are not ours and yield undefined. */
export function toEventRow(log: RawLog, source: EventSource): EventRow | undefined {
  let decoded;
  try {
    decoded = decodeEventLog({ abi: DataAssetTokenAbi, topics: log.topics as [Hex, ...Hex[]], data: log.data, strict: true });
  } catch {
    return undefined;
  }
  const args = plainArgs((decoded.args ?? {}) as Record<string, unknown>);
  const isTransfer = decoded.eventName === "Transfer";
  return {
    chainId: log.chainId,
    blockHash: log.blockHash.toLowerCase(),
    txHash: log.transactionHash.toLowerCase(),
    logIndex: log.logIndex,
    blockNumber: log.blockNumber,
    contract: getAddress(log.address),
    eventName: decoded.eventName,
    args,
    fromAddress: isTransfer ? (args.from as string) : null,
    toAddress: isTransfer ? (args.to as string) : null,
    value: isTransfer ? (args.value as string) : null,
    removed: log.removed,
    source,
  };
}

/**
 * Upserts logs into the event store. A duplicate is a no-op. From a webhook, `removed` is
 * sticky: a late copy of the original delivery never revives a log reported removed. The
 * poller reads the canonical chain, so what it reports wins both ways.
 * Returns how many logs decoded as ours.
 */
export async function storeLogs(db: Database | Transaction, logs: readonly RawLog[], source: EventSource): Promise<number> {
  const rows = logs.map((l) => toEventRow(l, source)).filter((r): r is EventRow => r !== undefined);
  // One statement cannot touch the same key twice (ON CONFLICT), so fold duplicates first.
  const byKey = new Map<string, EventRow>();
  for (const row of rows) {
    const key = `${row.chainId}:${row.blockHash}:${row.txHash}:${row.logIndex}`;
    const seen = byKey.get(key);
    byKey.set(key, seen && (source === "WEBHOOK" ? seen.removed : false) ? seen : row);
  }
  const unique = [...byKey.values()];
  for (let i = 0; i < unique.length; i += 500) {
    await db
      .insert(chainEvent)
      .values(unique.slice(i, i + 500))
      .onConflictDoUpdate({
        target: [chainEvent.chainId, chainEvent.blockHash, chainEvent.txHash, chainEvent.logIndex],
        set: {
          removed: source === "POLLER" ? sql`excluded.removed` : sql`${chainEvent.removed} or excluded.removed`,
        },
      });
  }
  return unique.length;
}

/** Marks every event above `ancestor` on `chainId` removed (a reorg); returns how many changed. */
export async function removeEventsAbove(db: Database | Transaction, chainId: number, ancestor: bigint): Promise<number> {
  const changed = await db
    .update(chainEvent)
    .set({ removed: true })
    .where(and(eq(chainEvent.chainId, chainId), gt(chainEvent.blockNumber, ancestor), eq(chainEvent.removed, false)))
    .returning({ txHash: chainEvent.txHash });
  return changed.length;
}
