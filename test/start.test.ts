/**
 * `npm start` on embedded defaults: a child process with a fresh data dir starts PGlite,
 * the dev chain and the server, prints demo tokens, answers GraphQL, and exits cleanly on SIGTERM.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/** The development secrets as src/config.ts and the README publish them (what an operator might copy). */
const DEV_JWT_SECRET = "dev-only-jwt-secret-do-not-use-in-production";
const DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-do-not-use-in-production";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = mkdtempSync(path.join(tmpdir(), "dag-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("npm start", () => {
  it("builds, serves /graphql on embedded defaults within 60 s and stops on SIGTERM", async () => {
    const started = Date.now();
    // What `npm start` runs: its prestart build (tsc into dist/), then the start script itself
    // (run here without npm in between, so the signal below reaches the gateway directly).
    const { scripts } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(scripts.prestart).toBe("npm run build");
    execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), ...scripts.build!.split(" ").slice(1)], { cwd: root });
    const [command, ...args] = scripts.start!.split(" ");
    expect(command).toBe("node");
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, DATA_DIR: path.join(dataDir, "db"), PORT: "0", DEV_CHAIN_PORT: "0", DATABASE_URL: "", CHAIN_RPC_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

    let url: string | undefined;
    while (!url && Date.now() - started < 60_000) {
      url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output)?.[1];
      if (!url) await new Promise((r) => setTimeout(r, 100));
    }
    expect(url, output).toBeDefined();

    const ready = await fetch(`${url}/readyz`);
    expect(await ready.json()).toEqual({ status: "ready", database: "ok", chain: "ok", worker: "ok" });

    // A demo token printed at start works against the running server.
    await new Promise((r) => setTimeout(r, 200));
    const token = /ASSET_OWNER[^\n]*\n\s+Bearer (\S+)/.exec(output)?.[1];
    expect(token, output).toBeDefined();
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ dataAssets(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }" }),
    });
    expect(await res.json()).toEqual({ data: { dataAssets: { edges: [], pageInfo: { hasNextPage: false } } } });
    expect(Date.now() - started).toBeLessThan(60_000);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses to start in production with the development secrets the README publishes, naming the variable", async () => {
    const start = (env: Record<string, string>) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
          cwd: root,
          env: { ...process.env, DATA_DIR: path.join(dataDir, "prod"), PORT: "0", DEV_CHAIN_PORT: "0", DATABASE_URL: "", CHAIN_RPC_URL: "", NODE_ENV: "production", ...env },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (c) => (output += c));
        child.stderr.on("data", (c) => (output += c));
        child.on("exit", (code) => resolve({ code, output }));
      });
    const own = { JWT_SECRET: "a-production-secret-0123456789abcdef", WEBHOOK_SECRET: "a-webhook-secret-0123456789" };
    const jwt = await start({ ...own, JWT_SECRET: DEV_JWT_SECRET });
    expect(jwt.code, jwt.output).toBe(2);
    expect(jwt.output).toMatch(/JWT_SECRET: is the public development secret/);
    const webhook = await start({ ...own, WEBHOOK_SECRET: DEV_WEBHOOK_SECRET });
    expect(webhook.code, webhook.output).toBe(2);
    expect(webhook.output).toMatch(/WEBHOOK_SECRET: is the public development secret/);
  });
});
