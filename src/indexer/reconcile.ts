/**
 * Reconciliation, for every deployed tranche token, read at one block per token (the block
 * through which the registry has indexed it, so an indexer that is merely behind does not show
 * as drift). Three comparisons, each with its own drift kind (see DRIFT_KINDS):
 *
 * 1. The index against the chain (CAP_TABLE_LAG): the cap table summed from indexed Transfer
 *    events against `balanceOf` for every holder, and its total against `totalSupply`.
 * 2. The chain against what the registry decided (OVER_MINTED / UNDER_MINTED, holder null):
 *    `totalSupply` against the sum of the tranche's CONFIRMED mint requests. The registry only
 *    ever mints (it has no burn), so the two must be equal to the base unit. This reads no
 *    index, so it holds even when step 1 found the index incomplete: the check that would
 *    have caught issue 12, where the worker minted requests several times behind a lagging node.
 * 3. Per holder, what the registry can know. A holder's balance is what was minted to it, plus
 *    forced transfers in, minus forced transfers out, plus its own whitelisted transfers in,
 *    minus out, minus burns. The registry records the mints (CONFIRMED requests) and the forced
 *    transfers (token_control_action) but not the holders' own transfers, so comparing
 *    `balanceOf` with "minted + forced" would flag every ordinary transfer. Instead each term the
 *    registry knows is compared with the same term on chain, read from the indexed events:
 *    minted per recipient (Transfer from 0x0) against CONFIRMED per recipient (OVER_/UNDER_MINTED),
 *    burned per holder against 0 (UNRECORDED_BURN), and every recorded forced transfer against
 *    its own Transfer log (FORCED_TRANSFER_MISMATCH). What is left is the holders' own
 *    transfers, which move no supply. Step 3 is skipped for a token whose index step 1 found
 *    incomplete: its figures would come from that index.
 *
 * 4. Distribution payouts (PAYOUT_OVERPAID / PAYOUT_UNDERPAID): the distributor's DistributionPaid
 *    events against the registry's payouts, per payout, read at the head fixed before anything
 *    else (src/distribution/reconcile.ts).
 *
 * Known blind spot: a forced transfer the AGENT key sends on chain without the registry looks
 * like a holder's own transfer (same event) and is not reported; it moves no supply.
 * Each run is stored; `reconciliationReport` shows the last one.
 */
import { and, desc, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { getAddress, zeroAddress, type Address } from "viem";
import type { Database } from "../db/index.js";
import { DataAssetTokenAbi } from "../chain/token.js";
import { tranche } from "../offerings/table.js";
import { chainTx, chainWrite } from "../chain/table.js";
import { mintRequest, tokenControlAction } from "../minting/table.js";
import type { IndexerDeps } from "./service.js";
import { deployedTokens, queryHoldings } from "./service.js";
import { chainEvent, indexerCursor, reconciliationRun, type DriftEntry } from "./table.js";
import { appendAuditEvent } from "../audit/service.js";
import { payoutDrift } from "../distribution/reconcile.js";

export type ReconciliationRun = typeof reconciliationRun.$inferSelect;
export type ReconciliationTrigger = ReconciliationRun["trigger"];

/** balanceOf reads in flight at once (the dev chain has no Multicall3). */
const READ_CONCURRENCY = 16;

async function inChunks<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** Base units per checksummed address; the registry stores wallets in whichever case they were given. */
type AmountsByHolder = Map<Address, bigint>;

function addTo(map: AmountsByHolder, holder: string, amount: bigint) {
  const key = getAddress(holder);
  map.set(key, (map.get(key) ?? 0n) + amount);
}

function toMap(rows: { holder: string | null; amount: string | null }[]): AmountsByHolder {
  const map: AmountsByHolder = new Map();
  for (const r of rows) if (r.holder && r.amount) addTo(map, r.holder, BigInt(r.amount));
  return map;
}

function total(map: AmountsByHolder): bigint {
  let sum = 0n;
  for (const v of map.values()) sum += v;
  return sum;
}

type TokenAt = { chainId: number; address: Address; trancheId: string; at: bigint };

/**
 * What the registry decided to mint on this token, per recipient, as of block `at`: CONFIRMED
 * requests mined at or below it, plus mints in flight. In flight: the request and its batch are
 * SUBMITTED and one of the batch's signed versions is among the indexed mints, i.e. mined but
 * waiting for the worker's confirmation depth; without them every periodic run would report the
 * mint in progress as over-minted. A batch the worker gave up on (DROPPED, requests back to
 * REQUESTED) does not count: one of its transactions mined anyway is issue 12's over-minting.
 */
async function registryMinted(db: Database, t: TokenAt): Promise<AmountsByHolder> {
  const amount = sql<string>`sum(${mintRequest.amount})::text`;
  const confirmed = await db
    .select({ holder: mintRequest.recipient, amount })
    .from(mintRequest)
    .where(
      and(
        eq(mintRequest.trancheId, t.trancheId),
        eq(mintRequest.status, "CONFIRMED"),
        or(isNull(mintRequest.blockNumber), lte(mintRequest.blockNumber, t.at)),
      ),
    )
    .groupBy(mintRequest.recipient);
  const inFlight = await db
    .select({ holder: mintRequest.recipient, amount })
    .from(mintRequest)
    .innerJoin(chainWrite, eq(chainWrite.id, mintRequest.batchId))
    .where(
      and(
        eq(mintRequest.trancheId, t.trancheId),
        eq(mintRequest.status, "SUBMITTED"),
        eq(chainWrite.status, "SUBMITTED"),
        sql`exists (select 1 from ${chainTx} join ${chainEvent} on ${chainEvent.txHash} = lower(${chainTx.hash})
          where ${chainTx.writeId} = ${chainWrite.id} and ${chainEvent.chainId} = ${t.chainId} and ${chainEvent.contract} = ${t.address}
            and ${chainEvent.eventName} = 'Transfer' and ${chainEvent.fromAddress} = ${zeroAddress}
            and not ${chainEvent.removed} and ${chainEvent.blockNumber} <= ${t.at})`,
      ),
    )
    .groupBy(mintRequest.recipient);
  return toMap([...confirmed, ...inFlight]);
}

/** Indexed mints (Transfer from 0x0) per recipient, or burns (Transfer to 0x0) per holder, through `at`. */
async function indexedSupplyMoves(db: Database, t: TokenAt, side: "minted" | "burned"): Promise<AmountsByHolder> {
  const holder = side === "minted" ? chainEvent.toAddress : chainEvent.fromAddress;
  const zeroSide = side === "minted" ? chainEvent.fromAddress : chainEvent.toAddress;
  const rows = await db
    .select({ holder, amount: sql<string>`sum(${chainEvent.value})::text` })
    .from(chainEvent)
    .where(
      and(
        eq(chainEvent.chainId, t.chainId),
        eq(chainEvent.contract, t.address),
        eq(chainEvent.eventName, "Transfer"),
        eq(zeroSide, zeroAddress),
        eq(chainEvent.removed, false),
        lte(chainEvent.blockNumber, t.at),
      ),
    )
    .groupBy(holder);
  return toMap(rows);
}

/** Step 3's mint and burn terms: per recipient, indexed mints against the registry's, and every burn. */
function perHolderMintDrift(t: TokenAt, registry: AmountsByHolder, minted: AmountsByHolder, burned: AmountsByHolder): DriftEntry[] {
  const drift: DriftEntry[] = [];
  for (const holder of new Set([...registry.keys(), ...minted.keys()])) {
    const expected = registry.get(holder) ?? 0n;
    const onChain = minted.get(holder) ?? 0n;
    if (expected === onChain) continue;
    drift.push({
      kind: onChain > expected ? "OVER_MINTED" : "UNDER_MINTED",
      tokenAddress: t.address,
      holder,
      registryBalance: expected.toString(),
      chainBalance: onChain.toString(),
    });
  }
  for (const [holder, amount] of burned) {
    if (amount === 0n) continue;
    drift.push({ kind: "UNRECORDED_BURN", tokenAddress: t.address, holder, registryBalance: "0", chainBalance: amount.toString() });
  }
  return drift;
}

/**
 * Step 3's forced-transfer term: each FORCED_TRANSFER the registry recorded has its Transfer log
 * (same transaction, same parties and amount) among the indexed events through `at`. A
 * transaction not indexed that far but mined successfully is left to a later run (mined after
 * `at`) or to step 1 (the index is missing it); one the chain does not have, or reverted, is drift.
 * Figures: registry = the recorded amount, chain = what that transaction moved out of `account`.
 */
async function forcedTransferDrift(deps: IndexerDeps, t: TokenAt): Promise<DriftEntry[]> {
  const actions = await deps.db
    .select()
    .from(tokenControlAction)
    .where(and(eq(tokenControlAction.trancheId, t.trancheId), eq(tokenControlAction.action, "FORCED_TRANSFER")));
  if (actions.length === 0) return [];
  const logs = await deps.db
    .select({ txHash: chainEvent.txHash, from: chainEvent.fromAddress, to: chainEvent.toAddress, value: chainEvent.value })
    .from(chainEvent)
    .where(
      and(
        eq(chainEvent.chainId, t.chainId),
        eq(chainEvent.contract, t.address),
        eq(chainEvent.eventName, "Transfer"),
        eq(chainEvent.removed, false),
        lte(chainEvent.blockNumber, t.at),
        inArray(
          chainEvent.txHash,
          actions.map((a) => a.txHash.toLowerCase()),
        ),
      ),
    );
  const drift: DriftEntry[] = [];
  for (const action of actions) {
    const same = (a: string | null, b: string | null) => !!a && !!b && a.toLowerCase() === b.toLowerCase();
    const ofTx = logs.filter((l) => l.txHash === action.txHash.toLowerCase());
    const matches = ofTx.some(
      (l) =>
        same(l.from, action.account) &&
        same(l.to, action.toAccount) &&
        l.value !== null &&
        BigInt(l.value) === BigInt(action.amount ?? "0"),
    );
    if (matches) continue;
    if (ofTx.length === 0) {
      const receipt = await deps.chain.publicClient.getTransactionReceipt({ hash: action.txHash as `0x${string}` }).catch(() => undefined);
      if (receipt?.status === "success") continue;
    }
    const moved = ofTx.filter((l) => same(l.from, action.account)).reduce((sum, l) => sum + BigInt(l.value ?? "0"), 0n);
    drift.push({
      kind: "FORCED_TRANSFER_MISMATCH",
      tokenAddress: t.address,
      holder: action.account ? getAddress(action.account) : null,
      registryBalance: action.amount ?? "0",
      chainBalance: moved.toString(),
    });
  }
  return drift;
}

/**
 * Runs the four comparisons for every deployed token and stores the run.
 * @example const run = await reconcile({ db, chain, finalityDepth: 2 }, "CLI"); run.drift.length === 0
 */
export async function reconcile(
  deps: IndexerDeps,
  trigger: ReconciliationTrigger,
  /** Who asked for the run (audited); SYSTEM for the scheduled and CLI runs. */
  by: { actor: string; actorOrgId: string | null } = { actor: "SYSTEM", actorOrgId: null },
): Promise<ReconciliationRun> {
  const { db, chain } = deps;
  const startedAt = new Date();
  const drift: DriftEntry[] = [];
  let holdingsChecked = 0;
  let tokensChecked = 0;
  let payoutsChecked = 0;
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
      const [row] = await db
        .select({ id: tranche.id })
        .from(tranche)
        .where(and(eq(tranche.chainId, chain.chainId), eq(tranche.tokenAddress, token.address)));
      if (!row) continue; // deployedTokens just listed it: only a concurrent delete gets here
      const t: TokenAt = { chainId: chain.chainId, address: token.address, trancheId: row.id, at };
      tokensChecked++;
      const read = (functionName: "balanceOf" | "totalSupply", args: readonly [Address] | readonly []) =>
        chain.publicClient.readContract({
          address: token.address,
          abi: DataAssetTokenAbi,
          functionName,
          args,
          blockNumber: at,
        } as any) as Promise<bigint>;

      // 1. The index against the chain.
      const holdings = await queryHoldings(db, { chainId: chain.chainId, tokenAddress: token.address, throughBlock: at, safeBlock: at });
      const balances = await inChunks(holdings, READ_CONCURRENCY, (h) => read("balanceOf", [h.holder as Address]));
      const capTable: DriftEntry[] = [];
      holdings.forEach((h, i) => {
        holdingsChecked++;
        if (h.balance !== balances[i]) {
          capTable.push({
            kind: "CAP_TABLE_LAG",
            tokenAddress: token.address,
            holder: h.holder,
            registryBalance: h.balance.toString(),
            chainBalance: balances[i]!.toString(),
          });
        }
      });
      // A holder the registry never saw would not show above; the supply catches it.
      const supply = await read("totalSupply", []);
      const indexedSupply = holdings.reduce((sum, h) => sum + h.balance, 0n);
      if (supply !== indexedSupply) {
        capTable.push({
          kind: "CAP_TABLE_LAG",
          tokenAddress: token.address,
          holder: null,
          registryBalance: indexedSupply.toString(),
          chainBalance: supply.toString(),
        });
      }
      drift.push(...capTable);

      // 2. The chain's supply against the registry's CONFIRMED mints.
      const registry = await registryMinted(db, t);
      const registrySupply = total(registry);
      if (supply !== registrySupply) {
        drift.push({
          kind: supply > registrySupply ? "OVER_MINTED" : "UNDER_MINTED",
          tokenAddress: token.address,
          holder: null,
          registryBalance: registrySupply.toString(),
          chainBalance: supply.toString(),
        });
      }

      // 3. Per holder, the terms the registry knows, from an index step 1 found complete.
      if (capTable.length === 0) {
        const [minted, burned] = await Promise.all([indexedSupplyMoves(db, t, "minted"), indexedSupplyMoves(db, t, "burned")]);
        drift.push(...perHolderMintDrift(t, registry, minted, burned), ...(await forcedTransferDrift(deps, t)));
      }
    }

    // 4. What the distributor paid against the registry's payouts, at the head read first.
    const payouts = await payoutDrift(deps, head);
    payoutsChecked = payouts.payoutsChecked;
    drift.push(...payouts.drift);
  } catch (e) {
    error = e instanceof Error ? e.message.slice(0, 2000) : String(e);
  }
  const run = await db.transaction(async (tx) => {
    const [stored] = await tx
      .insert(reconciliationRun)
      .values({
        chainId: chain.chainId,
        trigger,
        startedAt,
        finishedAt: new Date(),
        tokensChecked,
        holdingsChecked,
        payoutsChecked,
        drift,
        error,
      })
      .returning();
    // The outcome on the trail: counts per drift kind (the entries themselves are in the run).
    const driftByKind: Record<string, number> = {};
    for (const d of drift) driftByKind[d.kind ?? "CAP_TABLE_LAG"] = (driftByKind[d.kind ?? "CAP_TABLE_LAG"] ?? 0) + 1;
    await appendAuditEvent(tx, {
      ...by,
      action: "reconciliation.ran",
      entityType: "ReconciliationRun",
      entityId: stored!.id,
      payload: {
        chainId: chain.chainId,
        trigger,
        ok: drift.length === 0 && !error,
        tokensChecked,
        holdingsChecked,
        payoutsChecked,
        driftByKind,
        error,
      },
    });
    return stored;
  });
  if (drift.length > 0 || error) deps.logger?.warn({ runId: run!.id, drift: drift.length, error }, "reconciliation found drift");
  return withKinds(run!);
}

/** Runs stored before drift kinds existed compared only the cap table. */
function withKinds(run: ReconciliationRun): ReconciliationRun {
  return { ...run, drift: run.drift.map((d) => ({ ...d, kind: d.kind ?? "CAP_TABLE_LAG" })) };
}

/** The last stored run on this chain, if any. */
export async function lastReconciliation(deps: Pick<IndexerDeps, "db" | "chain">): Promise<ReconciliationRun | undefined> {
  const [run] = await deps.db
    .select()
    .from(reconciliationRun)
    .where(eq(reconciliationRun.chainId, deps.chain.chainId))
    .orderBy(desc(reconciliationRun.startedAt))
    .limit(1);
  return run && withKinds(run);
}

/**
 * Per token, the base units the chain holds beyond the registry's CONFIRMED mints in a run
 * (its supply entry of kind OVER_MINTED); tokens without over-minting are absent.
 */
export function overMintedByToken(run: Pick<ReconciliationRun, "drift">): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const d of run.drift) {
    if (d.kind === "OVER_MINTED" && d.holder === null) out.set(d.tokenAddress, BigInt(d.chainBalance) - BigInt(d.registryBalance));
  }
  return out;
}
