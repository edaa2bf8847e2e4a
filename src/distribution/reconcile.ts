/**
 * Payout reconciliation, one step of the indexer's reconciliation run (src/indexer/reconcile.ts):
 * what the RevenueDistributor paid on chain, read from its DistributionPaid events, against what
 * the registry says it paid, per payout (distribution, tranche, holder).
 *
 * The registry side: a CONFIRMED payout was paid its amount; HELD and REQUESTED ones nothing;
 * a payout in flight (SUBMITTED, or CONFIRMED in a block after the one read) may show either
 * nothing or its full amount, never anything else. A DistributionPaid event the registry has no
 * payout for (another payout id, another holder or tranche than the payout's, a distribution the
 * registry never declared) is overpaid against 0: the distributor's owner key used outside the
 * pipeline. The order of reads makes a payout sent during the run count as in flight: the block
 * is fixed first, then the registry is read, then the events through that block.
 */
import { and, eq } from "drizzle-orm";
import { getAddress, type Address, type Hex } from "viem";
import type { Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import { chainContract } from "../chain/table.js";
import { RevenueDistributorAbi, settlementId } from "../chain/settlement.js";
import { tranche } from "../offerings/table.js";
import type { DriftEntry } from "../indexer/table.js";
import { distributionPayout } from "./table.js";

/** Blocks per eth_getLogs request: public RPC providers cap the range (10,000 is a common limit). */
const LOG_RANGE = 10_000n;

/** The registry UUID a settlement id (bytes32) names: the inverse of settlementId. */
function uuidOf(id: Hex): string {
  const h = id.slice(2, 34);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const keyOf = (payoutId: Hex, tranche: string, holder: string) => `${payoutId.toLowerCase()}:${getAddress(tranche)}:${getAddress(holder)}`;

type Paid = { distributionId: Hex; tranche: Address; holder: Address; amount: bigint };

/** Every DistributionPaid of the distributor through block `at`, summed per payout key. */
async function paidOnChain(chain: ChainClients, distributor: Address, fromBlock: bigint, at: bigint): Promise<Map<string, Paid>> {
  const paid = new Map<string, Paid>();
  for (let from = fromBlock; from <= at; from += LOG_RANGE) {
    const to = from + LOG_RANGE - 1n < at ? from + LOG_RANGE - 1n : at;
    const logs = await chain.publicClient.getContractEvents({
      address: distributor,
      abi: RevenueDistributorAbi,
      eventName: "DistributionPaid",
      fromBlock: from,
      toBlock: to,
      strict: true,
    });
    for (const log of logs) {
      const { distributionId, tranche, holder, amount, payoutId } = log.args as {
        distributionId: Hex;
        tranche: Address;
        holder: Address;
        amount: bigint;
        payoutId: Hex;
      };
      const key = keyOf(payoutId, tranche, holder);
      const seen = paid.get(key);
      paid.set(key, { distributionId, tranche, holder, amount: (seen?.amount ?? 0n) + amount });
    }
  }
  return paid;
}

/**
 * The payouts on which the chain and the registry disagree, read at block `at`; none when this
 * signer has no distributor on the chain. `payoutsChecked` counts the registry's payouts compared.
 * @example const { drift } = await payoutDrift({ db, chain }, head); drift.length === 0
 */
export async function payoutDrift(
  deps: { db: Database; chain: ChainClients },
  at: bigint,
): Promise<{ drift: DriftEntry[]; payoutsChecked: number }> {
  const { db, chain } = deps;
  const [contract] = await db
    .select({ address: chainContract.address, deployTxHash: chainContract.deployTxHash })
    .from(chainContract)
    .where(
      and(
        eq(chainContract.chainId, chain.chainId),
        eq(chainContract.signer, chain.account.address),
        eq(chainContract.name, "RevenueDistributor"),
      ),
    );
  if (!contract) return { drift: [], payoutsChecked: 0 };
  const distributor = getAddress(contract.address);
  const deployed = await chain.publicClient.getTransactionReceipt({ hash: contract.deployTxHash as Hex });
  if (deployed.blockNumber > at) return { drift: [], payoutsChecked: 0 };

  const payouts = await db
    .select({
      id: distributionPayout.id,
      distributionId: distributionPayout.distributionId,
      holder: distributionPayout.holder,
      amount: distributionPayout.amount,
      status: distributionPayout.status,
      blockNumber: distributionPayout.blockNumber,
      token: tranche.tokenAddress,
    })
    .from(distributionPayout)
    .innerJoin(tranche, eq(tranche.id, distributionPayout.trancheId))
    .where(eq(tranche.chainId, chain.chainId));
  const paid = await paidOnChain(chain, distributor, deployed.blockNumber, at);

  const drift: DriftEntry[] = [];
  const entry = (
    kind: "PAYOUT_OVERPAID" | "PAYOUT_UNDERPAID",
    p: { token: string; holder: string },
    registry: bigint,
    onChain: bigint,
    distributionId: string,
  ) =>
    drift.push({
      kind,
      tokenAddress: getAddress(p.token),
      holder: getAddress(p.holder),
      registryBalance: registry.toString(),
      chainBalance: onChain.toString(),
      distributionId,
    });
  for (const p of payouts) {
    const token = p.token;
    if (!token) continue; // a payout always names a deployed tranche; a row without is not the chain's
    const key = keyOf(settlementId(p.id), token, p.holder);
    const onChain = paid.get(key)?.amount ?? 0n;
    paid.delete(key);
    const amount = BigInt(p.amount);
    const inFlight = p.status === "SUBMITTED" || (p.status === "CONFIRMED" && p.blockNumber !== null && p.blockNumber > at);
    const registry = p.status === "CONFIRMED" && !inFlight ? amount : 0n;
    if (inFlight ? onChain === 0n || onChain === amount : onChain === registry) continue;
    const expected = inFlight ? amount : registry;
    entry(onChain > expected ? "PAYOUT_OVERPAID" : "PAYOUT_UNDERPAID", { token, holder: p.holder }, expected, onChain, p.distributionId);
  }
  // What is left was paid on chain under no payout of the registry.
  for (const rogue of paid.values()) {
    entry("PAYOUT_OVERPAID", { token: rogue.tranche, holder: rogue.holder }, 0n, rogue.amount, uuidOf(rogue.distributionId));
  }
  return { drift, payoutsChecked: payouts.length };
}
