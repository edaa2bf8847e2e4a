/**
 * `npm start` on embedded defaults: a child process with a fresh data dir starts PGlite,
 * the dev chain and the server, prints demo identities as shell lines that README.md's tour runs
 * with as written, answers GraphQL, and exits cleanly on SIGTERM.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/** The development secrets as src/config.ts and docs/operations.md publish them (what an operator might copy). */
const DEV_JWT_SECRET = "dev-only-jwt-secret-do-not-use-in-production";
const DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-do-not-use-in-production";

const root = path.resolve(import.meta.dirname, "..");

/**
 * The shell blocks of README.md's "A five-minute tour", run in bash after `exports` (the lines
 * npm start printed), as a newcomer pastes them. Returns every JSON answer the tour printed.
 */
function runTour(exports: string): unknown[] {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.split("## A five-minute tour")[1]!.split("\n## ")[0]!;
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(0);
  const script = `exec 2>&1\n${exports}\n${blocks.join("\n")}`;
  const result = spawnSync("bash", ["-eo", "pipefail", "-c", script], { encoding: "utf8", timeout: 60_000 });
  expect(result.status, result.stdout).toBe(0);
  return result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}
const dataDir = mkdtempSync(path.join(tmpdir(), "dag-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("npm start", () => {
  const name = "builds, serves /graphql on embedded defaults within 60 s, runs README.md's tour and stops on SIGTERM";
  it(name, { timeout: 120_000 }, async () => {
    const started = Date.now();
    // What `npm start` runs: its prestart build (tsc into dist/), then the start script itself
    // (run here without npm in between, so the signal below reaches the gateway directly).
    const { scripts } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(scripts.prestart).toBe("npm run build");
    execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), ...scripts.build!.split(" ").slice(1)], {
      cwd: root,
    });
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

    // The demo identities are printed as shell lines, named as README.md's tour uses them.
    await new Promise((r) => setTimeout(r, 200));
    const exports = output.split("\n").filter((line) => line.startsWith("export "));
    const names = exports.map((line) => /^export ([A-Z_]+)=/.exec(line)?.[1]);
    expect(names.sort(), output).toEqual(
      [
        "ADMIN",
        "COMPLIANCE",
        "DUSD",
        "EXCHANGE_ORG",
        "GQL",
        "INDEXER",
        "ISSUER",
        "ISSUER_ORG",
        "OPERATOR_ORG",
        "OWNER",
        "PROVIDER_ORG",
        "SETTLEMENT",
      ].sort(),
    );
    expect(exports.join("\n")).not.toMatch(/Bearer/);
    expect(output).toMatch(/ADMIN token also carries INDEXER/);
    const token = /^export OWNER=(\S+)$/m.exec(output)![1];
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ dataAssets(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }" }),
    });
    expect(await res.json()).toEqual({ data: { dataAssets: { edges: [], pageInfo: { hasNextPage: false } } } });
    expect(Date.now() - started).toBeLessThan(60_000);

    // The printed lines, pasted into a shell, then README.md's tour as written: every answer is data, no error.
    const answers = runTour(exports.join("\n"));
    expect(answers.length, answers.join("\n")).toBeGreaterThanOrEqual(10);
    for (const answer of answers) {
      expect(answer, answers.join("\n")).toHaveProperty("data");
      expect(JSON.stringify(answer), answers.join("\n")).not.toMatch(/"errors"|"code"/);
    }
    expect(answers[0]).toEqual({ data: { dataAssets: { edges: [] } } });
    expect(answers[1]).toMatchObject({ data: { registerDataAsset: { __typename: "DataAsset", status: "DRAFT" } } });
    const all = JSON.stringify(answers);
    expect(all).toContain('"status":"APPROVED"');
    expect(all).toMatch(/"tokenAddress":"0x[0-9a-fA-F]{40}"/);
    expect(all).toContain('"verifyAuditChain":{"ok":true');
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  it("refuses to start in production with the development secrets docs/operations.md publishes, naming the variable", async () => {
    const start = (env: Record<string, string>) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
          cwd: root,
          env: {
            ...process.env,
            DATA_DIR: path.join(dataDir, "prod"),
            PORT: "0",
            DEV_CHAIN_PORT: "0",
            DATABASE_URL: "",
            CHAIN_RPC_URL: "",
            NODE_ENV: "production",
            ...env,
          },
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
