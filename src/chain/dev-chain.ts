/**
 * The embedded dev chain: anvil (Foundry's dev node, from npm) in a child process, serving
 * JSON-RPC on loopback so the gateway, tests and outside tools (indexers, wallets) all speak
 * to it the way they would speak to a real node. With a `stateFile` the chain survives
 * restarts: anvil loads the file at start, rewrites it every second and at exit (SIGTERM or
 * SIGINT). Without one the chain lives in memory (tests).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** Chain id of the embedded chain (the dev-chain convention, Hardhat's and anvil's default). */
export const DEV_CHAIN_ID = 31337;

/** The public test mnemonic the embedded chain funds; its keys guard nothing of value. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const DEV_ACCOUNTS = 20;

/** Private key of the dev chain's funded account `index` (0–19). */
export function devChainSignerKey(index = 0): `0x${string}` {
  return toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
}

export type DevChain = { rpcUrl: string; close(): Promise<void> };

export type DevChainOptions = {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Where the chain keeps its state across restarts; absent: in memory only. */
  stateFile?: string;
};

/** How long anvil may take to write its state and exit after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * Starts the dev chain (automine, chain id 31337, 20 funded accounts of the dev mnemonic).
 * @example const chain = await startDevChain({ port: 8545, stateFile: ".data/chain/state.json" }); // chain.rpcUrl
 */
export async function startDevChain(options: DevChainOptions): Promise<DevChain> {
  const host = options.host ?? "127.0.0.1";
  const args = ["--host", host, "--port", String(options.port), "--chain-id", String(DEV_CHAIN_ID)];
  args.push("--mnemonic", DEV_MNEMONIC, "--accounts", String(DEV_ACCOUNTS));
  const files = options.stateFile ? chainFiles(options.stateFile) : undefined;
  if (files) {
    mkdirSync(files.dir, { recursive: true });
    await stopStaleChain(files);
    args.push("--state", files.state, "--state-interval", "1", "--timestamp", String(genesisTimestamp(files)));
  }

  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  // Written at once: a gateway killed while anvil starts leaves an orphan the next start must find.
  if (files && child.pid) writeFileSync(files.pid, String(child.pid));
  const address = await listeningAddress(child, files?.state);
  const rpcUrl = `http://${address}`;
  if (files) {
    // The genesis timestamp is pinned (see genesisTimestamp), and anvil's clock starts from it;
    // set the clock to now so new blocks are not stamped in the past.
    await rpc(rpcUrl, "evm_setTime", [Math.floor(Date.now() / 1000)]);
  }
  return {
    rpcUrl,
    async close() {
      await stopChild(child);
      if (files) rmSync(files.pid, { force: true });
    },
  };
}

type ChainFiles = { dir: string; state: string; pid: string; genesis: string };

function chainFiles(stateFile: string): ChainFiles {
  const dir = path.dirname(path.resolve(stateFile));
  return { dir, state: path.resolve(stateFile), pid: path.join(dir, "anvil.pid"), genesis: path.join(dir, "genesis-timestamp") };
}

/**
 * The genesis block's timestamp for this state file, chosen when the chain is created.
 * anvil makes a new genesis block at every start (the current time is in it) and keeps the
 * loaded ones too, so block 0 would answer with a different hash after a restart; the same
 * timestamp gives the same genesis block, which is how the gateway recognises its chain.
 */
function genesisTimestamp(files: ChainFiles): number {
  if (existsSync(files.state) && existsSync(files.genesis)) return Number(readFileSync(files.genesis, "utf8").trim());
  const now = Math.floor(Date.now() / 1000);
  writeFileSync(files.genesis, String(now));
  return now;
}

/**
 * A `npm start` that was SIGKILLed leaves its anvil running, still holding the port and
 * writing the state file. Before a new chain opens that file, the old one is stopped with
 * SIGTERM (so it writes its latest state) — but only a process that is anvil on this very
 * state file: a pid can be reused by anything once the old process is gone.
 */
async function stopStaleChain(files: ChainFiles): Promise<void> {
  if (!existsSync(files.pid)) return;
  const pid = Number(readFileSync(files.pid, "utf8").trim());
  rmSync(files.pid, { force: true });
  let commandLine: string[];
  try {
    commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return; // gone already
  }
  if (!path.basename(commandLine[0] ?? "").startsWith("anvil") || !commandLine.includes(files.state)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (existsSync(`/proc/${pid}`)) process.kill(pid, "SIGKILL");
}

/** The anvil binary shipped in its platform package (`@foundry-rs/anvil-linux-amd64` here): nothing is downloaded. */
function anvilBinary(): string {
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${platformPackage}/package.json`);
    return path.join(path.dirname(manifest), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  } catch {
    throw new Error(
      `The embedded chain needs the npm package ${platformPackage} (anvil for this platform); install it or set CHAIN_RPC_URL`,
    );
  }
}

/** Resolves to anvil's `host:port` once it listens; rejects with what went wrong if it exits first. */
function listeningAddress(child: ChildProcess, stateFile: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /Listening on (\S+)/.exec(output);
      if (!match) return;
      // anvil logs every call; from here on its output is drained and dropped.
      child.off("exit", onExit);
      child.stdout!.off("data", onData).resume();
      child.stderr!.off("data", onData).resume();
      resolve(match[1]!);
    };
    const onExit = (code: number | null) => reject(new Error(startFailure(code, output, stateFile)));
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", onExit);
    child.once("error", reject);
  });
}

function startFailure(code: number | null, output: string, stateFile: string | undefined): string {
  if (/Address already in use/.test(output)) {
    return "The dev chain's port is in use (another node, or an anvil left by a killed npm start on another DATA_DIR): stop it or set DEV_CHAIN_PORT";
  }
  if (stateFile && /failed to parse json file/.test(output)) {
    // anvil rewrites the file in place: an anvil killed mid-write (not a killed npm start, whose
    // anvil lives on) leaves it cut short.
    return `The dev chain's state file ${stateFile} is damaged (anvil was killed while writing it): restore it, or delete DATA_DIR to start database and chain over.\n${output.slice(-500)}`;
  }
  return `anvil exited (${code}) before listening:\n${output.slice(-2000)}`;
}

/** SIGTERM (anvil then writes its state and exits), SIGKILL if it has not exited in time. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

async function rpc(rpcUrl: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
