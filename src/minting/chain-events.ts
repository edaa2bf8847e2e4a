/**
 * Mint settlement from the chain's own events, the second road to CONFIRMED beside the
 * worker's receipt (a webhook or the poller may see the mint first). The indexer reports
 * that events became final; minting, which owns these tables, decides what they settle.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { zeroAddress } from "viem";
import type { Database } from "../db/index.js";
import { chainEvent } from "../indexer/table.js";
import { offeringAsset, tranche } from "../offerings/table.js";
import { systemTransition } from "../assets/service.js";
import { mintBatch, mintRequest, mintTx } from "./table.js";

/**
 * Moves SUBMITTED batches whose transaction (any recorded version: a replacement or the
 * original, whichever was mined) emitted a final Transfer-from-zero of their tranche token
 * to CONFIRMED, with every request they carry, naming the mined hash. Compare-and-set on
 * SUBMITTED, so whichever of this and the worker's receipt comes first wins and the other
 * changes nothing. Returns the ids of the requests confirmed here.
 */
export async function confirmMintsFromEvents(db: Database, chainId: number, safeBlock: bigint): Promise<string[]> {
  if (safeBlock < 0n) return [];
  return db.transaction(async (tx) => {
    const mined = await tx
      .selectDistinct({ batchId: mintBatch.id, trancheId: mintBatch.trancheId, txHash: chainEvent.txHash, blockNumber: chainEvent.blockNumber })
      .from(mintBatch)
      .innerJoin(mintTx, eq(mintTx.batchId, mintBatch.id))
      .innerJoin(
        chainEvent,
        and(eq(chainEvent.txHash, mintTx.hash), eq(chainEvent.contract, mintBatch.tokenAddress), eq(chainEvent.chainId, mintBatch.chainId)),
      )
      .where(
        and(
          eq(mintBatch.chainId, chainId),
          eq(mintBatch.status, "SUBMITTED"),
          eq(chainEvent.eventName, "Transfer"),
          eq(chainEvent.fromAddress, zeroAddress),
          eq(chainEvent.removed, false),
          sql`${chainEvent.blockNumber} <= ${safeBlock}`,
        ),
      );
    const confirmed: string[] = [];
    for (const m of mined) {
      const [batch] = await tx
        .update(mintBatch)
        .set({ status: "CONFIRMED", minedTxHash: m.txHash, blockNumber: m.blockNumber, updatedAt: new Date() })
        .where(and(eq(mintBatch.id, m.batchId), eq(mintBatch.status, "SUBMITTED")))
        .returning({ id: mintBatch.id });
      if (!batch) continue;
      const requests = await tx
        .update(mintRequest)
        .set({ status: "CONFIRMED", txHash: m.txHash, blockNumber: m.blockNumber, errorCode: null, errorMessage: null, updatedAt: new Date() })
        .where(and(eq(mintRequest.batchId, m.batchId), inArray(mintRequest.status, ["REQUESTED", "SUBMITTED"])))
        .returning({ id: mintRequest.id });
      confirmed.push(...requests.map((r) => r.id));
      // As the worker does on a receipt: the first confirmed mint tokenizes the offering's assets.
      const assets = await tx
        .select({ id: offeringAsset.assetId })
        .from(tranche)
        .innerJoin(offeringAsset, eq(offeringAsset.offeringId, tranche.offeringId))
        .where(eq(tranche.id, m.trancheId));
      await systemTransition(tx, assets.map((a) => a.id), "TOKENIZED", new Date());
    }
    return confirmed;
  });
}
