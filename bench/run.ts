/**
 * npm run bench [-- --quick] [-- --million] [-- --only reads|mint|dvp|distribution|import|pglite]
 *
 * Measures what users feel, each figure next to a peer or the physical limit in the same run
 * on the same machine: catalogue reads (ours vs PostGraphile vs one raw SQL query), minting
 * (GraphQL → queue → worker → chain vs a raw viem loop), DvP subscriptions (GraphQL → settlement
 * worker → settlement contract vs a raw viem loop on a second one), import (`npm run import` vs COPY),
 * server memory, and read latency as the catalogue grows. Needs a PostgreSQL server
 * (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres); it creates and
 * drops its own database. Every workload checks its answers before it times anything.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createPublicClient, createWalletClient, http, zeroAddress, type Address } from "viem";
import { privateKeyToAccount, generatePrivateKey } from "viem/accounts";
import { openDatabase } from "../src/db/index.js";
import { issueToken } from "../src/auth/jwt.js";
import { devChainSignerKey } from "../src/chain/dev-chain.js";
import { DataAssetTokenAbi, DataAssetTokenBytecode } from "../src/chain/generated/DataAssetToken.js";
import {
  REQUEST_MINT,
  REQUEST_MINTS,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
  whitelistInvestor,
} from "../test/support/flow.js";
import type { TestGateway } from "../test/support/harness.js";
import {
  MEMORY_PROBE_FLAGS,
  ROOT,
  cpuMs,
  peakRssMb,
  postgresCpu,
  machineCpu,
  probeMemory,
  spawnTs,
  startScriptNodeFlags,
  type MemoryProbe,
  type Spawned,
} from "./lib/processes.js";
import { load, postJson, type LoadResult } from "./lib/load.js";
import { benchDvp } from "./lib/dvp.js";
import { benchDistribution } from "./lib/distribution.js";
import { benchPglite } from "./lib/pglite.js";
import { CATEGORIES, SEARCH_TERM, assetLine, seedOrganizations, seedRightsProvenanceAndPublish, writeJsonl } from "./lib/seed.js";

const { values: flags } = parseArgs({
  options: { quick: { type: "boolean", default: false }, million: { type: "boolean", default: false }, only: { type: "string" } },
});
// `--only reads|mint|dvp|distribution|import|pglite` runs one workload (for working on it); it prints but writes no results file.
const SECTIONS = ["reads", "mint", "dvp", "distribution", "import", "pglite"] as const;
if (flags.only && !SECTIONS.includes(flags.only as never)) throw new Error(`--only takes one of ${SECTIONS.join(", ")}`);
const want = (section: (typeof SECTIONS)[number]) => !flags.only || flags.only === section;
const QUICK = flags.quick;
const PROFILE = QUICK
  ? {
      sizes: [5_000, 20_000],
      loadSeconds: 3,
      connections: [1, 10, 50],
      seqMints: 20,
      batchMints: 200,
      bulkMints: 1_000,
      bulkInvestors: 20,
      seqDvp: 20,
      batchDvp: 200,
      holders: 200,
    }
  : {
      sizes: [10_000, 100_000, ...(flags.million ? [1_000_000] : [])],
      loadSeconds: 10,
      connections: [1, 10, 50],
      seqMints: 200,
      batchMints: 1000,
      bulkMints: 5_000,
      bulkInvestors: 50,
      seqDvp: 100,
      batchDvp: 500,
      holders: 1_000,
    };
/** The catalogue size at which the servers are compared side by side (the growth steps go on past it). */
const READS_AT = PROFILE.sizes.includes(100_000) ? 100_000 : PROFILE.sizes.at(-1)!;
const JWT_SECRET = "bench-secret-0123456789abcdef0123456789";
// BENCH_PORT_OFFSET lets two runs share a machine without their servers colliding.
const PORT_OFFSET = Number(process.env.BENCH_PORT_OFFSET ?? 0);
const PORTS = {
  ours: 14100 + PORT_OFFSET,
  postgraphile: 14200 + PORT_OFFSET,
  raw: 14300 + PORT_OFFSET,
  pglite: 14400 + PORT_OFFSET,
  chain: 18545 + PORT_OFFSET,
};

const adminUrl = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const dbName = `dag_bench_${Date.now()}`;
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const work = mkdtempSync(path.join(tmpdir(), "dag-bench-"));
const log = (...args: unknown[]) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...args);

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  profile: QUICK ? "quick" : flags.million ? "full+million" : "full",
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version },
};
const table: string[][] = [];
const row = (...cells: (string | number)[]) => table.push(cells.map(String));
const ratio = (a: number, b: number) => (b === 0 ? "n/a" : `${(a / b).toFixed(2)}×`);

// ---------- catalogue queries, one per server ----------
const LIST_QUERY = `query CatalogueList($category: [String!]) {
  dataAssets(first: 50, filter: { category: $category }) {
    edges { node { id title category status owner { id name }
      ownershipRights { holderOrgId rightType shareBps }
      latestProvenance { kind outputDigest startedAt } } }
  }
}`;
const SEARCH_QUERY = `query CatalogueSearch($q: String!) {
  dataAssets(first: 50, search: $q) { edges { node { id title owner { name } ownershipRights { rightType shareBps } latestProvenance { kind } } } }
}`;
const PG_LIST_QUERY = `query CatalogueList($category: String!) {
  allDataAssets(first: 50, condition: { category: $category, status: "APPROVED" }, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) {
    nodes { rowId title category status organizationByOwnerOrgId { rowId name }
      ownershipRightsByAssetId(orderBy: CREATED_AT_ASC) { nodes { holderOrgId rightType shareBps } }
      provenanceActivitiesByAssetId(first: 1, orderBy: STARTED_AT_DESC) { nodes { kind outputDigest startedAt } } }
  }
}`;
const PG_SEARCH_QUERY = `query CatalogueSearch($q: String!) {
  searchDataAssets(q: $q, first: 50) { nodes { rowId title organizationByOwnerOrgId { name }
    ownershipRightsByAssetId { nodes { rightType shareBps } } provenanceActivitiesByAssetId(first: 1, orderBy: STARTED_AT_DESC) { nodes { kind } } } }
}`;

type Server = {
  name: string;
  list: () => Promise<string[]>;
  search: () => Promise<string[]>;
  listReq: { url: string; body: unknown };
  searchReq: { url: string; body: unknown };
  proc: Spawned;
};

async function main() {
  log(`profile ${results.profile}; database ${dbName}`);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${dbName}`);
  const sql = postgres(dbUrl, { max: 4, onnotice: () => {} });
  const servers: Spawned[] = [];
  try {
    const migrated = await openDatabase({ url: dbUrl, maxConnections: 2 });
    await migrated.close();
    // PostGraphile's closest equivalent of our full-text search: a set-returning function.
    await sql.unsafe(`
      create function search_data_assets(q text) returns setof data_asset stable language sql as $$
        select * from data_asset where search_vector @@ websearch_to_tsquery('english', q) and status in ('APPROVED', 'OFFERED', 'TOKENIZED')
        order by ts_rank(search_vector, websearch_to_tsquery('english', q)) desc, created_at desc, id desc $$`);
    const orgs = await seedOrganizations(sql, 20);

    // ---------- the dev chain in its own process, then our server (API + mint worker + indexer) ----------
    const chain = await spawnTs("bench/chain-server.ts", [String(PORTS.chain)], {}, /READY (http:\/\/\S+)/);
    servers.push(chain);
    // What `npm start` runs: the build in dist/, on node alone.
    execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
    const ours = await spawnTs(
      "dist/main.js",
      [],
      {
        DATABASE_URL: dbUrl,
        PORT: String(PORTS.ours),
        CHAIN_RPC_URL: chain.url,
        SIGNER_PRIVATE_KEY: devChainSignerKey(0),
        JWT_SECRET,
        WEBHOOK_SECRET: JWT_SECRET,
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
      },
      /listening on (http:\/\/[0-9.:]+)/,
      // The V8 flags of `npm start`, and the bench's memory probe (forced collections on SIGUSR2, for the figures only).
      [...startScriptNodeFlags(), ...MEMORY_PROBE_FLAGS],
    );
    servers.push(ours);
    const oursGraphql = `${ours.url}/graphql`;
    const memoryIdle = await probeMemory(ours);
    log(`server idle: ${JSON.stringify(memoryIdle)}`);

    // ---------- catalogue reads: ours vs PostGraphile vs raw SQL, at 100k assets (or the largest quick size) ----------
    let reads:
      | Record<string, Record<string, Record<number, LoadResult & { cpuMsPerRequest?: number; dbCpuMsPerRequest?: number }>>>
      | undefined;
    let oursRssAfterReads: number | undefined;
    let memoryAfterReads: MemoryProbe | undefined;
    const compareReads = async () => {
      const pg = await spawnTs("bench/postgraphile-server.mjs", [dbUrl, String(PORTS.postgraphile)], {}, /READY (http:\/\/\S+)/);
      servers.push(pg);
      const raw = await spawnTs("bench/raw-server.ts", [dbUrl, String(PORTS.raw)], {}, /READY (http:\/\/\S+)/);
      servers.push(raw);
      const category = "ENERGY";
      const catalogue: Server[] = [
        {
          name: "ours",
          proc: ours,
          listReq: { url: oursGraphql, body: { query: LIST_QUERY, variables: { category: [category] } } },
          searchReq: { url: oursGraphql, body: { query: SEARCH_QUERY, variables: { q: SEARCH_TERM } } },
          list: async () =>
            (await postJson(oursGraphql, { query: LIST_QUERY, variables: { category: [category] } })).data.dataAssets.edges.map(
              (e: any) => e.node.id,
            ),
          search: async () =>
            (await postJson(oursGraphql, { query: SEARCH_QUERY, variables: { q: SEARCH_TERM } })).data.dataAssets.edges.map(
              (e: any) => e.node.id,
            ),
        },
        {
          name: "postgraphile",
          proc: pg,
          listReq: { url: pg.url, body: { query: PG_LIST_QUERY, variables: { category } } },
          searchReq: { url: pg.url, body: { query: PG_SEARCH_QUERY, variables: { q: SEARCH_TERM } } },
          list: async () =>
            (await postJson(pg.url, { query: PG_LIST_QUERY, variables: { category } })).data.allDataAssets.nodes.map((n: any) => n.rowId),
          search: async () =>
            (await postJson(pg.url, { query: PG_SEARCH_QUERY, variables: { q: SEARCH_TERM } })).data.searchDataAssets.nodes.map(
              (n: any) => n.rowId,
            ),
        },
        {
          name: "raw SQL",
          proc: raw,
          listReq: { url: `${raw.url}/list`, body: { category } },
          searchReq: { url: `${raw.url}/search`, body: { q: SEARCH_TERM } },
          list: async () => (await postJson(`${raw.url}/list`, { category })).items.map((i: any) => i.id),
          search: async () => (await postJson(`${raw.url}/search`, { q: SEARCH_TERM })).items.map((i: any) => i.id),
        },
      ];
      // Answers first: every server must return the same assets, or nothing is timed.
      const [oursList, oursSearch] = [await catalogue[0]!.list(), await catalogue[0]!.search()];
      if (oursList.length !== 50) throw new Error(`list returned ${oursList.length} assets, expected 50`);
      if (oursSearch.length === 0) throw new Error("search returned nothing");
      for (const server of catalogue.slice(1)) {
        const list = await server.list().catch((error) => {
          throw new Error(`${server.name} cannot answer the list: ${error}\n${server.proc.output().slice(-1500)}`);
        });
        const found = await server.search();
        if (JSON.stringify(list) !== JSON.stringify(oursList)) {
          throw new Error(
            `${server.name} list differs from ours: ${JSON.stringify(list.slice(0, 3))}… vs ${JSON.stringify(oursList.slice(0, 3))}…`,
          );
        }
        if (JSON.stringify([...found].sort()) !== JSON.stringify([...oursSearch].sort()))
          throw new Error(`${server.name} search differs from ours`);
      }
      const timed = catalogue;
      log(`answers agree: list ${oursList.length} assets, search ${oursSearch.length}`);

      reads = {};
      for (const workload of ["list", "search"] as const) {
        reads[workload] = {};
        for (const server of timed) {
          reads[workload]![server.name] = {};
          for (const connections of PROFILE.connections) {
            const req = workload === "list" ? server.listReq : server.searchReq;
            // Investigation only (BENCH_HEAP_SNAPSHOT_DIR): a heap snapshot of ours halfway through the c=50 list load.
            const underLoad =
              process.env.BENCH_HEAP_SNAPSHOT_DIR && server.name === "ours" && workload === "list" && connections === 50
                ? new Promise((r) => setTimeout(r, PROFILE.loadSeconds * 500)).then(() => probeMemory(ours))
                : undefined;
            const [cpuBefore, dbCpu] = [cpuMs(server.proc.child.pid!), postgresCpu()];
            const r = await load({ ...req, connections, seconds: PROFILE.loadSeconds });
            const perRequest = (ms: number) => (r.requests ? Number((ms / r.requests).toFixed(2)) : 0);
            const cpuMsPerRequest = perRequest(cpuMs(server.proc.child.pid!) - cpuBefore);
            const dbCpuMsPerRequest = perRequest(dbCpu());
            if (underLoad) log(`server under list c=50 load: ${JSON.stringify(await underLoad)}`);
            if (r.errors || r.non2xx) throw new Error(`${server.name} ${workload} c=${connections}: ${JSON.stringify(r)}`);
            reads[workload]![server.name]![connections] = { ...r, cpuMsPerRequest, dbCpuMsPerRequest };
            log(
              `${workload} ${server.name} c=${connections}: ${r.rps} req/s p50 ${r.p50} p99 ${r.p99}, CPU ms/request server ${cpuMsPerRequest} PostgreSQL ${dbCpuMsPerRequest}`,
            );
          }
        }
      }
      results.catalogue = { assets: seeded, reads };
      oursRssAfterReads = peakRssMb(ours.child.pid!);
      memoryAfterReads = await probeMemory(ours);
      log(`server after reads: ${JSON.stringify(memoryAfterReads)}`);
      await pg.stop();
      await raw.stop();
    };

    // ---------- growth: seed in steps, measure the list read at each size ----------
    let seeded = 0;
    const growth: { assets: number; p50: number; p99: number; rps: number }[] = [];
    let importFigures:
      | {
          rows: number;
          importSeconds: number;
          copySeconds: number;
          importRssMb: number;
          importCliCpuSeconds: number;
          importOtherCpuSeconds: number;
          copyDbCpuSeconds: number;
        }
      | undefined;
    for (const [step, size] of (want("reads") || want("import") ? PROFILE.sizes : []).entries()) {
      const file = path.join(work, `assets-${size}.jsonl`);
      await writeJsonl(file, seeded, size);
      const rows = size - seeded;
      log(`importing ${rows} assets (npm run import)`);
      const [started, machine] = [performance.now(), machineCpu()];
      const importer = await runImport(file, orgs[step % orgs.length]!);
      const importSeconds = (performance.now() - started) / 1000;
      // The CLI's sessions end with it, so PostgreSQL's share is what the rest of the machine spent meanwhile.
      const importOtherCpuSeconds = (machine() - importer.cpuMs) / 1000;
      const [{ n }] = (await sql`select count(*)::int as n from data_asset`) as unknown as [{ n: number }];
      if (n !== size) throw new Error(`import stored ${n} assets, expected ${size}: ${importer.output}`);
      if (want("import") && (step === PROFILE.sizes.length - 1 || size === 100_000)) {
        const copyDbCpu = postgresCpu();
        const copySeconds = await copySameRows(sql, seeded, size, orgs[0]!);
        // Where an import's time goes: the CLI's own CPU, and PostgreSQL's, against COPY's.
        importFigures = {
          rows,
          importSeconds,
          copySeconds,
          importRssMb: importer.peakRssMb,
          importCliCpuSeconds: importer.cpuMs / 1000,
          importOtherCpuSeconds,
          copyDbCpuSeconds: copyDbCpu() / 1000,
        };
      }
      seeded = size;
      if (!want("reads")) continue;
      await seedRightsProvenanceAndPublish(sql);
      const probe = await load({
        url: oursGraphql,
        body: { query: LIST_QUERY, variables: { category: ["ENERGY"] } },
        connections: 10,
        seconds: PROFILE.loadSeconds,
      });
      if (probe.errors || probe.non2xx) throw new Error(`growth probe failed: ${JSON.stringify(probe)}`);
      growth.push({ assets: size, p50: probe.p50, p99: probe.p99, rps: probe.rps });
      log(`size ${size}: p50 ${probe.p50} ms, p99 ${probe.p99} ms`);
      if (size === READS_AT) await compareReads();
    }
    results.growth = growth;

    // ---------- minting and DvP subscriptions: ours (sequential, then batched) vs a raw viem loop on the same node ----------
    const actors = want("mint") || want("dvp") || want("distribution") ? await benchActors(sql, ours.url) : undefined;
    const mint = want("mint") ? await benchMint(sql, actors!, chain.url) : undefined;
    results.minting = mint;
    const dvp = want("dvp")
      ? await benchDvp(sql, actors!.client, actors!.a, chain.url, await chainOf(createPublicClient({ transport: http(chain.url) })), {
          sequential: PROFILE.seqDvp,
          batched: PROFILE.batchDvp,
        })
      : undefined;
    results.dvp = dvp;
    const distribution = want("distribution")
      ? await benchDistribution(
          sql,
          actors!.client,
          actors!.a,
          chain.url,
          await chainOf(createPublicClient({ transport: http(chain.url) })),
          PROFILE.holders,
        )
      : undefined;
    results.distribution = distribution;
    if (distribution) log("distribution", JSON.stringify(distribution));

    const memoryEnd = await probeMemory(ours);
    results.memory = {
      nodeFlags: startScriptNodeFlags(),
      serverIdle: memoryIdle,
      serverAfterReads: memoryAfterReads,
      serverEnd: memoryEnd,
      serverPeakRssMb: peakRssMb(ours.child.pid!),
      serverPeakRssAfterReadsMb: oursRssAfterReads,
      devChainPeakRssMb: peakRssMb(chain.child.pid!),
      importCliPeakRssMb: importFigures?.importRssMb,
    };
    results.import = importFigures && {
      ...importFigures,
      importRowsPerSecond: Math.round(importFigures.rows / importFigures.importSeconds),
      copyRowsPerSecond: Math.round(importFigures.rows / importFigures.copySeconds),
    };

    // ---------- the embedded default: the same reads and mints on PGlite (what `npm start` runs without DATABASE_URL) ----------
    const pglite = want("pglite")
      ? await benchPglite({
          work,
          assets: READS_AT,
          port: PORTS.pglite,
          chainUrl: chain.url,
          jwtSecret: JWT_SECRET,
          loadSeconds: PROFILE.loadSeconds,
          connections: PROFILE.connections,
          seqMints: PROFILE.seqMints,
          batchMints: PROFILE.batchMints,
          listQuery: LIST_QUERY,
          searchQuery: SEARCH_QUERY,
          log,
        })
      : undefined;
    results.pglite = pglite;

    // ---------- the table ----------
    row("workload", "ours", "peer", "ratio ours/peer", "raw limit", "ratio ours/raw");
    for (const workload of reads ? (["list", "search"] as const) : []) {
      for (const c of PROFILE.connections) {
        const o = reads![workload]!.ours![c]!;
        const p = reads![workload]!.postgraphile?.[c];
        const r = reads![workload]!["raw SQL"]![c]!;
        row(
          `${workload} c=${c} req/s`,
          o.rps,
          p ? `PostGraphile ${p.rps}` : "PostGraphile n/a",
          p ? ratio(o.rps, p.rps) : "n/a",
          r.rps,
          ratio(o.rps, r.rps),
        );
        row(`${workload} c=${c} p50/p99 ms`, `${o.p50}/${o.p99}`, p ? `${p.p50}/${p.p99}` : "n/a", "", `${r.p50}/${r.p99}`, "");
      }
      // The servers' own CPU per request at c=50 (from /proc; lower is better, the ratio is ours over the peer's):
      // what each spends, whatever else the machine runs.
      const [o, p, r] = [reads![workload]!.ours![50], reads![workload]!.postgraphile?.[50], reads![workload]!["raw SQL"]![50]];
      if (o && r) {
        for (const [what, key] of [
          ["server", "cpuMsPerRequest"],
          ["PostgreSQL", "dbCpuMsPerRequest"],
        ] as const) {
          row(
            `${workload} c=50 ${what} CPU ms/request`,
            o[key] ?? "n/a",
            p ? `PostGraphile ${p[key]}` : "n/a",
            p?.[key] ? ratio(o[key] ?? 0, p[key]!) : "n/a",
            r[key] ?? "n/a",
            r[key] ? ratio(o[key] ?? 0, r[key]!) : "",
          );
        }
      }
    }
    if (mint) {
      row(
        "mint sequential mints/s",
        mint.oursSequentialPerSecond,
        `raw viem ${mint.rawPerSecond}`,
        ratio(mint.oursSequentialPerSecond, mint.rawPerSecond),
        "",
        "",
      );
      row(
        "mint batched mints/s",
        mint.oursBatchPerSecond,
        `raw viem ${mint.rawPerSecond}`,
        ratio(mint.oursBatchPerSecond, mint.rawPerSecond),
        "",
        "",
      );
      row(
        `mint bulk mints/s (${mint.bulkMints} to ${mint.bulkInvestors} investors, ${mint.bulkTransactions} tx)`,
        mint.oursBulkPerSecond,
        `raw viem ${mint.rawPerSecond}`,
        ratio(mint.oursBulkPerSecond, mint.rawPerSecond),
        "",
        "",
      );
    }
    if (dvp) {
      row(
        "DvP sequential subscriptions/s",
        dvp.oursSequentialPerSecond,
        `raw viem ${dvp.rawPerSecond}`,
        ratio(dvp.oursSequentialPerSecond, dvp.rawPerSecond),
        `raw 50/tx ${dvp.rawBatchedPerSecond}`,
        ratio(dvp.oursSequentialPerSecond, dvp.rawBatchedPerSecond),
      );
      row(
        "DvP batched subscriptions/s",
        dvp.oursBatchPerSecond,
        `raw viem ${dvp.rawPerSecond}`,
        ratio(dvp.oursBatchPerSecond, dvp.rawPerSecond),
        `raw 50/tx ${dvp.rawBatchedPerSecond}`,
        ratio(dvp.oursBatchPerSecond, dvp.rawBatchedPerSecond),
      );
      row(
        "DvP gas per subscription",
        dvp.oursGasPerSubscription,
        `raw 1/tx ${dvp.rawGasPerSubscription}`,
        ratio(dvp.oursGasPerSubscription, dvp.rawGasPerSubscription),
        `raw 50/tx ${dvp.rawBatchedGasPerSubscription}`,
        ratio(dvp.oursGasPerSubscription, dvp.rawBatchedGasPerSubscription),
      );
    }
    if (distribution) {
      row(
        `distribution ${distribution.holders} holders, s`,
        distribution.seconds,
        `raw transfers ${distribution.rawSeconds}`,
        ratio(distribution.seconds, distribution.rawSeconds),
        "",
        "",
      );
      row(
        "distribution gas per holder",
        distribution.gasPerHolder,
        `raw transfer ${distribution.rawGasPerHolder}`,
        ratio(distribution.gasPerHolder, distribution.rawGasPerHolder),
        `${distribution.transactions} tx, largest ${distribution.largestBatchGas}`,
        `block limit ${distribution.blockGasLimit}`,
      );
    }
    if (results.import) {
      const im = results.import as any;
      row(
        `import ${im.rows} rows/s`,
        im.importRowsPerSecond,
        `COPY ${im.copyRowsPerSecond}`,
        ratio(im.importRowsPerSecond, im.copyRowsPerSecond),
        "",
        "",
      );
      row(
        "import CPU s: CLI / rest of machine (PostgreSQL)",
        `${im.importCliCpuSeconds.toFixed(1)} / ${im.importOtherCpuSeconds.toFixed(1)}`,
        `COPY PostgreSQL ${im.copyDbCpuSeconds.toFixed(1)}`,
        ratio(im.importOtherCpuSeconds, im.copyDbCpuSeconds),
        `wall ${im.importSeconds.toFixed(1)} / ${im.copySeconds.toFixed(1)} s`,
        "",
      );
    }
    if (pglite) {
      // PGlite's rows next to PostgreSQL's of this run (when it ran the same workload).
      for (const workload of ["list", "search"] as const) {
        for (const c of PROFILE.connections) {
          const l = pglite.reads[workload][c]!;
          const p = reads?.[workload]?.ours?.[c];
          row(`PGlite ${workload} c=${c} req/s`, l.rps, p ? `PostgreSQL ${p.rps}` : "PostgreSQL n/a", p ? ratio(l.rps, p.rps) : "", "", "");
          row(`PGlite ${workload} c=${c} p50/p99 ms`, `${l.p50}/${l.p99}`, p ? `${p.p50}/${p.p99}` : "n/a", "", "", "");
        }
      }
      const m = pglite.minting;
      row(
        "PGlite mint sequential mints/s",
        m.oursSequentialPerSecond,
        mint ? `PostgreSQL ${mint.oursSequentialPerSecond}` : "PostgreSQL n/a",
        mint ? ratio(m.oursSequentialPerSecond, mint.oursSequentialPerSecond) : "",
        "",
        "",
      );
      row(
        "PGlite mint batched mints/s",
        m.oursBatchPerSecond,
        mint ? `PostgreSQL ${mint.oursBatchPerSecond}` : "PostgreSQL n/a",
        mint ? ratio(m.oursBatchPerSecond, mint.oursBatchPerSecond) : "",
        "",
        "",
      );
      row(`PGlite import ${pglite.assets} rows/s`, pglite.importRowsPerSecond, `then rights/publish ${pglite.seedSeconds} s`, "", "", "");
      const pm = pglite.memory;
      row("PGlite server RSS MB idle / peak", `${pm.idle.rssBeforeGcMb}/${pm.peakRssMb}`, "target 250", "", "", "");
      row(
        "PGlite server RSS MB after reads, before/after GC",
        `${pm.afterReads.rssBeforeGcMb}/${pm.afterReads.rssAfterGcMb}`,
        `heap used ${pm.afterReads.heapUsedAfterGcMb} after GC`,
        "",
        `heap total max ${pm.afterReads.max.heapTotal}`,
        `external (PGlite WASM) max ${pm.afterReads.max.external}`,
      );
      row("PGlite data directory MB", pm.dataDirMb, "", "", "", "");
    }
    const mem = results.memory as any;
    row("server RSS MB idle (at start)", memoryIdle.rssBeforeGcMb, `after GC ${memoryIdle.rssAfterGcMb}`, "", "", "");
    if (memoryAfterReads) {
      row("server peak RSS MB after reads", mem.serverPeakRssAfterReadsMb, "target 250", "", "", "");
      row(
        "server RSS MB after reads, before/after GC",
        `${memoryAfterReads.rssBeforeGcMb}/${memoryAfterReads.rssAfterGcMb}`,
        `heap used ${memoryAfterReads.heapUsedAfterGcMb} after GC`,
        "",
        `heap total max ${memoryAfterReads.max.heapTotal}`,
        `external max ${memoryAfterReads.max.external}`,
      );
    }
    row("server peak RSS MB (whole run)", mem.serverPeakRssMb, "target 250", "", "", "");
    row("server RSS MB at end, before/after GC", `${memoryEnd.rssBeforeGcMb}/${memoryEnd.rssAfterGcMb}`, "", "", "", "");
    row("dev chain peak RSS MB (own process)", mem.devChainPeakRssMb, "", "", "", "");
    row("import CLI peak RSS MB", mem.importCliPeakRssMb ?? "n/a", "", "", "", "");
    for (const g of growth) row(`list @${g.assets} assets p50/p99 ms`, `${g.p50}/${g.p99}`, "", "", "", "");
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    console.log(`\n${table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n")}\n`);

    if (flags.only) return;
    mkdirSync(path.join(ROOT, "bench/results"), { recursive: true });
    const out = path.join(ROOT, "bench/results", `${new Date().toISOString().slice(0, 10)}${QUICK ? "-quick" : ""}.json`);
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${path.relative(ROOT, out)}`);
  } catch (error) {
    // The servers log what went wrong on their side; show it with the failure.
    for (const s of servers) console.error(`--- output of ${s.url}:\n${s.output().slice(-3000)}`);
    throw error;
  } finally {
    for (const s of servers.reverse()) await s.stop();
    await sql.end();
    await admin.unsafe(`drop database if exists ${dbName} with (force)`);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm run import` (its script, in its own process) into the bench database; returns its peak RSS. */
async function runImport(file: string, orgId: string): Promise<{ output: string; peakRssMb: number; cpuMs: number }> {
  const { spawn } = await import("node:child_process");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", path.join(ROOT, "bench/lib/report-rss.mjs"), "scripts/import.ts", file, "--org", orgId],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: dbUrl, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`import exited ${code}:\n${output.slice(-2000)}`);
  const kb = Number(/MAXRSS_KB (\d+)/.exec(output)?.[1] ?? 0);
  return { output, peakRssMb: Math.round(kb / 1024), cpuMs: Number(/CPU_MS (\d+)/.exec(output)?.[1] ?? 0) };
}

/** COPY of the same generated rows into a scratch table shaped like data_asset (generated search column and indexes included). */
async function copySameRows(sql: postgres.Sql, from: number, to: number, orgId: string): Promise<number> {
  await sql.unsafe(`drop table if exists bench_copy; create table bench_copy (like data_asset including all)`);
  const started = performance.now();
  const stream =
    await sql`copy bench_copy (owner_org_id, title, description, category, tags, format, record_count, content_digest, security_level) from stdin`.writable();
  const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n");
  for (let i = from; i < to; i++) {
    const a = assetLine(i);
    const line = `${[
      orgId,
      a.title,
      a.description,
      a.category,
      `{${a.tags.join(",")}}`,
      a.format,
      a.recordCount,
      a.contentDigest,
      a.securityLevel,
    ]
      .map((v) => esc(String(v)))
      .join("\t")}\n`;
    if (!stream.write(line)) await new Promise((r) => stream.once("drain", r));
  }
  await new Promise<void>((resolve, reject) => stream.end((err?: Error) => (err ? reject(err) : resolve())));
  const seconds = (performance.now() - started) / 1000;
  const [{ n }] = (await sql`select count(*)::int as n from bench_copy`) as unknown as [{ n: number }];
  if (n !== to - from) throw new Error(`COPY stored ${n} rows, expected ${to - from}`);
  await sql`drop table bench_copy`;
  return seconds;
}

/** A client of our server over HTTP with the same helpers the tests use, and the actors (organizations, role tokens) both chain workloads share. */
async function benchActors(sql: postgres.Sql, url: string) {
  const [operator] = await sql`insert into organization (name, kind, jurisdiction) values ('Bench operator', 'VENUE', 'HK') returning id`;
  const gql = async (query: string, variables?: Record<string, unknown>, token?: string) => {
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    return { status: res.status, data: body.data, errors: body.errors };
  };
  const client = {
    url,
    gql,
    adminToken: await issueToken(JWT_SECRET, { subject: "bench", organizationId: operator!.id, roles: ["ADMIN"] }),
    tokenFor: (roles: string[], organizationId: string, subject = "bench") =>
      issueToken(JWT_SECRET, { subject, organizationId, roles: roles as any }),
  } as unknown as TestGateway;
  return { client, a: await createActors(client) };
}

async function benchMint(sql: postgres.Sql, actors: Awaited<ReturnType<typeof benchActors>>, rpcUrl: string) {
  const { client, a } = actors;
  const gql = client.gql;
  const asset = await registerApprovedAsset(client, a, "Bench mint asset");
  const { offeringId, trancheId } = await createOfferingWithTranche(client, a, asset.assetId, (10n ** 30n).toString());
  const { investorId, wallet } = await registerVerifiedInvestor(client, a);
  await satisfyRequirements(client, a, { ...asset, offeringId });
  const token = await deployAndWhitelist(client, a, trancheId, investorId);
  const publicClient = createPublicClient({ transport: http(rpcUrl), pollingInterval: 100 });
  const totalSupply = (address: Address) => publicClient.readContract({ address, abi: DataAssetTokenAbi, functionName: "totalSupply" });

  const settled = async (ids: string[]) => {
    for (;;) {
      const rows = await sql`select status, count(*)::int as n from mint_request where id = any(${ids}) group by status`;
      const by = Object.fromEntries(rows.map((r) => [r.status, r.n]));
      if ((by.FAILED ?? 0) + (by.REVERTED ?? 0) > 0) throw new Error(`mints failed: ${JSON.stringify(by)}`);
      if ((by.CONFIRMED ?? 0) === ids.length) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const request = async (key: string) => {
    const r = await gql(REQUEST_MINT, { input: { idempotencyKey: key, trancheId, investorId, amount: "1000" } }, a.issuerToken);
    if (r.data?.requestMint?.__typename !== "MintRequest") throw new Error(JSON.stringify(r));
    return r.data.requestMint.id as string;
  };

  // Warm-up (connections, prepared statements, JIT), not timed.
  const WARM_UP = 5;
  for (let i = 0; i < WARM_UP; i++) await settled([await request(`warm-${i}`)]);

  // Ours, one at a time: each request waits for CONFIRMED before the next.
  let started = performance.now();
  for (let i = 0; i < PROFILE.seqMints; i++) await settled([await request(`seq-${i}`)]);
  const oursSequentialPerSecond = PROFILE.seqMints / ((performance.now() - started) / 1000);

  // Ours, all at once: the worker may batch them.
  started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < PROFILE.batchMints; i += 50) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(50, PROFILE.batchMints - i) }, (_, k) => request(`batch-${i + k}`)))));
  }
  await settled(ids);
  const oursBatchPerSecond = PROFILE.batchMints / ((performance.now() - started) / 1000);

  // Ours, in bulk: an issuer's close of many investors through requestMints (500 items a call),
  // timed from the first call to the last request CONFIRMED.
  const bulkInvestors = [investorId];
  while (bulkInvestors.length < PROFILE.bulkInvestors) {
    const inv = await registerVerifiedInvestor(client, a);
    await whitelistInvestor(client, a, trancheId, inv.investorId);
    bulkInvestors.push(inv.investorId);
  }
  const BULK_CALL = 500;
  started = performance.now();
  const bulkIds: string[] = [];
  for (let i = 0; i < PROFILE.bulkMints; i += BULK_CALL) {
    const items = Array.from({ length: Math.min(BULK_CALL, PROFILE.bulkMints - i) }, (_, k) => ({
      idempotencyKey: `bulk-${i + k}`,
      trancheId,
      investorId: bulkInvestors[(i + k) % bulkInvestors.length],
      amount: "1000",
    }));
    const r = await gql(REQUEST_MINTS, { items }, a.issuerToken);
    if (r.data?.requestMints?.__typename !== "MutationRequestMintsSuccess") throw new Error(JSON.stringify(r).slice(0, 2000));
    bulkIds.push(...r.data.requestMints.data.map((m: { id: string }) => m.id));
  }
  await settled(bulkIds);
  const oursBulkPerSecond = PROFILE.bulkMints / ((performance.now() - started) / 1000);
  const bulkTransactions = (
    await sql`select count(distinct b.id)::int as n from mint_batch b join mint_request m on m.batch_id = b.id where m.id = any(${bulkIds})`
  )[0]!.n as number;

  const expected = BigInt(WARM_UP + PROFILE.seqMints + PROFILE.batchMints + PROFILE.bulkMints) * 1000n;
  if ((await totalSupply(token)) !== expected) throw new Error(`our token supply is ${await totalSupply(token)}, expected ${expected}`);

  // Raw viem on the same node, its own signer and token: writeContract + waitForTransactionReceipt.
  const account = privateKeyToAccount(devChainSignerKey(9));
  const wallet2 = createWalletClient({ account, transport: http(rpcUrl), chain: await chainOf(publicClient) });
  const deployHash = await wallet2.deployContract({
    abi: DataAssetTokenAbi,
    bytecode: DataAssetTokenBytecode,
    args: ["Raw", "RAW", "raw", `0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`, account.address, zeroAddress],
  });
  const rawToken = (await publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress!;
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  await publicClient.waitForTransactionReceipt({
    hash: await wallet2.writeContract({
      address: rawToken,
      abi: DataAssetTokenAbi,
      functionName: "setWhitelisted",
      args: [recipient, true],
    }),
  });
  for (let i = 0; i < WARM_UP; i++) {
    await publicClient.waitForTransactionReceipt({
      hash: await wallet2.writeContract({ address: rawToken, abi: DataAssetTokenAbi, functionName: "mint", args: [recipient, 1000n] }),
    });
  }
  started = performance.now();
  for (let i = 0; i < PROFILE.seqMints; i++) {
    const hash = await wallet2.writeContract({ address: rawToken, abi: DataAssetTokenAbi, functionName: "mint", args: [recipient, 1000n] });
    await publicClient.waitForTransactionReceipt({ hash });
  }
  const rawPerSecond = PROFILE.seqMints / ((performance.now() - started) / 1000);
  if ((await totalSupply(rawToken)) !== BigInt(WARM_UP + PROFILE.seqMints) * 1000n) throw new Error("raw token supply is wrong");
  void wallet;
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    sequentialMints: PROFILE.seqMints,
    batchMints: PROFILE.batchMints,
    oursSequentialPerSecond: round(oursSequentialPerSecond),
    oursBatchPerSecond: round(oursBatchPerSecond),
    bulkMints: PROFILE.bulkMints,
    bulkInvestors: PROFILE.bulkInvestors,
    bulkTransactions,
    oursBulkPerSecond: round(oursBulkPerSecond),
    rawPerSecond: round(rawPerSecond),
  };
}

async function chainOf(client: ReturnType<typeof createPublicClient>) {
  const id = await client.getChainId();
  return {
    id,
    name: `chain-${id}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] as string[] } },
  };
}

void CATEGORIES;
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
