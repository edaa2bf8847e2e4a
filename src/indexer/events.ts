/**
 * The event store: decodes raw logs of our token ABI and upserts them keyed by
 * (chain, block hash, tx hash, log index). Webhooks and the poller both feed `storeLogs`,
 * so the two sources share one pipeline and deduplicate against each other.
 */
import { and, eq, gt, inArray, sql } from "drizzle-orm";
import { decodeEventLog, getAddress, zeroAddress, type Hex } from "viem";
import type { Database, Transaction } from "../db/index.js";
import { DataAssetTokenAbi } from "../chain/token.js";
import { mintBatch, mintRequest } from "../minting/table.js";
import { offeringAsset, tranche } from "../offerings/table.js";
import { systemTransition } from "../assets/service.js";
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

/**
 * Moves mint requests to CONFIRMED from the chain's own Transfer-from-zero logs of their
 * tranche token, once those logs are final (at or below `safeBlock`). Only REQUESTED or
 * SUBMITTED requests move, so whichever of this and the worker's receipt comes first wins
 * and the other changes nothing. A batch transaction settles every request it carries, and
 * its batch too: a worker that comes later finds the batch settled, and a batch whose requests
 * were all confirmed here is never left SUBMITTED. Returns the ids confirmed here.
 */
export async function confirmMintsFromEvents(db: Database, chainId: number, safeBlock: bigint): Promise<string[]> {
  if (safeBlock < 0n) return [];
  return db.transaction(async (tx) => {
    const candidates = await tx
      .selectDistinct({ id: mintRequest.id, blockNumber: chainEvent.blockNumber })
      .from(mintRequest)
      .innerJoin(tranche, eq(tranche.id, mintRequest.trancheId))
      .innerJoin(
        chainEvent,
        and(
          eq(chainEvent.txHash, mintRequest.txHash),
          eq(chainEvent.contract, tranche.tokenAddress),
          eq(chainEvent.chainId, tranche.chainId),
        ),
      )
      .where(
        and(
          eq(chainEvent.chainId, chainId),
          inArray(mintRequest.status, ["REQUESTED", "SUBMITTED"]),
          eq(chainEvent.eventName, "Transfer"),
          eq(chainEvent.fromAddress, zeroAddress),
          eq(chainEvent.removed, false),
          sql`${chainEvent.blockNumber} <= ${safeBlock}`,
        ),
      );
    const confirmed: string[] = [];
    const batches = new Map<string, { txHash: string; blockNumber: bigint }>();
    for (const c of candidates) {
      const [row] = await tx
        .update(mintRequest)
        .set({ status: "CONFIRMED", blockNumber: c.blockNumber, errorCode: null, errorMessage: null, updatedAt: new Date() })
        .where(and(eq(mintRequest.id, c.id), inArray(mintRequest.status, ["REQUESTED", "SUBMITTED"])))
        .returning({ id: mintRequest.id, trancheId: mintRequest.trancheId, batchId: mintRequest.batchId, txHash: mintRequest.txHash });
      if (!row) continue;
      confirmed.push(row.id);
      if (row.batchId && row.txHash) batches.set(row.batchId, { txHash: row.txHash, blockNumber: c.blockNumber });
      // As the worker does on a receipt: the first confirmed mint tokenizes the offering's assets.
      const assets = await tx
        .select({ id: offeringAsset.assetId })
        .from(tranche)
        .innerJoin(offeringAsset, eq(offeringAsset.offeringId, tranche.offeringId))
        .where(eq(tranche.id, row.trancheId));
      await systemTransition(tx, assets.map((a) => a.id), "TOKENIZED", new Date());
    }
    for (const [batchId, mined] of batches) {
      await tx
        .update(mintBatch)
        .set({ status: "CONFIRMED", minedTxHash: mined.txHash, blockNumber: mined.blockNumber, updatedAt: new Date() })
        .where(and(eq(mintBatch.id, batchId), eq(mintBatch.status, "SUBMITTED")));
    }
    return confirmed;
  });
}
