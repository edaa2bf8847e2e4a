/**
 * Cross-process nonce assignment. A signer's nonces come from one `signer_nonce` row per
 * (chain id, address), locked FOR UPDATE for the time it takes to pick a nonce and write
 * down what was signed with it. Any number of processes sharing the database therefore
 * hand out each nonce once. The chain's pending count is consulted too, so transactions
 * signed outside the gateway (or before this table existed) are never collided with.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database, Transaction } from "../db/index.js";
import type { ChainClients } from "./client.js";
import { signerNonce } from "./table.js";

/**
 * Runs `fn(tx, nonce)` in a database transaction that holds the signer's nonce row lock,
 * then commits `next = nonce + 1` together with whatever `fn` wrote. If `fn` throws, the
 * nonce is not consumed.
 * @example await withNextNonce(db, chain, async (tx, nonce) => { const signed = …; await tx.insert(…); });
 */
export async function withNextNonce<T>(db: Database, chain: ChainClients, fn: (tx: Transaction, nonce: number) => Promise<T>): Promise<T> {
  const key = { chainId: chain.chainId, address: chain.account.address.toLowerCase() };
  return db.transaction(async (tx) => {
    // One statement creates the row on first use and, like FOR UPDATE, locks it until commit
    // (ON CONFLICT DO UPDATE locks the existing row; the update keeps `next` as it is).
    // The node's pending count is asked for meanwhile, not after the lock is granted: every
    // gateway transaction advances `next` before it releases this lock, so the count only
    // matters for transactions signed elsewhere, which no lock of ours orders anyway.
    const [[row], pending] = await Promise.all([
      tx
        .insert(signerNonce)
        .values({ ...key, next: 0 })
        .onConflictDoUpdate({ target: [signerNonce.chainId, signerNonce.address], set: { next: sql`${signerNonce.next}` } })
        .returning({ next: signerNonce.next }),
      chain.publicClient.getTransactionCount({ address: chain.account.address, blockTag: "pending" }),
    ]);
    const nonce = Math.max(row!.next, pending);
    // `fn` and the advance of `next` go out together; if `fn` throws, the rollback undoes both.
    const [result] = await Promise.all([
      fn(tx, nonce),
      tx
        .update(signerNonce)
        .set({ next: nonce + 1, updatedAt: sql`now()` })
        .where(and(eq(signerNonce.chainId, key.chainId), eq(signerNonce.address, key.address))),
    ]);
    return result;
  });
}
