/**
 * The built-in poller: `eth_getLogs` over bounded block ranges for every deployed tranche
 * token, from a stored per-token cursor, feeding the same event store as the webhooks.
 * Reorgs: each round compares the hash of the highest block it stored with the chain's; on
 * a mismatch it walks down its stored hashes to the highest block both agree on, marks every
 * event above it removed, moves the cursors back and scans again (in the spirit of Ponder's
 * sync-realtime: keep unfinalized blocks, revert what lies past the common ancestor).
 */
import { and, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
import type { Hex } from "viem";
import { reportFinalEvents, type IndexerDeps } from "./service.js";
import { deployedTokens } from "./service.js";
import { removeEventsAbove, storeLogs, type RawLog } from "./events.js";
import { chainReorg, indexedBlock, indexerCursor } from "./table.js";

/** Stored hashes older than this many blocks below the head are pruned. */
const HASH_WINDOW = 1024n;
/** How many stored hashes a reorg search walks before giving up and rescanning from the oldest. */
const REORG_SEARCH_LIMIT = 256;

export type PollResult = {
  head: bigint;
  /** The highest block scanned this round, if any range was scanned. */
  scannedTo?: bigint;
  logs: number;
  reorg?: { commonAncestor: bigint; detectedAtBlock: bigint; removedEvents: number };
};

async function blockHash(deps: IndexerDeps, number: bigint): Promise<Hex | undefined> {
  try {
    const block = await deps.chain.publicClient.getBlock({ blockNumber: number });
    return block.hash ?? undefined;
  } catch {
    return undefined; // beyond the head after a reorg to a shorter chain
  }
}

/** Creates cursors for tokens seen for the first time, starting at their deployment block. */
async function ensureCursors(deps: IndexerDeps, tokens: { address: `0x${string}`; deployTxHash: `0x${string}` | null }[]) {
  const { db, chain } = deps;
  const existing = await db
    .select({ contract: indexerCursor.contract })
    .from(indexerCursor)
    .where(eq(indexerCursor.chainId, chain.chainId));
  const known = new Set(existing.map((e) => e.contract));
  for (const token of tokens) {
    if (known.has(token.address)) continue;
    let start = 0n;
    if (token.deployTxHash) {
      const receipt = await chain.publicClient.getTransactionReceipt({ hash: token.deployTxHash }).catch(() => undefined);
      if (receipt) start = receipt.blockNumber;
    }
    await db.insert(indexerCursor).values({ chainId: chain.chainId, contract: token.address, nextBlock: start }).onConflictDoNothing();
  }
}

/** Compares stored hashes with the chain's, newest first; on a mismatch rolls back to the common ancestor. */
async function detectReorg(deps: IndexerDeps, head: bigint): Promise<PollResult["reorg"]> {
  const { db, chain } = deps;
  const stored = await db
    .select()
    .from(indexedBlock)
    .where(eq(indexedBlock.chainId, chain.chainId))
    .orderBy(desc(indexedBlock.number))
    .limit(REORG_SEARCH_LIMIT);
  if (stored.length === 0) return undefined;
  let ancestor: bigint | undefined;
  for (const block of stored) {
    const current = block.number <= head ? await blockHash(deps, block.number) : undefined;
    if (current && current.toLowerCase() === block.hash) {
      ancestor = block.number;
      break;
    }
  }
  if (ancestor === stored[0]!.number) return undefined;
  // No stored block survived: rescan from just below the oldest one we know.
  const commonAncestor = ancestor ?? stored[stored.length - 1]!.number - 1n;
  const detectedAtBlock = stored[0]!.number;
  const removedEvents = await db.transaction(async (tx) => {
    const removed = await removeEventsAbove(tx, chain.chainId, commonAncestor);
    await tx.delete(indexedBlock).where(and(eq(indexedBlock.chainId, chain.chainId), gt(indexedBlock.number, commonAncestor)));
    await tx
      .update(indexerCursor)
      .set({ nextBlock: sql`least(${indexerCursor.nextBlock}, ${commonAncestor + 1n})`, updatedAt: new Date() })
      .where(eq(indexerCursor.chainId, chain.chainId));
    await tx.insert(chainReorg).values({ chainId: chain.chainId, commonAncestor, detectedAtBlock, removedEvents: removed });
    return removed;
  });
  deps.logger?.warn({ chainId: chain.chainId, commonAncestor, detectedAtBlock, removedEvents }, "chain reorganization detected");
  return { commonAncestor, detectedAtBlock, removedEvents };
}

/**
 * One round: reorg check, then one bounded range of logs for every token whose cursor is in
 * it, then mint confirmations for what became final. Call it in a loop (`startIndexer` does).
 * @example const result = await pollOnce({ db, chain, finalityDepth: 2 }, { blockRange: 1000 });
 */
export async function pollOnce(deps: IndexerDeps, options: { blockRange: number }): Promise<PollResult> {
  const { db, chain } = deps;
  const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const tokens = await deployedTokens(db, chain.chainId);
  if (tokens.length === 0) return { head, logs: 0 };
  await ensureCursors(deps, tokens);
  const reorg = await detectReorg(deps, head);

  const cursors = await db
    .select()
    .from(indexerCursor)
    .where(
      and(
        eq(indexerCursor.chainId, chain.chainId),
        inArray(
          indexerCursor.contract,
          tokens.map((t) => t.address),
        ),
      ),
    );
  const from = cursors.reduce((min, c) => (c.nextBlock < min ? c.nextBlock : min), head + 1n);
  if (from > head) return { head, logs: 0, reorg };
  const to = from + BigInt(options.blockRange) - 1n < head ? from + BigInt(options.blockRange) - 1n : head;
  const scanned = cursors.filter((c) => c.nextBlock <= to).map((c) => c.contract as `0x${string}`);

  // The hash of `to` before and after getLogs brackets the read: if it moved, a reorg raced
  // us and this round's logs may mix two forks, so drop them and let the next round decide.
  const toHashBefore = await blockHash(deps, to);
  const logs = await chain.publicClient.getLogs({ address: scanned, fromBlock: from, toBlock: to });
  const toHashAfter = await blockHash(deps, to);
  if (!toHashBefore || toHashBefore !== toHashAfter) return { head, logs: 0, reorg };

  const raw: RawLog[] = logs
    .filter((l) => l.blockHash && l.transactionHash && l.logIndex !== null && l.blockNumber !== null)
    .map((l) => ({
      chainId: chain.chainId,
      address: l.address,
      topics: l.topics,
      data: l.data,
      blockNumber: l.blockNumber!,
      blockHash: l.blockHash!,
      transactionHash: l.transactionHash!,
      logIndex: l.logIndex!,
      removed: false,
    }));
  const hashes = new Map<bigint, string>([[to, toHashBefore.toLowerCase()]]);
  for (const l of raw) hashes.set(l.blockNumber, l.blockHash.toLowerCase());

  const stored = await db.transaction(async (tx) => {
    const n = await storeLogs(tx, raw, "POLLER");
    await tx
      .insert(indexedBlock)
      .values([...hashes].map(([number, hash]) => ({ chainId: chain.chainId, number, hash })))
      .onConflictDoUpdate({ target: [indexedBlock.chainId, indexedBlock.number], set: { hash: sql`excluded.hash` } });
    await tx
      .update(indexerCursor)
      .set({ nextBlock: to + 1n, updatedAt: new Date() })
      .where(
        and(eq(indexerCursor.chainId, chain.chainId), inArray(indexerCursor.contract, scanned), sql`${indexerCursor.nextBlock} <= ${to}`),
      );
    await tx.delete(indexedBlock).where(and(eq(indexedBlock.chainId, chain.chainId), lt(indexedBlock.number, head - HASH_WINDOW)));
    return n;
  });
  await reportFinalEvents(deps, head - BigInt(deps.finalityDepth));
  return { head, scannedTo: to, logs: stored, reorg };
}
