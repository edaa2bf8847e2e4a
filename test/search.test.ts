/**
 * Search: Postgres full-text search (generated tsvector, GIN index) ranked by relevance,
 * filters, and keyset pagination that stays correct when rows are inserted between pages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, type Actors } from "./support/flow.js";
import { approve, registerAsset, rowsOf } from "./support/catalogue.js";

let t: TestGateway;
let a: Actors;
// A clock that moves one second per read, so creation order is strict and known.
const base = Date.parse("2026-05-01T00:00:00Z");
let ticks = 0;
const clock = () => new Date(base + ++ticks * 1000);
let searchOrg: string;
let token: string;

beforeAll(async () => {
  t = await startTestGateway({
    now: clock,
    gateway: { workerEnabled: false, indexer: { pollerEnabled: false, pollIntervalMs: 3_600_000 } },
  });
  a = await createActors(t);
  searchOrg = a.issuerOrgId; // an organization with no other assets
  token = await t.tokenFor(["ASSET_OWNER"], searchOrg, "searcher");
});
afterAll(async () => t?.close());

const SEARCH = `query($search: String, $filter: DataAssetFilter, $orderBy: DataAssetOrder, $first: Int, $after: String) {
  dataAssets(search: $search, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { cursor node { id title category securityLevel status tags } } pageInfo { hasNextPage endCursor } } }`;

async function search(vars: Record<string, unknown>, as = token) {
  const r = await t.gql(SEARCH, { ...vars, filter: { ownerOrgId: searchOrg, ...((vars.filter as object) ?? {}) } }, as);
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data.dataAssets as { edges: { cursor: string; node: any }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
}
const titles = (page: { edges: { node: any }[] }) => page.edges.map((e) => e.node.title);

describe("full-text search and filters", () => {
  let ids: Record<string, string> = {};
  beforeAll(async () => {
    const reg = (title: string, extra: Record<string, unknown> = {}) => registerAsset(t, token, { title, ...extra });
    ids = {
      portTitle: await reg("Shanghai port container throughput", {
        category: "LOGISTICS",
        tags: ["port", "container"],
        description: "Daily counts",
      }),
      portBody: await reg("Yangtze river shipping", {
        category: "LOGISTICS",
        tags: ["river"],
        description: "Barges calling at each port along the river",
      }),
      weather: await reg("Coastal weather stations", { category: "METEOROLOGY", tags: ["weather"], securityLevel: "IMPORTANT" }),
      grid: await reg("Power grid load", { category: "ENERGY", tags: ["grid", "port"], securityLevel: "CORE" }),
    };
  });

  it("finds by words in title, category or description, best match first", async () => {
    const page = await search({ search: "ports" }); // stemming: ports → port
    expect(titles(page)).toEqual(["Shanghai port container throughput", "Yangtze river shipping"]);
    expect(titles(await search({ search: "meteorology" }))).toEqual(["Coastal weather stations"]);
    expect(titles(await search({ search: '"container throughput"' }))).toEqual(["Shanghai port container throughput"]);
    expect(titles(await search({ search: "port -shanghai" }))).toEqual(["Yangtze river shipping"]);
    expect(titles(await search({ search: "nonexistentword" }))).toEqual([]);
  });

  it("filters by category, security level, status, tags and updated range", async () => {
    expect(titles(await search({ filter: { category: ["LOGISTICS"] }, orderBy: "TITLE_ASC" }))).toEqual([
      "Shanghai port container throughput",
      "Yangtze river shipping",
    ]);
    expect(titles(await search({ filter: { securityLevel: ["IMPORTANT", "CORE"] }, orderBy: "TITLE_ASC" }))).toEqual([
      "Coastal weather stations",
      "Power grid load",
    ]);
    expect(titles(await search({ filter: { tags: ["port"] }, orderBy: "TITLE_ASC" }))).toEqual([
      "Power grid load",
      "Shanghai port container throughput",
    ]);
    expect(titles(await search({ filter: { tags: ["port", "container"] } }))).toEqual(["Shanghai port container throughput"]);
    expect(titles(await search({ search: "port", filter: { category: ["ENERGY"] } }))).toEqual([]);

    const officer = await t.tokenFor(["COMPLIANCE_OFFICER"], a.exchangeOrgId, "officer2");
    const before = clock();
    await approve(t, token, officer, ids.weather!);
    expect(titles(await search({ filter: { status: ["APPROVED"] } }))).toEqual(["Coastal weather stations"]);
    expect(titles(await search({ filter: { updatedAfter: before.toISOString() } }))).toEqual(["Coastal weather stations"]);
    expect(titles(await search({ filter: { updatedBefore: before.toISOString() }, orderBy: "TITLE_ASC" }))).toEqual([
      "Power grid load",
      "Shanghai port container throughput",
      "Yangtze river shipping",
    ]);
    // Anonymous callers see published assets only.
    const anon = await t.gql(SEARCH, { filter: { ownerOrgId: searchOrg } });
    expect(anon.data.dataAssets.edges.map((e: any) => e.node.title)).toEqual(["Coastal weather stations"]);
  });

  it("uses the GIN index on the generated search vector", async () => {
    const idx = rowsOf(
      await t.database.db.execute(
        sql.raw(`select indexdef from pg_indexes where tablename = 'data_asset' and indexname = 'data_asset_search_idx'`),
      ),
    );
    expect(idx[0].indexdef).toMatch(/USING gin \(search_vector\)/);
    const col = rowsOf(
      await t.database.db.execute(
        sql.raw(`select is_generated from information_schema.columns where table_name = 'data_asset' and column_name = 'search_vector'`),
      ),
    );
    expect(col[0].is_generated).toBe("ALWAYS");
  });
});

describe("cursor pagination", () => {
  async function collect(vars: Record<string, unknown>, between: (page: number) => Promise<void>) {
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page++) {
      const p = await search({ ...vars, first: 7, after });
      seen.push(...p.edges.map((e) => e.node.id));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
      await between(page);
    }
    return seen;
  }

  it("newest first: rows inserted between pages neither repeat nor skip a row", async () => {
    const originals: string[] = [];
    for (let i = 0; i < 20; i++) originals.push(await registerAsset(t, token, { title: `Paged ${i}`, category: "PAGED" }));
    const inserted: string[] = [];
    const seen = await collect({ filter: { category: ["PAGED"] } }, async () => {
      inserted.push(await registerAsset(t, token, { title: "Paged late", category: "PAGED" }));
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...originals].reverse());
    expect(inserted.length).toBeGreaterThan(1);
  });

  it("by relevance and by title: every original row exactly once while rows are inserted", async () => {
    const originals: string[] = [];
    for (let i = 0; i < 15; i++) {
      originals.push(
        await registerAsset(t, token, {
          title: `Harbour ${String.fromCharCode(97 + i)} ${"harbour ".repeat(i % 3)}`,
          category: "HARBOUR",
          description: i % 2 ? "harbour" : "",
        }),
      );
    }
    for (const orderBy of ["RELEVANCE", "TITLE_ASC"]) {
      let n = 0;
      const seen = await collect({ search: "harbour", orderBy, filter: { category: ["HARBOUR"] } }, async () => {
        await registerAsset(t, token, { title: `Harbour ${orderBy} ${n++} harbour`, category: "HARBOUR" });
      });
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of originals) expect(seen).toContain(id);
    }
  });

  it("refuses a page above 100 with a clear error, and a foreign cursor", async () => {
    const r = await t.gql(SEARCH, { first: 101 }, token);
    expect(r.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(r.errors?.[0]?.message).toMatch(/page size is at most 100/);
    expect((await t.gql(SEARCH, { first: 100 }, token)).errors).toBeUndefined();
    const bad = await t.gql(SEARCH, { first: 5, after: "not-a-cursor" }, token);
    expect(bad.errors?.[0]?.message).toMatch(/not a cursor/);
    const p = await search({ first: 1 });
    const mixed = await t.gql(SEARCH, { first: 1, after: p.pageInfo.endCursor, orderBy: "TITLE_ASC" }, token);
    expect(mixed.errors?.[0]?.message).toMatch(/cursor of the CREATED_AT_DESC order/);
    // A hand-made cursor whose sort key PostgreSQL could not read is refused as bad input, not a 500.
    const id = "00000000-0000-4000-8000-000000000000";
    for (const [o, k] of [
      ["CREATED_AT_DESC", "yesterday"],
      ["CREATED_AT_DESC", "2026-02-30 10:00:00+00"],
      ["RELEVANCE", "high"],
    ]) {
      const after = Buffer.from(JSON.stringify({ o, k, id })).toString("base64url");
      const orderBy = o === "RELEVANCE" ? "RELEVANCE" : undefined;
      const r = await t.gql(SEARCH, { first: 1, after, orderBy, search: orderBy ? "port" : undefined }, token);
      expect(r.errors?.[0]?.extensions?.code, JSON.stringify(r)).toBe("VALIDATION_FAILED");
      expect(r.errors?.[0]?.message).toMatch(/not a cursor/);
    }
  });
});
