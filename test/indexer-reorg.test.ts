/**
 * The built-in poller on a private dev chain (so snapshots and reverts disturb no other test):
 * a mint request is CONFIRMED from the chain's own Transfer event before the worker's
 * receipt wait could, and a real reorg (snapshot, mine, revert, mine a different block) is
 * detected, after which the cap table equals balanceOf for every holder.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { startDevChain, devChainSignerKey, type DevChain } from "../src/chain/dev-chain.js";
import { chainEvent, chainReorg } from "../src/indexer/table.js";
import { job } from "../src/queue/table.js";
import { mintRequest } from "../src/minting/table.js";
import { chainWrite } from "../src/chain/table.js";
import type { TestGateway } from "./support/harness.js";
import {
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  satisfyRequirements,
  waitForMint,
  type Actors,
} from "./support/flow.js";
import { HOLDINGS, asAgent, balanceOf, registerInvestorWithKey, startIndexerGateway, waitFor, whitelist } from "./support/indexer.js";

let devChain: DevChain;
let t: TestGateway;
let a: Actors;
let trancheId: string;
let token: Address;
let inv1: Awaited<ReturnType<typeof registerInvestorWithKey>>;
let inv2: Awaited<ReturnType<typeof registerInvestorWithKey>>;

const MINT_CONFIRMATIONS = 1000;
const rpc = (method: string, params: unknown[] = []) => t.chain.publicClient.request({ method, params } as any) as Promise<any>;

async function capTable() {
  const r = await t.gql(HOLDINGS, { token }, a.issuerToken);
  return r.data.holdings.data as { holder: Address; balance: string }[];
}

beforeAll(async () => {
  devChain = await startDevChain({ port: 0 });
  // The worker waits for 1000 confirmations that nobody mines: only the indexer can confirm first.
  t = await startIndexerGateway({
    rpcUrl: devChain.rpcUrl,
    signerKey: devChainSignerKey(0),
    finalityDepth: 0,
    mintConfirmations: MINT_CONFIRMATIONS,
    indexer: { pollIntervalMs: 100 },
  });
  a = await createActors(t);
  const { assetId, contentDigest } = await registerApprovedAsset(t, a);
  const offering = await createOfferingWithTranche(t, a, assetId);
  trancheId = offering.trancheId;
  await satisfyRequirements(t, a, { assetId, contentDigest, offeringId: offering.offeringId });
  inv1 = await registerInvestorWithKey(t, a);
  inv2 = await registerInvestorWithKey(t, a);
  token = await deployAndWhitelist(t, a, trancheId, inv1.investorId);
  await whitelist(t, a, trancheId, inv2.investorId);
});
afterAll(async () => {
  await t?.close();
  await devChain?.close();
});

describe("the built-in poller", () => {
  it("confirms a mint request from the chain's Transfer event before the receipt wait, once", async () => {
    const accepted = await t.gql(
      REQUEST_MINT,
      { input: { idempotencyKey: "poller-1", trancheId, investorId: inv1.investorId, amount: "1000" } },
      a.issuerToken,
    );
    const settled = await waitForMint(t, a.issuerToken, accepted.data.requestMint.id);
    expect(settled.status).toBe("CONFIRMED");
    const receipt = await t.chain.publicClient.getTransactionReceipt({ hash: settled.txHash as Hex });
    expect(settled.blockNumber).toBe(receipt.blockNumber.toString());
    // Far fewer confirmations than the worker waits for: the event, not the receipt, settled it.
    const head = await t.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    expect(head - receipt.blockNumber + 1n).toBeLessThan(MINT_CONFIRMATIONS);
    expect(await balanceOf(t, token, inv1.account.address)).toBe(1000n);
    // Its batch settled with it: no batch is left SUBMITTED once its requests are confirmed.
    const [request] = await t.database.db.select().from(mintRequest).where(eq(mintRequest.id, settled.id));
    const [batch] = await t.database.db.select().from(chainWrite).where(eq(chainWrite.id, request!.batchId!));
    expect(batch).toMatchObject({ status: "CONFIRMED", minedTxHash: settled.txHash });

    // Now let the worker's receipt wait end: it settles the same request again, with the same outcome.
    await rpc("anvil_mine", [`0x${MINT_CONFIRMATIONS.toString(16)}`]);
    await waitFor("the mint job done", async () => (await t.database.db.select().from(job)).length === 0);
    const again = await waitForMint(t, a.issuerToken, settled.id);
    expect(again).toMatchObject({ status: "CONFIRMED", blockNumber: settled.blockNumber, txHash: settled.txHash });
  });

  it("detects a reorg, drops the orphaned block's events, and ends equal to balanceOf for every holder", async () => {
    await t.gateway.indexer.runOnce();
    const snapshot = await rpc("evm_snapshot");
    const orphan = await asAgent(t, token, "mint", [inv2.account.address, 777n]);
    await waitFor("the orphan mint indexed", async () =>
      (await capTable()).some((h) => h.holder === inv2.account.address && h.balance === "777"),
    );

    expect(await rpc("evm_revert", [snapshot])).toBe(true);
    const replacement = await asAgent(t, token, "mint", [inv1.account.address, 5n]);
    expect(replacement.blockNumber).toBe(orphan.blockNumber);
    expect(replacement.blockHash).not.toBe(orphan.blockHash);

    const [reorg] = await waitFor("the reorg detected", async () => {
      const rows = await t.database.db.select().from(chainReorg);
      return rows.length > 0 ? rows : undefined;
    });
    expect(reorg!.commonAncestor).toBeLessThan(orphan.blockNumber);
    expect(reorg!.removedEvents).toBeGreaterThanOrEqual(1);
    await t.gateway.indexer.runOnce();

    const [orphaned] = await t.database.db
      .select({ removed: chainEvent.removed })
      .from(chainEvent)
      .where(and(eq(chainEvent.blockHash, orphan.blockHash.toLowerCase()), eq(chainEvent.eventName, "Transfer")));
    expect(orphaned!.removed).toBe(true);
    const [kept] = await t.database.db
      .select({ removed: chainEvent.removed })
      .from(chainEvent)
      .where(sql`${chainEvent.blockHash} = ${replacement.blockHash.toLowerCase()}`);
    expect(kept!.removed).toBe(false);

    const rows = await capTable();
    for (const r of rows) expect(r.balance).toBe((await balanceOf(t, token, r.holder)).toString());
    // inv2's only event was orphaned: it no longer appears, and the chain agrees it holds nothing.
    expect(rows).toEqual([expect.objectContaining({ holder: inv1.account.address, balance: "1005" })]);
    expect(await balanceOf(t, token, inv2.account.address)).toBe(0n);

    const run = await t.gql(
      `mutation { runReconciliation { __typename ... on ReconciliationRun { drift { holder kind registryBalance chainBalance } holdingsChecked } } }`,
      {},
      t.adminToken,
    );
    expect(run.data.runReconciliation).toMatchObject({ __typename: "ReconciliationRun", holdingsChecked: 1 });
    // The cap table agrees with the chain after the reorg: nothing lags. Only this test's own mint behind
    // the registry's back (the 5 of the replacement block, no request behind it) shows, as over-minting.
    const drift = run.data.runReconciliation.drift as {
      holder: string | null;
      kind: string;
      registryBalance: string;
      chainBalance: string;
    }[];
    expect(drift.filter((d) => d.kind !== "OVER_MINTED")).toEqual([]);
    expect(drift).toContainEqual({ holder: null, kind: "OVER_MINTED", registryBalance: "1000", chainBalance: "1005" });
  });
});
