/**
 * Reconciliation: the registry's cap table against the chain's own `balanceOf` and
 * `totalSupply`, for every deployed tranche token, read at one block per token (the block
 * through which the registry has indexed it), so an indexer that is merely behind does not
 * show as drift. Each run is stored; `reconciliationReport` shows the last one.
 */
import { and, desc, eq } from "drizzle-orm";
import type { Address } from "viem";
import { DataAssetTokenAbi } from "../chain/token.js";
import type { IndexerDeps } from "./service.js";
import { deployedTokens, queryHoldings } from "./service.js";
import { indexerCursor, reconciliationRun, type DriftEntry } from "./table.js";

export type ReconciliationRun = typeof reconciliationRun.$inferSelect;
export type ReconciliationTrigger = ReconciliationRun["trigger"];

/** balanceOf reads in flight at once (the dev chain has no Multicall3). */
const READ_CONCURRENCY = 16;

async function inChunks<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/**
 * Compares every holding with `balanceOf` on chain and stores the run.
 * @example const run = await reconcile({ db, chain, finalityDepth: 2 }, "CLI"); run.drift.length === 0
 */
export async function reconcile(deps: IndexerDeps, trigger: ReconciliationTrigger): Promise<ReconciliationRun> {
  const { db, chain } = deps;
  const startedAt = new Date();
  const drift: DriftEntry[] = [];
  let holdingsChecked = 0;
  let tokensChecked = 0;
  let error: string | null = null;
  try {
    const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
    for (const token of await deployedTokens(db, chain.chainId)) {
      const [cursor] = await db
        .select({ nextBlock: indexerCursor.nextBlock })
        .from(indexerCursor)
        .where(and(eq(indexerCursor.chainId, chain.chainId), eq(indexerCursor.contract, token.address)));
      // With a poller cursor, compare where the registry has read to; webhook-only: at the head.
      const at = cursor && cursor.nextBlock - 1n < head ? cursor.nextBlock - 1n : head;
      const code = await chain.publicClient.getCode({ address: token.address, blockNumber: at });
      if (!code || code === "0x") continue; // not deployed yet at that block: nothing to compare
      tokensChecked++;
      const holdings = await queryHoldings(db, { chainId: chain.chainId, tokenAddress: token.address, throughBlock: at, safeBlock: at });
      const read = (functionName: "balanceOf" | "totalSupply", args: readonly [Address] | readonly []) =>
        chain.publicClient.readContract({ address: token.address, abi: DataAssetTokenAbi, functionName, args, blockNumber: at } as any) as Promise<bigint>;
      const balances = await inChunks(holdings, READ_CONCURRENCY, (h) => read("balanceOf", [h.holder as Address]));
      holdings.forEach((h, i) => {
        holdingsChecked++;
        if (h.balance !== balances[i]) {
          drift.push({ tokenAddress: token.address, holder: h.holder, registryBalance: h.balance.toString(), chainBalance: balances[i]!.toString() });
        }
      });
      // A holder the registry never saw would not show above; the supply catches it.
      const supply = await read("totalSupply", []);
      const registrySupply = holdings.reduce((sum, h) => sum + h.balance, 0n);
      if (supply !== registrySupply) {
        drift.push({ tokenAddress: token.address, holder: null, registryBalance: registrySupply.toString(), chainBalance: supply.toString() });
      }
    }
  } catch (e) {
    error = e instanceof Error ? e.message.slice(0, 2000) : String(e);
  }
  const [run] = await db
    .insert(reconciliationRun)
    .values({ chainId: chain.chainId, trigger, startedAt, finishedAt: new Date(), tokensChecked, holdingsChecked, drift, error })
    .returning();
  if (drift.length > 0 || error) deps.logger?.warn({ runId: run!.id, drift: drift.length, error }, "reconciliation found drift");
  return run!;
}

/** The last stored run on this chain, if any. */
export async function lastReconciliation(deps: Pick<IndexerDeps, "db" | "chain">): Promise<ReconciliationRun | undefined> {
  const [run] = await deps.db
    .select()
    .from(reconciliationRun)
    .where(eq(reconciliationRun.chainId, deps.chain.chainId))
    .orderBy(desc(reconciliationRun.startedAt))
    .limit(1);
  return run;
}
