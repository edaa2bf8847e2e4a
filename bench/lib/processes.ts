/** Spawning the servers under test and reading their memory. */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export type Spawned = { child: ChildProcess; url: string; output: () => string; stop(): Promise<void> };

/**
 * Starts `node [...nodeFlags] [--import tsx] <script> ...args` (tsx for .ts files) and waits for a line matching `ready`
 * (its group 1 is the URL).
 */
export async function spawnTs(
  script: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  nodeFlags: string[] = [],
): Promise<Spawned> {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...nodeFlags, ...loader, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (c) => (output += c));
  child.stderr!.on("data", (c) => (output += c));
  const deadline = Date.now() + 120_000;
  let url: string | undefined;
  while (!url) {
    url = ready.exec(output)?.[1];
    if (url) break;
    if (child.exitCode !== null) throw new Error(`${script} exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${script} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/**
 * CPU time a live process has used so far (user + system), in milliseconds, from /proc. Over a
 * load, divided by the requests served, it is steadier than req/s on a shared machine.
 */
export function cpuMs(pid: number): number {
  return (statTicks(readFileSync(`/proc/${pid}/stat`, "utf8")) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** User + system CPU ticks from a /proc/<pid>/stat line. */
function statTicks(stat: string): number {
  // Fields after the command name (which may hold spaces, so split after its closing paren).
  const fields = stat.split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat(5))
}

/** CPU ticks (user + system) of each PostgreSQL server process on this machine, by pid. */
function postgresTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.includes("(postgres)")) ticks.set(entry, statTicks(stat));
    } catch {
      // The process ended while the list was read.
    }
  }
  return ticks;
}

/**
 * Starts counting the CPU time PostgreSQL's server processes on this machine spend (0 when it
 * runs elsewhere); the function returned gives the milliseconds since. Counted per process: a
 * backend that ends meanwhile (another server's pool closing) takes its time with it, which
 * a plain sum over the live processes would subtract.
 */
export function postgresCpu(): () => number {
  const before = postgresTicks();
  return () => {
    let ticks = 0;
    for (const [pid, now] of postgresTicks()) ticks += now - (before.get(pid) ?? 0);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  };
}
/**
 * Starts counting the CPU time the whole machine spends (every core, from /proc/stat); the
 * function returned gives the milliseconds since. For a process whose database sessions end
 * with it (the import CLI), where the per-process count loses them.
 */
export function machineCpu(): () => number {
  const busy = () => {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
      .split("\n")[0]!
      .trim()
      .split(/\s+/)
      .map(Number);
    return user! + nice! + system! + irq! + softirq! + steal!;
  };
  const before = busy();
  return () => ((busy() - before) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ, which Linux fixes at 100 for /proc on every architecture we run on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Peak resident set size of a live process, in MB (VmHWM from /proc). */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/**
 * The node flags `npm start` runs the gateway with (package.json's `start` script: `node <flags> dist/main.js`), so the
 * bench's gateway runs with the same V8 settings.
 */
export function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const words = pkg.scripts.start!.trim().split(/\s+/);
  if (words[0] !== "node" || words.at(-1) !== "dist/main.js") throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  // BENCH_NODE_FLAGS adds flags to try against the start script's (a memory sweep, a profile).
  return [...words.slice(1, -1), ...(process.env.BENCH_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? [])];
}

/** The gateway's memory as `bench/lib/memory-probe.mjs` reports it on SIGUSR2 (before and after a forced collection). */
export type MemoryProbe = {
  rssBeforeGcMb: number;
  hwmMb: number;
  rssAfterGcMb: number;
  heapTotalBeforeGcMb: number;
  heapUsedBeforeGcMb: number;
  heapTotalAfterGcMb: number;
  heapUsedAfterGcMb: number;
  externalAfterGcMb: number;
  arrayBuffersAfterGcMb: number;
  max: Record<string, number>;
  spacesAfterGcMb: Record<string, number>;
};

/** The node flags that preload the memory probe (bench only). */
export const MEMORY_PROBE_FLAGS = ["--import", path.join(ROOT, "bench/lib/memory-probe.mjs")];

/** Asks a server started with MEMORY_PROBE_FLAGS for its memory figures. */
export async function probeMemory(server: Spawned): Promise<MemoryProbe> {
  const seen = server.output().split("MEMORY_PROBE ").length;
  server.child.kill("SIGUSR2");
  const deadline = Date.now() + 120_000;
  for (;;) {
    const parts = server.output().split("MEMORY_PROBE ");
    if (parts.length > seen) return JSON.parse(parts[seen]!.split("\n")[0]!) as MemoryProbe;
    if (Date.now() > deadline) throw new Error("the memory probe did not answer");
    await new Promise((r) => setTimeout(r, 50));
  }
}
