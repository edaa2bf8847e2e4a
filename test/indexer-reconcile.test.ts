/**
 * Reconciliation on the shared dev chain: after a seeded random mix of mints (through the
 * mint worker), transfers signed by whitelisted investors and forced transfers by the AGENT,
 * the poller-built cap table equals balanceOf and reconciliation reports zero drift; a
 * tampered registry is reported with the holder and both amounts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import path from "node:path";
import { and, eq } from "drizzle-orm";
import type { Address } from "viem";
import { chainEvent } from "../src/indexer/table.js";
import { TEST_JWT_SECRET, type TestGateway } from "./support/harness.js";
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
import { HOLDINGS, asAgent, balanceOf, registerInvestorWithKey, startIndexerGateway, transferAs, whitelist } from "./support/indexer.js";

const execFileAsync = promisify(execFile);
let t: TestGateway;
let a: Actors;
let token: Address;
let investors: Awaited<ReturnType<typeof registerInvestorWithKey>>[];

/** mulberry32: a small seeded PRNG, so a failing mix can be replayed from its seed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.RECONCILE_SEED ?? Date.now() % 100_000);

const RUN = `mutation { runReconciliation { __typename ... on ReconciliationRun { id ok error tokensChecked holdingsChecked drift { tokenAddress holder registryBalance chainBalance difference } } } }`;
const REPORT = `query { reconciliationReport { __typename ... on ReconciliationRun { id ok trigger holdingsChecked drift { holder } } } }`;

beforeAll(async () => {
  t = await startIndexerGateway({ finalityDepth: 2, indexer: { pollIntervalMs: 200 } });
  a = await createActors(t);
  const { assetId, contentDigest } = await registerApprovedAsset(t, a);
  const { offeringId, trancheId } = await createOfferingWithTranche(t, a, assetId);
  await satisfyRequirements(t, a, { assetId, contentDigest, offeringId });
  investors = [];
  for (let i = 0; i < 3; i++) investors.push(await registerInvestorWithKey(t, a));
  token = await deployAndWhitelist(t, a, trancheId, investors[0]!.investorId);
  for (const inv of investors.slice(1)) await whitelist(t, a, trancheId, inv.investorId);

  const random = prng(SEED);
  const pick = () => investors[Math.floor(random() * investors.length)]!;
  const balances = new Map<Address, bigint>();
  const credit = (who: Address, amount: bigint) => balances.set(who, (balances.get(who) ?? 0n) + amount);
  for (let step = 0; step < 12; step++) {
    const roll = random();
    const from = pick();
    const to = pick();
    const held = balances.get(from.account.address) ?? 0n;
    if (step < 2 || roll < 0.35 || held === 0n) {
      const amount = BigInt(1 + Math.floor(random() * 1_000_000));
      const r = await t.gql(
        REQUEST_MINT,
        { input: { idempotencyKey: `mix-${SEED}-${step}`, trancheId, investorId: from.investorId, amount: amount.toString() } },
        a.issuerToken,
      );
      expect((await waitForMint(t, a.issuerToken, r.data.requestMint.id)).status).toBe("CONFIRMED");
      credit(from.account.address, amount);
    } else {
      const amount = 1n + BigInt(Math.floor(random() * Number(held)));
      if (roll < 0.7) await transferAs(t, from.account, token, to.account.address, amount);
      else await asAgent(t, token, "forcedTransfer", [from.account.address, to.account.address, amount]);
      credit(from.account.address, -amount);
      credit(to.account.address, amount);
    }
  }
  // Sanity of the mix itself: the chain holds what the test meant to do.
  for (const [who, amount] of balances) expect(await balanceOf(t, token, who), `seed ${SEED}`).toBe(amount);
  await t.gateway.indexer.runOnce();
});
afterAll(async () => t?.close());

describe("reconciliation", () => {
  it(`reports zero drift after a random mix of mints, transfers and forced transfers (seed ${SEED})`, async () => {
    const holdings = await t.gql(HOLDINGS, { token }, a.issuerToken);
    const rows = holdings.data.holdings.data as { holder: Address; balance: string }[];
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.balance, `seed ${SEED}`).toBe((await balanceOf(t, token, r.holder)).toString());

    const run = await t.gql(RUN, {}, t.adminToken);
    expect(run.data.runReconciliation, `seed ${SEED}`).toMatchObject({ ok: true, error: null, drift: [], tokensChecked: 1, holdingsChecked: rows.length });
    const report = await t.gql(REPORT, {}, a.officerToken);
    expect(report.data.reconciliationReport).toMatchObject({ id: run.data.runReconciliation.id, ok: true, trigger: "MANUAL" });

    // npm run reconcile asks the running gateway (the embedded database is that process's) and exits 0.
    // Asynchronous: the gateway it calls lives in this very process.
    const cli = await execFileAsync(process.execPath, ["--import", "tsx", "scripts/reconcile.ts", "--gateway", t.url], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: { ...process.env, JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: "", CHAIN_RPC_URL: "" },
      encoding: "utf8",
      timeout: 60_000,
    }); // rejects on a non-zero exit
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true, drift: [], holdingsChecked: rows.length });

    // investor { holdings } shows the same line for one investor.
    const inv = investors[0]!;
    const mine = await t.gql(
      `query($id: ID!) { investor(id: $id) { __typename ... on Investor { holdings { tokenAddress holder balance } } } }`,
      { id: inv.investorId },
      a.issuerToken,
    );
    const expected = (await balanceOf(t, token, inv.account.address)).toString();
    expect(mine.data.investor.holdings).toEqual([{ tokenAddress: token, holder: inv.account.address, balance: expected }]);
  });

  it("reports drift with the holder and both amounts when the registry lost an event", async () => {
    const [mint] = await t.database.db
      .select()
      .from(chainEvent)
      .where(and(eq(chainEvent.contract, token), eq(chainEvent.eventName, "Transfer"), eq(chainEvent.removed, false)))
      .limit(1);
    // Simulate a lost event: the registry no longer counts it.
    await t.database.db
      .update(chainEvent)
      .set({ removed: true })
      .where(and(eq(chainEvent.blockHash, mint!.blockHash), eq(chainEvent.txHash, mint!.txHash), eq(chainEvent.logIndex, mint!.logIndex)));
    const run = await t.gql(RUN, {}, t.adminToken);
    const drift = run.data.runReconciliation.drift as { holder: string | null; registryBalance: string; chainBalance: string; difference: string }[];
    expect(run.data.runReconciliation.ok).toBe(false);
    const value = BigInt(mint!.value!);
    const holderDrift = drift.find((d) => d.holder === mint!.toAddress)!;
    expect(BigInt(holderDrift.difference)).toBe(-value);
    expect(holderDrift.chainBalance).toBe((await balanceOf(t, token, mint!.toAddress as Address)).toString());
    expect(drift.find((d) => d.holder === null)).toMatchObject({ difference: (-value).toString() });
    const report = await t.gql(REPORT, {}, a.issuerToken);
    expect(report.data.reconciliationReport).toMatchObject({ id: run.data.runReconciliation.id, ok: false });
  });
});
