/**
 * Bulk import: 10,000 generated assets with bad lines mixed in (each reported by number,
 * the good ones kept, written with multi-row inserts), the atomic mode, the GraphQL batch
 * mutation and the `npm run import` command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { count, eq, sql } from "drizzle-orm";
import { openDatabase, schema } from "../src/db/index.js";
import { importDataAssets, type ImportContext } from "../src/assets/import.js";
import { verifyAuditChain } from "../src/audit/service.js";
import { insertOrganization } from "../src/organizations/service.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, createActors, digest, type Actors } from "./support/flow.js";

let t: TestGateway;
let a: Actors;
let statements: string[] | undefined;
beforeAll(async () => {
  t = await startTestGateway({
    gateway: { workerEnabled: false, indexer: { pollerEnabled: false, pollIntervalMs: 3_600_000 } },
    onQuery: (q) => statements?.push(q),
  });
  a = await createActors(t);
});
afterAll(async () => t?.close());

/** Generates JSONL: good assets, with a bad line of a known kind at known line numbers. */
function generate(total: number) {
  const lines: string[] = [];
  const bad = new Map<number, RegExp>();
  for (let n = 1; n <= total; n++) {
    const good = {
      title: `Generated ${n}`,
      category: "GEN",
      tags: ["gen", `g${n % 10}`],
      contentDigest: digest(`gen-${n}`),
      recordCount: String(n * 10),
      securityLevel: "GENERAL",
    };
    if (n % 1000 === 17) {
      lines.push(`{"title": "broken ${n}",`);
      bad.set(n, /not valid JSON/);
    } else if (n % 1000 === 230) {
      lines.push(JSON.stringify({ ...good, title: "" }));
      bad.set(n, /title: must not be empty/);
    } else if (n % 1000 === 512) {
      lines.push(JSON.stringify({ ...good, contentDigest: "0xnothex" }));
      bad.set(n, /contentDigest: must be a 0x-prefixed sha256 digest/);
    } else if (n % 1000 === 777) {
      lines.push(JSON.stringify({ ...good, containsPersonalInfo: true }));
      bad.set(n, /personalInfoTreatment: must name a treatment/);
    } else if (n % 2500 === 1) {
      lines.push(""); // blank lines are skipped, not reported
    } else {
      lines.push(JSON.stringify(good));
    }
  }
  return { lines, bad, blanks: lines.filter((l) => l === "").length };
}

const ctxFor = (organizationId: string): ImportContext => ({
  db: t.database.db,
  auth: { kind: "actor", actor: { subject: "importer", organizationId, roles: ["ASSET_OWNER"] } },
  now: () => new Date(),
});
const assetsOf = async (orgId: string) =>
  Number((await t.database.db.select({ n: count() }).from(schema.dataAsset).where(eq(schema.dataAsset.ownerOrgId, orgId)))[0]!.n);

describe("bulk import", () => {
  // First: the HTTP test runs before the long in-process imports, so no idle keep-alive socket is reused after them.
  it("importDataAssets over GraphQL: bad items reported by position, at most 1000 per call", async () => {
    const IMPORT = `mutation($input: [RegisterDataAssetInput!]!, $atomic: Boolean) { importDataAssets(input: $input, atomic: $atomic) {
      __typename ... on ImportSummary { imported committed assetIds failed { line reason } } ... on ValidationError { issues { path message } } ${ERROR_FIELDS} } }`;
    const item = (n: number) => ({ title: `GraphQL ${n}`, category: "GQL", contentDigest: digest(`gql-${n}`) });
    const r = await t.gql(IMPORT, { input: [item(1), { ...item(2), contentDigest: "0x00" }, item(3)] }, a.ownerToken);
    expect(r.data.importDataAssets).toMatchObject({ __typename: "ImportSummary", imported: 2, committed: true });
    expect(r.data.importDataAssets.failed).toEqual([{ line: 2, reason: expect.stringMatching(/^contentDigest: /) }]);
    const [row] = await t.database.db.select().from(schema.dataAsset).where(eq(schema.dataAsset.id, r.data.importDataAssets.assetIds[0]));
    expect(row).toMatchObject({ title: "GraphQL 1", ownerOrgId: a.providerOrgId });

    const tooMany = await t.gql(IMPORT, { input: Array.from({ length: 1001 }, (_, i) => item(i)) }, a.ownerToken);
    expect(tooMany.data.importDataAssets).toMatchObject({ __typename: "ValidationError", issues: [{ path: "input" }] });
    expect((await t.gql(IMPORT, { input: [item(9)] }, a.officerToken)).data.importDataAssets.__typename).toBe("ForbiddenError");
  });

  it("importDataAssets over GraphQL: a NUL in the middle is reported by position, the others kept; atomic keeps nothing", async () => {
    const IMPORT = `mutation($input: [RegisterDataAssetInput!]!, $atomic: Boolean) { importDataAssets(input: $input, atomic: $atomic) {
      __typename ... on ImportSummary { imported committed failed { line reason } } ${ERROR_FIELDS} } }`;
    const item = (n: number, title = `Middle ${n}`) => ({ title, category: "MID", contentDigest: digest(`mid-${n}`) });
    const input = [item(1), item(2, "bad \u0000 title"), item(3), { ...item(4), tags: ["\udfff"] }, item(5)];
    const before = await assetsOf(a.providerOrgId);
    const r = await t.gql(IMPORT, { input }, a.ownerToken);
    expect(r.status).toBe(200);
    expect(r.data.importDataAssets).toEqual({
      __typename: "ImportSummary",
      imported: 3,
      committed: true,
      failed: [
        { line: 2, reason: "title: must not contain the NUL character (U+0000)" },
        { line: 4, reason: "tags.0: must not contain a lone UTF-16 surrogate (not valid Unicode text)" },
      ],
    });
    expect(await assetsOf(a.providerOrgId)).toBe(before + 3);

    const atomic = await t.gql(IMPORT, { input: [item(6), item(7, "bad \u0000 title"), item(8)], atomic: true }, a.ownerToken);
    expect(atomic.data.importDataAssets).toMatchObject({
      __typename: "ImportSummary",
      imported: 0,
      committed: false,
      failed: [{ line: 2 }],
    });
    expect(await assetsOf(a.providerOrgId)).toBe(before + 3);
  });

  it("imports 10,000 generated lines, reports each bad line by number, keeps the good ones, in multi-row inserts", async () => {
    const org = (await insertOrganization(t.database.db, { name: "Bulk Co.", kind: "DATA_PROVIDER", jurisdiction: "CN", licenses: [] })).id;
    const { lines, bad, blanks } = generate(10_000);
    expect(bad.size).toBe(40);
    const progress: number[] = [];
    statements = [];
    const summary = await importDataAssets(
      ctxFor(org),
      lines.map((value, i) => ({ line: i + 1, value })),
      { onProgress: (p) => progress.push(p.processed) },
    );
    const seen = statements;
    statements = undefined;

    expect(summary.imported).toBe(10_000 - bad.size - blanks);
    expect(summary.failed.map((f) => f.line)).toEqual([...bad.keys()]);
    for (const f of summary.failed) expect(f.reason).toMatch(bad.get(f.line)!);
    expect(await assetsOf(org)).toBe(summary.imported);
    const versions = await t.database.db
      .select({ n: count() })
      .from(schema.dataAssetVersion)
      .innerJoin(schema.dataAsset, eq(schema.dataAsset.id, schema.dataAssetVersion.assetId))
      .where(eq(schema.dataAsset.ownerOrgId, org));
    expect(Number(versions[0]!.n)).toBe(summary.imported);
    const [sample] = await t.database.db.select().from(schema.dataAsset).where(eq(schema.dataAsset.title, "Generated 4321"));
    expect(sample).toMatchObject({ ownerOrgId: org, status: "DRAFT", recordCount: 43210n, tags: ["gen", "g1"] });

    // Multi-row inserts: one INSERT per table per batch of 1000, not one per row.
    const assetInserts = seen.filter((q) => /^insert into "data_asset"/i.test(q)).length;
    expect(assetInserts).toBe(Math.ceil(summary.imported / 1000));
    expect(seen.length).toBeLessThan(100);
    expect(progress.at(-1)).toBe(10_000 - blanks);
    expect((await verifyAuditChain(t.database.db)).ok).toBe(true);
  });

  it("a NUL or a lone surrogate in the middle of a batch is a line error: the batch's other lines are kept", async () => {
    const org = (await insertOrganization(t.database.db, { name: "Refused Co.", kind: "DATA_PROVIDER", jurisdiction: "CN", licenses: [] }))
      .id;
    // Before: line 1500 passed validation and PostgreSQL refused its NUL, failing batch 2 of 4.
    const title = (n: number) => (n === 1500 ? "nul \u0000 title" : n === 2600 ? "lone \ud800 surrogate" : `Refused ${n}`);
    const lines = Array.from({ length: 3500 }, (_, i) =>
      JSON.stringify({ title: title(i + 1), category: "NUL", contentDigest: digest(`nul-${i}`) }),
    );
    const summary = await importDataAssets(
      ctxFor(org),
      lines.map((value, i) => ({ line: i + 1, value })),
    );
    expect(summary.failed).toEqual([
      { line: 1500, reason: "title: must not contain the NUL character (U+0000)" },
      { line: 2600, reason: "title: must not contain a lone UTF-16 surrogate (not valid Unicode text)" },
    ]);
    expect(summary.imported).toBe(3498);
    expect(await assetsOf(org)).toBe(3498);
    expect((await verifyAuditChain(t.database.db)).ok).toBe(true);
  });

  it("a batch the database still refuses for a row's value is written row by row: only that row is refused", async () => {
    // A rule the schema does not know, to make PostgreSQL refuse one row of a valid batch.
    await t.database.db.execute(sql`alter table data_asset add constraint test_refused_title check (title <> 'Refused by the database')`);
    try {
      const org = (
        await insertOrganization(t.database.db, { name: "Constraint Co.", kind: "DATA_PROVIDER", jurisdiction: "CN", licenses: [] })
      ).id;
      const lines = Array.from({ length: 2500 }, (_, i) =>
        JSON.stringify({
          title: i + 1 === 1200 ? "Refused by the database" : `Constrained ${i + 1}`,
          category: "CHK",
          contentDigest: digest(`chk-${i}`),
        }),
      );
      const input = () => lines.map((value, i) => ({ line: i + 1, value }));
      const summary = await importDataAssets(ctxFor(org), [...input(), { line: 2501, value: "{" }]);
      expect(summary.failed).toEqual([
        { line: 1200, reason: expect.stringMatching(/^the database refused it: breaks the rule test_refused_title/) },
        { line: 2501, reason: expect.stringMatching(/^not valid JSON/) },
      ]);
      expect(summary.imported).toBe(2499);
      expect(await assetsOf(org)).toBe(2499);

      const atomic = await importDataAssets(ctxFor(org), input(), { atomic: true, batchSize: 500 });
      expect(atomic).toMatchObject({ committed: false, imported: 0, failed: [{ line: 1200 }] });
      expect(await assetsOf(org)).toBe(2499);
      expect((await verifyAuditChain(t.database.db)).ok).toBe(true);
    } finally {
      await t.database.db.execute(sql`alter table data_asset drop constraint test_refused_title`);
    }
  });

  it("--atomic keeps nothing when any line is bad, and everything when all are good", async () => {
    const org = (await insertOrganization(t.database.db, { name: "Atomic Co.", kind: "DATA_PROVIDER", jurisdiction: "CN", licenses: [] }))
      .id;
    const { lines } = generate(1500);
    const refused = await importDataAssets(
      ctxFor(org),
      lines.map((value, i) => ({ line: i + 1, value })),
      { atomic: true, batchSize: 500 },
    );
    expect(refused).toMatchObject({ atomic: true, committed: false, imported: 0 });
    expect(refused.failed.map((f) => f.line)).toEqual([17, 230, 512, 777, 1017, 1230]);
    expect(await assetsOf(org)).toBe(0);

    const good = lines.filter((_, i) => ![17, 230, 512, 777, 1017, 1230].includes(i + 1));
    const accepted = await importDataAssets(
      ctxFor(org),
      good.map((value, i) => ({ line: i + 1, value })),
      { atomic: true, batchSize: 500 },
    );
    expect(accepted).toMatchObject({ committed: true, failed: [] });
    expect(await assetsOf(org)).toBe(accepted.imported);
  });

  it("npm run import: progress, a summary naming each bad line, and the exit code", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dag-import-"));
    try {
      const dataDir = path.join(dir, "pgdata");
      const seed = await openDatabase({ dataDir });
      const org = (await insertOrganization(seed.db, { name: "CLI Co.", kind: "DATA_PROVIDER", jurisdiction: "CN", licenses: [] })).id;
      await seed.close();
      const file = path.join(dir, "assets.jsonl");
      const { lines } = generate(300);
      writeFileSync(file, `${lines.join("\n")}\n`);
      const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", LOG_LEVEL: "silent" };
      const run = promisify(execFile);
      const result = await run(process.execPath, ["--import", "tsx", "scripts/import.ts", file, "--org", org, "--batch", "100"], {
        env,
      }).catch((e) => e);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("line 17: not valid JSON");
      expect(result.stdout).toContain("line 230: title: must not be empty");
      expect(result.stdout).toContain("summary (line by line): 297 imported, 2 refused");
      expect(result.stderr).toMatch(/100%\s+299 lines, 297 imported, 2 refused/);

      const usage = await run(process.execPath, ["--import", "tsx", "scripts/import.ts", file], { env }).catch((e) => e);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain("--org is required");

      // Good line / NUL / bytes that are not UTF-8 / good line: both good lines kept, the bad
      // ones reported by number (the bad bytes are not stored as U+FFFD), no crash, exit 1.
      const mixed = path.join(dir, "mixed.jsonl");
      const good = (n: number) => JSON.stringify({ title: `Mixed ${n}`, category: "MIX", contentDigest: digest(`mixed-${n}`) });
      writeFileSync(
        mixed,
        Buffer.concat([
          Buffer.from(`${good(1)}\n${JSON.stringify({ title: "nul \u0000", category: "MIX", contentDigest: digest("mixed-nul") })}\n`),
          Buffer.from(`{"title":"Caf`),
          Buffer.from([0xe9]),
          Buffer.from(`","category":"MIX","contentDigest":"${digest("mixed-latin1")}"}\r\n`),
          Buffer.from(`${good(4)}\r\n`),
        ]),
      );
      const atomicRun = await run(process.execPath, ["--import", "tsx", "scripts/import.ts", mixed, "--org", org, "--atomic"], {
        env,
      }).catch((e) => e);
      expect(atomicRun.code).toBe(1);
      expect(atomicRun.stdout).toContain("summary (atomic): 2 bad lines, nothing imported");
      const mixedRun = await run(process.execPath, ["--import", "tsx", "scripts/import.ts", mixed, "--org", org], { env }).catch((e) => e);
      expect(mixedRun.code).toBe(1);
      expect(mixedRun.stdout).toContain("line 2: title: must not contain the NUL character (U+0000)");
      expect(mixedRun.stdout).toContain("line 3: not valid UTF-8");
      expect(mixedRun.stdout).toContain("summary (line by line): 2 imported, 2 refused");
      expect(`${mixedRun.stdout}${mixedRun.stderr}`).not.toMatch(/Failed query|insert into|\n\s+at /);

      const check = await openDatabase({ dataDir });
      const [n] = await check.db.select({ n: count() }).from(schema.dataAsset);
      const mixedTitles = (
        await check.db.select({ title: schema.dataAsset.title }).from(schema.dataAsset).where(eq(schema.dataAsset.category, "MIX"))
      ).map((r) => r.title);
      await check.close();
      expect(Number(n!.n)).toBe(297 + 2); // line 1 of the first file is blank; the mixed file's two good lines
      expect(mixedTitles.sort()).toEqual(["Mixed 1", "Mixed 4"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
