/**
 * What the chain says about a signer's transactions, read so that a single lagging or
 * forgetful RPC node can never make the gateway give up on a transaction that was mined.
 *
 * Public RPC endpoints are load-balanced: one call can land on a node a few blocks behind
 * while the next lands on a current one. "No receipt" from one node, together with a nonce
 * count that has moved on another, therefore proves nothing. The only positive evidence that
 * a nonce went to another transaction is that transaction itself, found in a mined block:
 * `minedAtNonce` finds it.
 */
import type { Address, Hex } from "viem";
import type { Logger } from "pino";
import type { ChainClients } from "./client.js";

export type MinedTransaction = { hash: Hex; blockNumber: bigint };

/**
 * The mined transaction of `signer` with `nonce`, or undefined when the node asked cannot
 * show it (not mined yet, or the node is behind or lacks the state). Binary search over
 * `getTransactionCount(signer, block)` for the first block whose count passes `nonce`, then
 * that block's transactions. `fromBlock` (a head read before the nonce was signed) narrows the
 * search; a wrong one only costs a wider search.
 */
export async function minedAtNonce(
  chain: ChainClients,
  signer: Address,
  nonce: number,
  fromBlock: bigint | null | undefined,
): Promise<MinedTransaction | undefined> {
  try {
    const countAt = (blockNumber: bigint) => chain.publicClient.getTransactionCount({ address: signer, blockNumber });
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    let hi = head; // invariant: countAt(hi) > nonce
    if ((await countAt(hi)) <= nonce) return undefined;
    let lo = fromBlock && fromBlock > 0n && fromBlock <= head ? fromBlock - 1n : 0n; // invariant: countAt(lo) <= nonce
    if (lo > 0n && (await countAt(lo)) > nonce) lo = 0n;
    if (lo === 0n && (await countAt(0n)) > nonce) return undefined; // not a chain this search understands
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      if ((await countAt(mid)) > nonce) hi = mid;
      else lo = mid;
    }
    const block = await chain.publicClient.getBlock({ blockNumber: hi, includeTransactions: true });
    const mined = block.transactions.find((t) => t.from.toLowerCase() === signer.toLowerCase() && t.nonce === nonce);
    return mined ? { hash: mined.hash, blockNumber: hi } : undefined;
  } catch {
    // A node without that block or its state: no evidence either way, look again later.
    return undefined;
  }
}

/**
 * Broadcasts signed bytes that are already recorded. The node's refusal is logged with its
 * own message and not thrown: "already known" or "nonce too low" mean the chain has or had
 * it, and anything else (insufficient funds, a bad fee) is for an operator to see while the
 * receipt lookup decides what happened.
 */
export async function broadcastRecorded(chain: ChainClients, signed: Hex, logger: Logger, context: Record<string, unknown>): Promise<void> {
  try {
    await chain.publicClient.sendRawTransaction({ serializedTransaction: signed });
  } catch (error) {
    const message = String((error as { details?: string }).details ?? (error as Error).message).split("\n")[0]!;
    // A re-send of bytes the node already has (or has mined) is the normal case of a resume.
    const level = /already known|known transaction|nonce too low|already imported/i.test(message) ? "debug" : "warn";
    logger[level]({ ...context, nodeMessage: message }, "the node refused a recorded transaction");
  }
}
