/**
 * SIGTERM drains: a gateway process (npm start's entry) receiving SIGTERM while 100
 * requests and a batch of mints are in flight answers every request, finishes the job it
 * holds, leaves no job claimed, and exits 0.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { and, isNotNull } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, schema } from "../src/db/index.js";
import { issueToken } from "../src/auth/jwt.js";
import { TEST_JWT_SECRET, type TestGateway } from "./support/harness.js";
import {
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
} from "./support/flow.js";

const root = path.resolve(import.meta.dirname, "..");
const workDir = mkdtempSync(path.join(tmpdir(), "dag-sigterm-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe("SIGTERM", () => {
  it("answers every in-flight request, leaves no job claimed and exits 0", async () => {
    const dataDir = path.join(workDir, "db");
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: root,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        PORT: "0",
        DEV_CHAIN_PORT: "0",
        DATABASE_URL: "",
        CHAIN_RPC_URL: "",
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    let match: RegExpExecArray | null = null;
    while (!match && Date.now() < deadline) {
      match = /^export OPERATOR_ORG=([0-9a-f-]{36})$/m.exec(output);
      if (!match) await new Promise((r) => setTimeout(r, 100));
    }
    expect(match, output).not.toBeNull();
    // The child logs at warn, so its URL comes from the dev-chain-free line below.
    const url = await waitForUrl(() => output);

    // The flow helpers speak GraphQL over HTTP only: point them at the child process.
    const remote = {
      url,
      adminToken: await issueToken(TEST_JWT_SECRET, { subject: "admin", organizationId: match![1]!, roles: ["ADMIN"] }),
      tokenFor: (roles: string[], organizationId: string, subject = "tester") =>
        issueToken(TEST_JWT_SECRET, { subject, organizationId, roles: roles as any }),
      async gql(query: string, variables?: Record<string, unknown>, token?: string) {
        const res = await fetch(`${url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await res.json()) as any;
        return { status: res.status, data: body.data, errors: body.errors };
      },
    } as unknown as TestGateway;

    const a = await createActors(remote);
    const asset = await registerApprovedAsset(remote, a);
    const { offeringId, trancheId } = await createOfferingWithTranche(remote, a, asset.assetId);
    const { investorId } = await registerVerifiedInvestor(remote, a);
    await satisfyRequirements(remote, a, { ...asset, offeringId });
    await deployAndWhitelist(remote, a, trancheId, investorId);

    const mints = Array.from({ length: 10 }, (_, i) =>
      remote.gql(REQUEST_MINT, { input: { idempotencyKey: `drain-${i}`, trancheId, investorId, amount: "1000" } }, a.issuerToken),
    );
    const reads = Array.from({ length: 100 }, () =>
      fetch(`${url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "{ dataAssets(first: 20) { edges { node { id title owner { name } } } } }" }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any })),
    );
    // Let the requests reach the server, then ask it to stop while they are in flight.
    await new Promise((r) => setTimeout(r, 30));
    child.kill("SIGTERM");

    const answered = await Promise.all(reads);
    expect(answered.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(answered.every((r) => r.body.data.dataAssets.edges.length === 1)).toBe(true);
    const mintAnswers = await Promise.allSettled(mints);
    expect(await exited).toBe(0);

    // Every mint the server accepted is in the database; none of their jobs is left claimed.
    const database = await openDatabase({ dataDir });
    try {
      const claimed = await database.db
        .select()
        .from(schema.job)
        .where(and(isNotNull(schema.job.lockedUntil)));
      expect(claimed).toEqual([]);
      const accepted = mintAnswers.filter((m) => m.status === "fulfilled" && (m.value as any).data?.requestMint?.id).length;
      const stored = await database.db.select().from(schema.mintRequest);
      expect(stored.length).toBe(accepted);
      expect(stored.every((m) => m.status === "CONFIRMED" || m.status === "REQUESTED")).toBe(true);
    } finally {
      await database.close();
    }
  });
});

async function waitForUrl(output: () => string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = /listening on (http:\/\/[0-9.:]+)/.exec(output())?.[1];
    if (url) return url;
    if (Date.now() > deadline) throw new Error(`no URL in output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
