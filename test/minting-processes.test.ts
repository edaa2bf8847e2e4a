/**
 * Exactly-once minting with real worker processes (`src/worker-main.ts`, what `npm run
 * worker` runs): SIGKILLed at random points and restarted, cut off from the chain's RPC
 * and reconnected, and two of them running at once on one database. Each test checks the
 * outcome on chain by scanning the blocks for the token's transactions: every request in
 * exactly one mined transaction, totalSupply equal to the CONFIRMED amounts, no nonce reused.
 *
 * PostgreSQL only: the workers are separate OS processes sharing one database, and PGlite
 * is a single-process database. CI runs the whole suite on PostgreSQL too, so these run there.
 * The child workers sign with dev-chain account 19, which no other test file uses (the
 * harness gives accounts 1–18 to vitest workers on this machine's pool sizes), and all of
 * them live in this one file so they never overlap.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { startRpcProxy } from "./support/rpc-proxy.js";
import { byRecipientAndAmount, mintedSince } from "./support/chain-scan.js";
import {
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  whitelistInvestor,
  registerApprovedAsset,
  registerVerifiedInvestor,
  REQUEST_MINT,
  satisfyRequirements,
  type Actors,
} from "./support/flow.js";
import { devChainSignerKey } from "../src/chain/dev-chain.js";
import { DataAssetTokenAbi, callToken } from "../src/chain/token.js";
import { mintBatch, mintRequest } from "../src/minting/table.js";
import { chainWrite } from "../src/chain/table.js";

const root = path.resolve(import.meta.dirname, "..");
const WORKER_KEY = devChainSignerKey(19);
const WORKER_ADDRESS = privateKeyToAccount(WORKER_KEY).address;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Worker = { child: ChildProcess; output: () => string; exited: Promise<unknown>; waitFor(re: RegExp, ms: number): Promise<boolean> };

function spawnWorker(env: { DATABASE_URL: string; CHAIN_RPC_URL: string } & Record<string, string>): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", "src/worker-main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      SIGNER_PRIVATE_KEY: WORKER_KEY,
      LOG_LEVEL: "info",
      WORKER_LEASE_SECONDS: "2",
      MINT_BATCH_SIZE: "4",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return {
    child,
    output: () => output,
    exited,
    async waitFor(re, ms) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline && child.exitCode === null) {
        if (re.test(output)) return true;
        await sleep(20);
      }
      return re.test(output);
    },
  };
}

async function kill(w: Worker, signal: NodeJS.Signals = "SIGKILL") {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill(signal);
  await w.exited;
}

/** A TCP proxy in front of the chain's JSON-RPC port, which a test can stop and start again on the same port. */
async function startProxy(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on("close", () => sockets.delete(s));
          s.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await up();
  return {
    url: () => `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    start: up,
  };
}

const PG = process.env.TEST_DATABASE_URL;

describe.skipIf(!PG)("mint workers as separate processes (PostgreSQL)", () => {
  let t: TestGateway;
  let a: Actors;
  let databaseUrl: string;
  let rpcUrl: string;

  beforeAll(async () => {
    t = await startTestGateway();
    // Only the child processes mint in this file.
    await t.gateway.worker!.stop();
    a = await createActors(t);
    const [{ name }] = (await t.database.db.execute(sql`select current_database() as name`)) as unknown as [{ name: string }];
    const url = new URL(PG!);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    rpcUrl = inject("rpcUrl");
  });

  afterAll(async () => {
    await t?.close();
  });

  /** A tranche with a deployed token, `n` whitelisted investors, and the worker account made an AGENT of it. */
  async function readyTranche(n: number) {
    const asset = await registerApprovedAsset(t, a, `Processes ${Math.random()}`);
    const offering = await createOfferingWithTranche(t, a, asset.assetId);
    const investors = [];
    for (let i = 0; i < n; i++) investors.push(await registerVerifiedInvestor(t, a));
    await satisfyRequirements(t, a, { ...asset, offeringId: offering.offeringId });
    const token = await deployAndWhitelist(t, a, offering.trancheId, investors[0]!.investorId);
    for (const inv of investors.slice(1)) await whitelistInvestor(t, a, offering.trancheId, inv.investorId);
    const agentRole = await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "AGENT_ROLE" });
    await callToken(t.chain, { token, functionName: "grantRole", args: [agentRole, WORKER_ADDRESS] });
    const fromBlock = await t.chain.publicClient.getBlockNumber();
    return { trancheId: offering.trancheId, token, investors, fromBlock };
  }

  /** Requests `count` mints with distinct amounts, so each (recipient, amount) names one request. */
  async function requestMints(trancheId: string, investors: { investorId: string }[], count: number, prefix: string, firstAmount = 10_000) {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const input = {
        idempotencyKey: `${prefix}-${i}`,
        trancheId,
        investorId: investors[i % investors.length]!.investorId,
        amount: String(firstAmount + i),
      };
      let r = await t.gql(REQUEST_MINT, { input }, a.issuerToken);
      // A request that met a database session the server had just terminated is sent again, as a
      // client would: the idempotency key makes the retry the same request.
      for (let retry = 0; retry < 5 && !r.data?.requestMint && r.errors; retry++) {
        await sleep(200);
        r = await t.gql(REQUEST_MINT, { input }, a.issuerToken);
      }
      expect(r.data?.requestMint?.__typename, JSON.stringify(r)).toBe("MintRequest");
      ids.push(r.data.requestMint.id);
    }
    return ids;
  }

  async function openCount(ids: string[]): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await openCountOnce(ids);
      } catch (error) {
        // This process's own sessions are terminated too in one test; postgres.js reconnects.
        if (attempt >= 20) throw error;
        await sleep(100);
      }
    }
  }

  async function openCountOnce(ids: string[]) {
    const rows = await t.database.db
      .select({ id: mintRequest.id })
      .from(mintRequest)
      .where(and(inArray(mintRequest.id, ids), inArray(mintRequest.status, ["REQUESTED", "SUBMITTED"])));
    return rows.length;
  }

  async function waitSettled(ids: string[], ms: number) {
    const deadline = Date.now() + ms;
    while ((await openCount(ids)) > 0) {
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
    return true;
  }

  /**
   * The chain's word: scans every block since `fromBlock` for transactions to the token,
   * decodes their mint calls, and checks each request is in exactly one mined transaction
   * (the one the database recorded) and the supply equals the CONFIRMED amounts.
   */
  async function expectExactlyOnce(token: Address, ids: string[], fromBlock: bigint) {
    const requests = await t.database.db.select().from(mintRequest).where(inArray(mintRequest.id, ids));
    expect(requests.map((r) => r.status)).toEqual(requests.map(() => "CONFIRMED"));

    const lines = await mintedSince(t.chain, token, fromBlock);
    const nonces = new Map<number, Hex>();
    for (const line of lines) {
      expect(line.from.toLowerCase()).toBe(WORKER_ADDRESS.toLowerCase());
      expect(nonces.get(line.nonce) ?? line.hash, `nonce ${line.nonce} used twice`).toBe(line.hash);
      nonces.set(line.nonce, line.hash);
    }
    for (const hash of new Set(lines.map((l) => l.hash))) {
      expect((await t.chain.publicClient.getTransactionReceipt({ hash })).status).toBe("success");
    }
    const minted = byRecipientAndAmount(lines);
    for (const r of requests) {
      const txs = minted.get(`${r.recipient.toLowerCase()}:${r.amount}`) ?? [];
      expect(txs, `request ${r.id} (${r.amount})`).toEqual([r.txHash]);
    }
    expect([...minted.values()].flat()).toHaveLength(requests.length);

    const supply = await t.chain.publicClient.readContract({ address: token, abi: DataAssetTokenAbi, functionName: "totalSupply" });
    expect(supply).toBe(requests.reduce((sum, r) => sum + BigInt(r.amount), 0n));
    // No batch lost its nonce to another transaction: nonces were never handed out twice.
    const batches = await t.database.db
      .select({ status: chainWrite.status })
      .from(chainWrite)
      .innerJoin(mintBatch, eq(mintBatch.id, chainWrite.id))
      .where(eq(mintBatch.tokenAddress, token));
    expect(batches.filter((b) => b.status !== "CONFIRMED")).toEqual([]);
  }

  it("mints 100 requests exactly once while the worker process is SIGKILLed at random points and restarted", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(5);
    const ids = await requestMints(trancheId, investors, 100, "crash");
    // One worker at a time here, so a short lease only shortens the wait after each kill.
    // Small batches (25 transactions for 100 requests) leave more points to crash between.
    const env = { DATABASE_URL: databaseUrl, CHAIN_RPC_URL: rpcUrl, WORKER_LEASE_SECONDS: "1", MINT_BATCH_SIZE: "4" };
    let kills = 0;
    let broadcastKills = 0;
    const deadline = Date.now() + 150_000;
    while ((await openCount(ids)) > 0 && Date.now() < deadline) {
      const w = spawnWorker(env);
      if (kills < 8) {
        // Every kill waits for the restarted worker to broadcast, so it lands mid-run with work
        // left (a kill after a fixed delay could come after the fast worker had finished):
        // even kills at once, the transaction out and its receipt not yet recorded; odd kills
        // a random 0–40 ms later, anywhere in the settlement or the next batch.
        const broadcast = await w.waitFor(/mint transaction broadcast/, 15_000);
        if (kills % 2 === 0) {
          if (broadcast) broadcastKills++;
        } else {
          await sleep(Math.floor(Math.random() * 40));
        }
        await kill(w);
        kills++;
      } else {
        await waitSettled(ids, 60_000);
        await kill(w, "SIGTERM");
      }
    }
    // Up to 8 kills; the work may all settle before the last ones (a kill only comes while requests are open).
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(broadcastKills).toBeGreaterThan(0);
    await expectExactlyOnce(token, ids, fromBlock);
  }, 180_000);

  it("completes every request exactly once when the chain's RPC endpoint goes away mid-run and comes back", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(3);
    const proxy = await startProxy(new URL(rpcUrl));
    const w = spawnWorker({ DATABASE_URL: databaseUrl, CHAIN_RPC_URL: proxy.url(), MINT_BATCH_SIZE: "3" });
    try {
      expect(await w.waitFor(/mint worker started/, 30_000), w.output()).toBe(true);
      const ids = await requestMints(trancheId, investors, 24, "outage");
      expect(await w.waitFor(/mint transaction broadcast/, 15_000)).toBe(true);
      await proxy.stop();
      // While the endpoint is gone, nothing can settle that was not already settled.
      await sleep(2500);
      const stuck = await openCount(ids);
      expect(stuck).toBeGreaterThan(0);
      await proxy.start();
      expect(await waitSettled(ids, 90_000), w.output().slice(-3000)).toBe(true);
      expect(w.output()).toMatch(/will retry/);
      await expectExactlyOnce(token, ids, fromBlock);
    } finally {
      await kill(w, "SIGTERM");
      await proxy.stop().catch(() => {});
    }
  }, 150_000);

  it("two worker processes on one database never send one request twice nor reuse a nonce", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(4);
    const env = { DATABASE_URL: databaseUrl, CHAIN_RPC_URL: rpcUrl, MINT_BATCH_SIZE: "3" };
    const workers = [spawnWorker(env), spawnWorker(env)];
    try {
      for (const w of workers) expect(await w.waitFor(/mint worker started/, 30_000), w.output()).toBe(true);
      const ids = await requestMints(trancheId, investors, 40, "pair");
      expect(await waitSettled(ids, 90_000)).toBe(true);
      // Both took part: each broadcast some of the transactions.
      for (const w of workers) expect(w.output()).toMatch(/mint transaction broadcast/);
      await expectExactlyOnce(token, ids, fromBlock);
    } finally {
      await Promise.all(workers.map((w) => kill(w, "SIGTERM")));
    }
  }, 150_000);

  it("mints each request once while receipt lookups land on a lagging node and nonce counts on a current one", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(3);
    const proxy = await startRpcProxy(rpcUrl);
    const env = { DATABASE_URL: databaseUrl, CHAIN_RPC_URL: proxy.url, MINT_BATCH_SIZE: "3", MINT_STUCK_AFTER_SECONDS: "1" };
    const workers = [spawnWorker(env), spawnWorker(env)];
    try {
      for (const w of workers) expect(await w.waitFor(/mint worker started/, 30_000), w.output()).toBe(true);
      proxy.lagging = true;
      const ids = await requestMints(trancheId, investors, 24, "lag");
      // Lagging for a few seconds, current for a moment, lagging again: the old worker re-minted on every look.
      await sleep(3000);
      proxy.lagging = false;
      await sleep(500);
      proxy.lagging = true;
      await sleep(2500);
      proxy.lagging = false;
      expect(proxy.hiddenReceipts).toBeGreaterThan(0);
      expect(await waitSettled(ids, 90_000), workers.map((w) => w.output().slice(-2000)).join("\n")).toBe(true);
      for (const w of workers) expect(w.child.exitCode, w.output().slice(-2000)).toBeNull();
      await expectExactlyOnce(token, ids, fromBlock);
    } finally {
      await Promise.all(workers.map((w) => kill(w, "SIGTERM")));
      await proxy.close();
    }
  }, 150_000);

  it("a worker SIGSTOPped past its lease and resumed changes nothing another worker settled", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(2);
    // The paused worker's node is stuck at the current block: it never sees its mint mined, so
    // after a second it replaces the transaction again and again (same nonce, higher fee).
    const proxy = await startRpcProxy(rpcUrl);
    proxy.behindAt = await t.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    // Slow receipt answers keep it between reading the batch and writing about it most of the time.
    proxy.lagDelayMs = 700;
    const env = { DATABASE_URL: databaseUrl, WORKER_LEASE_SECONDS: "2", MINT_STUCK_AFTER_SECONDS: "1", MINT_BATCH_SIZE: "4" };
    const paused = spawnWorker({ ...env, CHAIN_RPC_URL: proxy.url });
    let other: Worker | undefined;
    try {
      expect(await paused.waitFor(/mint worker started/, 30_000), paused.output()).toBe(true);
      const ids = await requestMints(trancheId, investors, 4, "stop");
      expect(await paused.waitFor(/mint transaction broadcast/, 15_000), paused.output()).toBe(true);
      expect(await paused.waitFor(/replaced a stuck transaction/, 15_000), paused.output()).toBe(true);
      // Into its next look at the receipts (each slow), after it has read the batch as SUBMITTED.
      await sleep(400);
      paused.child.kill("SIGSTOP");
      // Its lease runs out; a second worker takes the job over and settles it.
      other = spawnWorker({ ...env, CHAIN_RPC_URL: rpcUrl });
      expect(await waitSettled(ids, 60_000), other.output().slice(-2000)).toBe(true);
      const settled = await t.database.db.select().from(mintRequest).where(inArray(mintRequest.id, ids));
      paused.child.kill("SIGCONT");
      // Awake with a stale "not mined, waited too long": it would replace the transaction once
      // more and name the replacement on the settled requests. Fenced, it finds its lease gone.
      expect(await paused.waitFor(/lost the race/, 20_000), paused.output().slice(-3000)).toBe(true);
      await sleep(500);
      expect(paused.child.exitCode, paused.output().slice(-2000)).toBeNull();
      const after = await t.database.db.select().from(mintRequest).where(inArray(mintRequest.id, ids));
      expect(after.map((r) => [r.id, r.status, r.txHash]).sort()).toEqual(settled.map((r) => [r.id, r.status, r.txHash]).sort());
      await expectExactlyOnce(token, ids, fromBlock);
    } finally {
      paused.child.kill("SIGCONT");
      await Promise.all([kill(paused, "SIGTERM"), other ? kill(other, "SIGTERM") : undefined]);
      await proxy.close();
    }
  }, 150_000);

  it("workers and the API ride out every database session terminated by the server, again and again", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(3);
    const env = { DATABASE_URL: databaseUrl, CHAIN_RPC_URL: rpcUrl, MINT_BATCH_SIZE: "3" };
    const workers = [spawnWorker(env), spawnWorker(env)];
    try {
      for (const w of workers) expect(await w.waitFor(/mint worker started/, 30_000), w.output()).toBe(true);
      const first = await requestMints(trancheId, investors, 15, "term-a");
      let terminated = 0;
      for (let round = 0; round < 6; round++) {
        // Every session of this database but the one asking: both workers', their LISTENs, and the API's pool.
        const rows = (await t.database.db.execute(
          sql`select pg_terminate_backend(pid) as ok from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        )) as unknown as { ok: boolean }[];
        terminated += (Array.isArray(rows) ? rows : (rows as any).rows).length;
        await sleep(300);
      }
      expect(terminated).toBeGreaterThan(6);
      // The API still takes requests (its pool reconnects) and the workers still mint them.
      const second = await requestMints(trancheId, investors, 9, "term-b", 20_000);
      const ids = [...first, ...second];
      expect(await waitSettled(ids, 90_000), workers.map((w) => w.output().slice(-2000)).join("\n")).toBe(true);
      for (const w of workers) expect(w.child.exitCode, w.output().slice(-3000)).toBeNull();
      await expectExactlyOnce(token, ids, fromBlock);
    } finally {
      await Promise.all(workers.map((w) => kill(w, "SIGTERM")));
    }
  }, 150_000);

  it("a worker started while the chain is down waits for it, then mints", async () => {
    const { trancheId, token, investors, fromBlock } = await readyTranche(2);
    const proxy = await startProxy(new URL(rpcUrl));
    await proxy.stop();
    const w = spawnWorker({ DATABASE_URL: databaseUrl, CHAIN_RPC_URL: proxy.url() });
    try {
      expect(await w.waitFor(/chain unreachable at start; retrying/, 15_000), w.output()).toBe(true);
      const ids = await requestMints(trancheId, investors, 6, "down");
      await sleep(2000);
      expect(w.child.exitCode, w.output()).toBeNull();
      await proxy.start();
      expect(await w.waitFor(/mint worker started/, 30_000), w.output()).toBe(true);
      expect(await waitSettled(ids, 60_000), w.output().slice(-2000)).toBe(true);
      await expectExactlyOnce(token, ids, fromBlock);
    } finally {
      await kill(w, "SIGTERM");
      await proxy.stop().catch(() => {});
    }
  }, 120_000);
});
