/** Spawning the servers under test and reading their memory. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export type Spawned = { child: ChildProcess; url: string; output: () => string; stop(): Promise<void> };

/** Starts `node [--import tsx] <script> ...args` (tsx for .ts files) and waits for a line matching `ready` (its group 1 is the URL). */
export async function spawnTs(script: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<Spawned> {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...loader, script, ...args], {
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

/** Peak resident set size of a live process, in MB (VmHWM from /proc). */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}
