/**
 * The embedded default (`npm start` with no DATABASE_URL): our gateway on a PGlite data directory, with the same
 * catalogue reads and mints as on PostgreSQL, so the two stand side by side in one run.
 *
 * PGlite is one process's database: the directory is seeded before the gateway opens it (organizations and the
 * rights/provenance/publish statements in this process, the assets by `npm run import` in its own, as a newcomer
 * would), then only the gateway touches it, and every check goes through GraphQL (`mintRequest(id) { status }`).
 */
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { sql as drizzleSql } from "drizzle-orm";
import { createPublicClient, http, type Address } from "viem";
import { openDatabase } from "../../src/db/index.js";
import { issueToken } from "../../src/auth/jwt.js";
import { devChainSignerKey } from "../../src/chain/dev-chain.js";
import { DataAssetTokenAbi } from "../../src/chain/generated/DataAssetToken.js";
import {
  REQUEST_MINT,
  createActors,
  createOfferingWithTranche,
  deployAndWhitelist,
  registerApprovedAsset,
  registerVerifiedInvestor,
  satisfyRequirements,
} from "../../test/support/flow.js";
import type { TestGateway } from "../../test/support/harness.js";
import { load, postJson, type LoadResult } from "./load.js";
import { MEMORY_PROBE_FLAGS, ROOT, peakRssMb, probeMemory, spawnTs, startScriptNodeFlags, type MemoryProbe } from "./processes.js";
import { RIGHTS_PROVENANCE_PUBLISH_SQL, SEARCH_TERM, SEED_ORGANIZATIONS_SQL, assetLine, writeJsonl } from "./seed.js";

export type PgliteOptions = {
  work: string;
  assets: number;
  port: number;
  chainUrl: string;
  jwtSecret: string;
  loadSeconds: number;
  connections: number[];
  seqMints: number;
  batchMints: number;
  listQuery: string;
  searchQuery: string;
  log: (...args: unknown[]) => void;
};

export type PgliteFigures = {
  assets: number;
  importSeconds: number;
  importRowsPerSecond: number;
  seedSeconds: number;
  reads: Record<"list" | "search", Record<number, LoadResult>>;
  minting: { sequentialMints: number; batchMints: number; oursSequentialPerSecond: number; oursBatchPerSecond: number };
  memory: { idle: MemoryProbe; afterReads: MemoryProbe; end: MemoryProbe; peakRssMb: number; dataDirMb: number };
};

const round = (n: number) => Math.round(n * 10) / 10;

export async function benchPglite(o: PgliteOptions): Promise<PgliteFigures> {
  const dataDir = path.join(o.work, "pglite");
  // Organizations (the assets' owners, and the operator the ADMIN token names) before anything else opens the directory.
  const first = await openDatabase({ dataDir });
  const owners = ((await first.db.execute(drizzleSql.raw(SEED_ORGANIZATIONS_SQL(20)))) as unknown as { rows: { id: string }[] }).rows;
  const operator = (
    (await first.db.execute(
      drizzleSql.raw(`insert into organization (name, kind, jurisdiction) values ('Bench operator', 'VENUE', 'HK') returning id`),
    )) as unknown as { rows: { id: string }[] }
  ).rows[0]!.id;
  await first.close();

  const file = path.join(o.work, `pglite-assets-${o.assets}.jsonl`);
  await writeJsonl(file, 0, o.assets);
  o.log(`PGlite: importing ${o.assets} assets (npm run import, DATA_DIR)`);
  let started = performance.now();
  await runImportPglite(file, owners[0]!.id, dataDir);
  const importSeconds = (performance.now() - started) / 1000;

  started = performance.now();
  const seeding = await openDatabase({ dataDir });
  for (const statement of RIGHTS_PROVENANCE_PUBLISH_SQL) await seeding.db.execute(drizzleSql.raw(statement));
  const [{ n }] = (
    (await seeding.db.execute(drizzleSql.raw("select count(*)::int as n from data_asset"))) as unknown as {
      rows: [{ n: number }];
    }
  ).rows;
  await seeding.close();
  const seedSeconds = (performance.now() - started) / 1000;
  if (n !== o.assets) throw new Error(`PGlite: the import stored ${n} assets, expected ${o.assets}`);
  o.log(`PGlite: ${n} assets imported in ${importSeconds.toFixed(1)} s, rights/provenance/publish in ${seedSeconds.toFixed(1)} s`);

  // What `npm start` runs, on the embedded database: no DATABASE_URL (an empty value counts as unset), DATA_DIR set.
  // The chain is the bench's own dev chain process (as for PostgreSQL), signed with a key no other workload uses.
  const gateway = await spawnTs(
    "dist/main.js",
    [],
    {
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      PORT: String(o.port),
      CHAIN_RPC_URL: o.chainUrl,
      SIGNER_PRIVATE_KEY: devChainSignerKey(6),
      JWT_SECRET: o.jwtSecret,
      WEBHOOK_SECRET: o.jwtSecret,
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
    },
    /listening on (http:\/\/[0-9.:]+)/,
    [...startScriptNodeFlags(), ...MEMORY_PROBE_FLAGS],
  );
  try {
    const url = `${gateway.url}/graphql`;
    const idle = await probeMemory(gateway);
    o.log(`PGlite server idle: ${JSON.stringify(idle)}`);

    // Answers first.
    const listReq = { url, body: { query: o.listQuery, variables: { category: ["ENERGY"] } } };
    const searchReq = { url, body: { query: o.searchQuery, variables: { q: SEARCH_TERM } } };
    const list = (await postJson(listReq.url, listReq.body)).data.dataAssets.edges.map((e: any) => e.node);
    if (list.length !== 50 || list.some((a: any) => a.category !== "ENERGY" || a.ownershipRights.length !== 3 || !a.latestProvenance))
      throw new Error(`PGlite list: ${JSON.stringify(list.slice(0, 2))} (${list.length} assets)`);
    const found = (await postJson(searchReq.url, searchReq.body)).data.dataAssets.edges.map((e: any) => e.node.title as string);
    // The rare word's assets, from the generator: the same set PostgreSQL's gateway must find.
    const expected = Array.from({ length: o.assets }, (_, i) => assetLine(i).title).filter((t) => t.includes(SEARCH_TERM));
    if (JSON.stringify([...found].sort()) !== JSON.stringify(expected.sort()))
      throw new Error(`PGlite search found ${found.length} assets, expected the ${expected.length} generated with "${SEARCH_TERM}"`);
    o.log(`PGlite answers: list 50 assets, search ${found.length}`);

    const reads = { list: {}, search: {} } as PgliteFigures["reads"];
    for (const workload of ["list", "search"] as const) {
      for (const connections of o.connections) {
        const r = await load({ ...(workload === "list" ? listReq : searchReq), connections, seconds: o.loadSeconds });
        if (r.errors || r.non2xx) throw new Error(`PGlite ${workload} c=${connections}: ${JSON.stringify(r)}`);
        reads[workload][connections] = r;
        o.log(`PGlite ${workload} c=${connections}: ${r.rps} req/s p50 ${r.p50} p99 ${r.p99}`);
      }
    }
    const afterReads = await probeMemory(gateway);
    o.log(`PGlite server after reads: ${JSON.stringify(afterReads)}`);

    const minting = await mintThroughGraphql(gateway.url, operator, o);
    o.log(`PGlite minting: ${JSON.stringify(minting)}`);
    const end = await probeMemory(gateway);
    const dataDirMb = Math.round(Number(duBytes(dataDir)) / 2 ** 20);
    return {
      assets: o.assets,
      importSeconds: round(importSeconds),
      importRowsPerSecond: Math.round(o.assets / importSeconds),
      seedSeconds: round(seedSeconds),
      reads,
      minting,
      memory: { idle, afterReads, end, peakRssMb: peakRssMb(gateway.child.pid!), dataDirMb },
    };
  } catch (error) {
    console.error(`--- output of the PGlite gateway:\n${gateway.output().slice(-3000)}`);
    throw error;
  } finally {
    await gateway.stop();
  }
}

function duBytes(dir: string): number {
  return Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);
}

/** `npm run import`'s script in its own process, on the PGlite directory (no DATABASE_URL). */
async function runImportPglite(file: string, orgId: string, dataDir: string): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "warn" };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/import.ts", file, "--org", orgId], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`PGlite import exited ${code}:\n${output.slice(-2000)}`);
}

/**
 * Sequential and all-at-once mints on the PGlite gateway, the way the PostgreSQL side measures them (5 untimed warm-ups,
 * each sequential mint waited to CONFIRMED, statuses read every 5 ms), but every status read is a GraphQL
 * `mintRequest(id) { status }` (25 aliased in one request at most; the gateway allows 30 aliases).
 */
async function mintThroughGraphql(gatewayUrl: string, operatorOrgId: string, o: PgliteOptions): Promise<PgliteFigures["minting"]> {
  const gql = async (query: string, variables?: Record<string, unknown>, token?: string) => {
    const res = await fetch(`${gatewayUrl}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as any;
    return { status: res.status, data: body.data, errors: body.errors };
  };
  const client = {
    url: gatewayUrl,
    gql,
    adminToken: await issueToken(o.jwtSecret, { subject: "bench", organizationId: operatorOrgId, roles: ["ADMIN"] }),
    tokenFor: (roles: string[], organizationId: string, subject = "bench") =>
      issueToken(o.jwtSecret, { subject, organizationId, roles: roles as any }),
  } as unknown as TestGateway;
  const a = await createActors(client);
  const asset = await registerApprovedAsset(client, a, "Bench PGlite mint asset");
  const { offeringId, trancheId } = await createOfferingWithTranche(client, a, asset.assetId, (10n ** 30n).toString());
  const { investorId } = await registerVerifiedInvestor(client, a);
  await satisfyRequirements(client, a, { ...asset, offeringId });
  const token = await deployAndWhitelist(client, a, trancheId, investorId);
  const publicClient = createPublicClient({ transport: http(o.chainUrl), pollingInterval: 100 });
  const totalSupply = (address: Address) => publicClient.readContract({ address, abi: DataAssetTokenAbi, functionName: "totalSupply" });

  const settled = async (ids: string[]) => {
    const pending = [...ids];
    while (pending.length > 0) {
      const chunk = pending.slice(0, 25);
      const query = `query(${chunk.map((_, i) => `$i${i}: ID!`).join(", ")}) { ${chunk
        .map((_, i) => `m${i}: mintRequest(id: $i${i}) { __typename ... on MintRequest { status } ... on Error { code message } }`)
        .join(" ")} }`;
      const r = await gql(query, Object.fromEntries(chunk.map((id, i) => [`i${i}`, id])), a.issuerToken);
      if (r.errors) throw new Error(`mintRequest: ${JSON.stringify(r.errors)}`);
      const statuses = chunk.map((_, i) => r.data[`m${i}`]?.status as string | undefined);
      const bad = statuses.filter((s) => s === "FAILED" || s === "REVERTED" || s === undefined);
      if (bad.length > 0) throw new Error(`PGlite mints failed: ${JSON.stringify(r.data)}`);
      const done = new Set(chunk.filter((_, i) => statuses[i] === "CONFIRMED"));
      if (done.size === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      for (let i = pending.length - 1; i >= 0; i--) if (done.has(pending[i]!)) pending.splice(i, 1);
    }
  };
  const request = async (key: string) => {
    const r = await gql(REQUEST_MINT, { input: { idempotencyKey: key, trancheId, investorId, amount: "1000" } }, a.issuerToken);
    if (r.data?.requestMint?.__typename !== "MintRequest") throw new Error(JSON.stringify(r));
    return r.data.requestMint.id as string;
  };

  const WARM_UP = 5;
  for (let i = 0; i < WARM_UP; i++) await settled([await request(`warm-${i}`)]);
  let started = performance.now();
  for (let i = 0; i < o.seqMints; i++) await settled([await request(`seq-${i}`)]);
  const sequentialPerSecond = o.seqMints / ((performance.now() - started) / 1000);
  started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < o.batchMints; i += 50) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(50, o.batchMints - i) }, (_, k) => request(`batch-${i + k}`)))));
  }
  await settled(ids);
  const batchPerSecond = o.batchMints / ((performance.now() - started) / 1000);
  const expected = BigInt(WARM_UP + o.seqMints + o.batchMints) * 1000n;
  const supply = await totalSupply(token);
  if (supply !== expected) throw new Error(`PGlite: token supply is ${supply}, expected ${expected}`);
  return {
    sequentialMints: o.seqMints,
    batchMints: o.batchMints,
    oursSequentialPerSecond: round(sequentialPerSecond),
    oursBatchPerSecond: round(batchPerSecond),
  };
}
