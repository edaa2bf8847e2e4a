/**
 * `npm start` on embedded defaults keeps its chain: the real start command in a child process,
 * one DATA_DIR across restarts. Tokens deployed, whitelisted and minted before a stop (SIGTERM,
 * or SIGKILL, which leaves anvil orphaned for the next start to stop) are still on the chain
 * after it (read back with viem), and the earlier tranche and a new one both mint again. A
 * database pointed at another chain, or whose chain lost its state, is refused at start.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPublicClient, http, type Address } from "viem";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { DataAssetTokenAbi } from "../src/chain/generated/DataAssetToken.js";
import { issueToken } from "../src/auth/jwt.js";
import { TEST_JWT_SECRET, poolSignerKey } from "./support/harness.js";
import {
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  waitForMint,
  type Actors,
  type GatewayClient,
} from "./support/flow.js";

const root = path.resolve(import.meta.dirname, "..");
/**
 * `npm start`'s build (tsc -p tsconfig.build.json) into a folder of this test's own:
 * test/start.test.ts rebuilds dist/ in a parallel worker, and a start that read dist/ while
 * tsc rewrote it could load a half-written file. The build finds ../../migrations beside it
 * as dist/ does, through a link.
 */
const build = path.join(root, "test/artifacts/embedded-chain");
const scratch = mkdtempSync(path.join(tmpdir(), "dag-chain-"));
const running = new Set<ChildProcess>();

type StartedGateway = GatewayClient & {
  url: string;
  rpcUrl: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
};

/** What `npm start` runs after its build, on `dataDir`, with free ports; resolves once it serves. */
async function startGatewayProcess(dataDir: string, env: Record<string, string> = {}): Promise<StartedGateway> {
  const child = spawn(process.execPath, [path.join(build, "dist/main.js")], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: "0",
      DEV_CHAIN_PORT: "0",
      DATABASE_URL: "",
      CHAIN_RPC_URL: "",
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  let adminToken: string | undefined;
  while (!(url && adminToken)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the gateway did not start:\n${output}`);
    url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output)?.[1];
    adminToken = /^export ADMIN=(\S+)$/m.exec(output)?.[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  const rpcUrl = /"rpcUrl":"([^"]+)"/.exec(output)?.[1] ?? env.CHAIN_RPC_URL!;
  return {
    url,
    rpcUrl,
    child,
    exited,
    output: () => output,
    adminToken,
    tokenFor: (roles, organizationId, subject = "tester") => issueToken(TEST_JWT_SECRET, { subject, organizationId, roles: roles as any }),
    async gql(query, variables, token) {
      const res = await fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as any;
      return { status: res.status, data: body.data, errors: body.errors };
    },
  };
}

/** A start that must be refused: its exit code and everything it printed. */
async function refusedStart(dataDir: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [path.join(build, "dist/main.js")], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: "0",
      DEV_CHAIN_PORT: "0",
      DATABASE_URL: "",
      CHAIN_RPC_URL: "",
      JWT_SECRET: TEST_JWT_SECRET,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const code = await new Promise<number | null>((resolve) =>
    child.on("exit", (c) => {
      running.delete(child);
      resolve(c);
    }),
  );
  return { code, output };
}

async function stop(gateway: StartedGateway, signal: "SIGTERM" | "SIGKILL") {
  gateway.child.kill(signal);
  const code = await gateway.exited;
  if (signal === "SIGTERM") expect(code, gateway.output()).toBe(0);
}

const chainReader = (rpcUrl: string) => createPublicClient({ transport: http(rpcUrl) });

async function mintConfirmed(g: GatewayClient, a: Actors, trancheId: string, investorId: string, amount: string, key: string) {
  const requested = await g.gql(REQUEST_MINT, { input: { idempotencyKey: key, trancheId, investorId, amount } }, a.issuerToken);
  expect(requested.data?.requestMint?.__typename, JSON.stringify(requested)).toBe("MintRequest");
  const settled = await waitForMint(g, a.issuerToken, requested.data.requestMint.id);
  expect(settled.status, JSON.stringify(settled)).toBe("CONFIRMED");
}

/** Deploys a tranche token, whitelists one investor and mints to them until CONFIRMED. */
async function issueAndMint(g: GatewayClient) {
  const a = await createActors(g);
  const asset = await registerApprovedAsset(g, a);
  const { offeringId, trancheId } = await createOfferingWithTranche(g, a, asset.assetId);
  await satisfyRequirements(g, a, { ...asset, offeringId });
  const investor = await registerVerifiedInvestor(g, a);
  const token = await deployAndWhitelist(g, a, trancheId, investor.investorId);
  await mintConfirmed(g, a, trancheId, investor.investorId, "1000", "before-restart");
  return { a, asset, trancheId, investor, token };
}

/** After a restart: the earlier token, balance and whitelist are on chain; old and new tranches mint. */
async function expectChainKept(g: StartedGateway, before: Awaited<ReturnType<typeof issueAndMint>>) {
  const chain = chainReader(g.rpcUrl);
  const read = (token: Address, functionName: "balanceOf" | "isWhitelisted", holder: Address) =>
    chain.readContract({ address: token, abi: DataAssetTokenAbi, functionName, args: [holder] });
  expect(await chain.getCode({ address: before.token })).toMatch(/^0x[0-9a-f]{100,}$/);
  expect(await read(before.token, "balanceOf", before.investor.wallet)).toBe(1000n);
  expect(await read(before.token, "isWhitelisted", before.investor.wallet)).toBe(true);

  await mintConfirmed(g, before.a, before.trancheId, before.investor.investorId, "500", "after-restart");
  expect(await read(before.token, "balanceOf", before.investor.wallet)).toBe(1500n);

  const asset = await registerApprovedAsset(g, before.a, "Port logistics 2026");
  const second = await createOfferingWithTranche(g, before.a, asset.assetId);
  await satisfyRequirements(g, before.a, { ...asset, offeringId: second.offeringId });
  const secondToken = await deployAndWhitelist(g, before.a, second.trancheId, before.investor.investorId);
  await mintConfirmed(g, before.a, second.trancheId, before.investor.investorId, "7", "new-tranche");
  expect(await read(secondToken, "balanceOf", before.investor.wallet)).toBe(7n);
}

beforeAll(() => {
  rmSync(build, { recursive: true, force: true });
  mkdirSync(build, { recursive: true });
  symlinkSync(path.join(root, "migrations"), path.join(build, "migrations"));
  execFileSync(
    process.execPath,
    [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", path.join(build, "dist")],
    {
      cwd: root,
    },
  );
});

// A test that failed half-way leaves its gateway running, holding the data dir.
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
});

afterAll(() => {
  // An anvil orphaned by a SIGKILLed gateway that no later start stopped.
  for (const pidFile of ["sigterm", "sigkill"].map((d) => path.join(scratch, d, "chain", "anvil.pid"))) {
    if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
  }
  rmSync(scratch, { recursive: true, force: true });
});

describe("the embedded chain across restarts of npm start", () => {
  it("keeps tokens, balances and whitelists after SIGTERM; old and new tranches mint", async () => {
    const dataDir = path.join(scratch, "sigterm");
    const first = await startGatewayProcess(dataDir);
    const before = await issueAndMint(first);
    await stop(first, "SIGTERM");

    const second = await startGatewayProcess(dataDir);
    await expectChainKept(second, before);
    await stop(second, "SIGTERM");
  });

  it("keeps them after SIGKILL too: the next start stops the orphaned anvil and reloads its state", async () => {
    const dataDir = path.join(scratch, "sigkill");
    const first = await startGatewayProcess(dataDir);
    const before = await issueAndMint(first);
    // anvil writes its state every second; a kill within a second of the last block may lose
    // that block, which the mint pipeline then sends again from the bytes it recorded.
    await new Promise((r) => setTimeout(r, 1_600));
    const orphan = Number(readFileSync(path.join(dataDir, "chain", "anvil.pid"), "utf8"));
    await stop(first, "SIGKILL");
    expect(existsSync(`/proc/${orphan}`), "anvil outlives a SIGKILLed parent").toBe(true);

    const second = await startGatewayProcess(dataDir);
    expect(existsSync(`/proc/${orphan}`), "the next start stopped the orphan").toBe(false);
    await expectChainKept(second, before);
    await stop(second, "SIGTERM");
  });

  it("refuses to start on another chain, or on a chain that lost its state, naming what differs (exit 2)", async () => {
    const dataDir = path.join(scratch, "sigterm");

    const external = await refusedStart(dataDir, { CHAIN_RPC_URL: inject("rpcUrl"), SIGNER_PRIVATE_KEY: poolSignerKey() });
    expect(external.code, external.output).toBe(2);
    expect(external.output).toContain("The connected chain is not the one this database's records were written on");
    expect(external.output).toMatch(/genesis block: records are on a chain whose block 0 is 0x[0-9a-f]{64}/);
    expect(external.output).toContain("point CHAIN_RPC_URL at the chain the records were written on");
    expect(external.output).not.toMatch(/^\s+at /m);

    rmSync(path.join(dataDir, "chain", "state.json"));
    const lost = await refusedStart(dataDir);
    expect(lost.code, lost.output).toBe(2);
    expect(lost.output).toContain("genesis block");
    expect(lost.output).toMatch(/token 0x[0-9a-fA-F]{40} \(a deployed tranche token\) has no code/);
    expect(lost.output).toContain("delete DATA_DIR");
    expect(existsSync(path.join(dataDir, "chain", "anvil.pid")), "the refused start stopped its anvil").toBe(false);
  });
});
