/**
 * The chain's own word on what was minted: every block since `fromBlock` scanned for
 * transactions to the token, their mint calls decoded. Tests that write to the chain judge
 * by this, not by the registry's rows.
 */
import { decodeFunctionData, type Address, type Hex } from "viem";
import type { ChainClients } from "../../src/chain/client.js";
import { DataAssetTokenAbi } from "../../src/chain/token.js";

/** One recipient's line of a mined mint call. */
export type MintedLine = { hash: Hex; from: Address; nonce: number; recipient: Address; amount: bigint };

export async function mintedSince(chain: ChainClients, token: Address, fromBlock: bigint): Promise<MintedLine[]> {
  // Uncached: viem answers getBlockNumber from a per-client cache for up to its polling
  // interval, and this client's poller may have cached a head older than the last mint.
  const latest = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
  const lines: MintedLine[] = [];
  for (let n = fromBlock + 1n; n <= latest; n++) {
    const block = await chain.publicClient.getBlock({ blockNumber: n, includeTransactions: true });
    for (const tx of block.transactions) {
      if (tx.to?.toLowerCase() !== token.toLowerCase()) continue;
      const call = decodeFunctionData({ abi: DataAssetTokenAbi, data: tx.input });
      if (call.functionName !== "mintBatch" && call.functionName !== "mint") continue;
      const [to, amounts] =
        call.functionName === "mintBatch"
          ? (call.args as [readonly Address[], readonly bigint[]])
          : ([[call.args[0]], [call.args[1]]] as [Address[], bigint[]]);
      for (const [i, recipient] of to.entries())
        lines.push({ hash: tx.hash, from: tx.from, nonce: tx.nonce, recipient, amount: amounts[i]! });
    }
  }
  return lines;
}

/** The lines grouped as `recipient:amount` → the hashes that minted it. */
export function byRecipientAndAmount(lines: MintedLine[]): Map<string, Hex[]> {
  const minted = new Map<string, Hex[]>();
  for (const l of lines) {
    const key = `${l.recipient.toLowerCase()}:${l.amount}`;
    minted.set(key, [...(minted.get(key) ?? []), l.hash]);
  }
  return minted;
}
