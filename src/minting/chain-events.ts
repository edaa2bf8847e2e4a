/**
 * Mint settlement from the chain's own events, the second road to CONFIRMED beside the
 * worker's receipt (a webhook or the poller may see the mint first). The indexer reports
 * that events became final; minting decides what they settle, through the same pipeline
 * settlement (compare-and-set on the write, then `mintBatchOwner`) the worker uses, so
 * whichever comes first wins and the other changes nothing.
 */
import { and, eq, sql } from "drizzle-orm";
import { zeroAddress, type Hex } from "viem";
import type { Database } from "../db/index.js";
import { chainTx, chainWrite } from "../chain/table.js";
import { chainEvent } from "../indexer/table.js";
import { mintBatch } from "./table.js";
import { mintBatchOwner } from "./worker.js";

/**
 * Confirms SUBMITTED mint batches whose transaction (any recorded version: a replacement or
 * the original, whichever was mined) emitted a final Transfer-from-zero of their tranche
 * token, naming the mined hash. Returns the ids of the batches confirmed here.
 */
export async function confirmMintsFromEvents(db: Database, chainId: number, safeBlock: bigint): Promise<string[]> {
  if (safeBlock < 0n) return [];
  const mined = await db
    .selectDistinct({ writeId: chainWrite.id, txHash: chainEvent.txHash, blockNumber: chainEvent.blockNumber })
    .from(chainWrite)
    .innerJoin(mintBatch, eq(mintBatch.id, chainWrite.id))
    .innerJoin(chainTx, eq(chainTx.writeId, chainWrite.id))
    .innerJoin(
      chainEvent,
      and(eq(chainEvent.txHash, chainTx.hash), eq(chainEvent.contract, mintBatch.tokenAddress), eq(chainEvent.chainId, chainWrite.chainId)),
    )
    .where(
      and(
        eq(chainWrite.chainId, chainId),
        eq(chainWrite.status, "SUBMITTED"),
        eq(chainEvent.eventName, "Transfer"),
        eq(chainEvent.fromAddress, zeroAddress),
        eq(chainEvent.removed, false),
        sql`${chainEvent.blockNumber} <= ${safeBlock}`,
      ),
    );
  const confirmed: string[] = [];
  for (const m of mined) {
    const settled = await db.transaction(async (tx) => {
      const [write] = await tx
        .update(chainWrite)
        .set({ status: "CONFIRMED", minedTxHash: m.txHash, blockNumber: m.blockNumber, updatedAt: new Date() })
        .where(and(eq(chainWrite.id, m.writeId), eq(chainWrite.status, "SUBMITTED")))
        .returning();
      if (!write) return false;
      // Only a successful transaction emits events, so its Transfer confirms the batch.
      await mintBatchOwner.settle(tx, write, {
        status: "CONFIRMED",
        receipt: { transactionHash: m.txHash as Hex, blockNumber: m.blockNumber, contractAddress: null },
      });
      return true;
    });
    if (settled) confirmed.push(m.writeId);
  }
  return confirmed;
}
