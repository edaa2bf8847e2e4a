/**
 * Lineage: the graph around an asset comes from one recursive SQL statement, bounded in
 * depth and safe on cycles; OpenLineage RunEvents posted over HTTP become provenance
 * activities, and a malformed event answers 400 naming the JSON path at fault.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { schema } from "../src/db/index.js";
import { insertOrganization } from "../src/organizations/service.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, createActors, digest, type Actors } from "./support/flow.js";
import { approve, registerAsset } from "./support/catalogue.js";

let t: TestGateway;
let a: Actors;
let statements: string[] | undefined;
type Edge = { from: string; to: string; activityId: string };
let layers: string[][];
let edges: Edge[];

/** 11 layers of 100 published assets; each asset past layer 0 made by one activity from 4 (one with 5) of the layer before: 1,000 activities. */
async function seedGraph(ownerOrgId: string) {
  const db = t.database.db;
  layers = Array.from({ length: 11 }, () => Array.from({ length: 100 }, () => randomUUID()));
  const all = layers.flat();
  await db.insert(schema.dataAsset).values(
    all.map((id, i) => ({
      id,
      ownerOrgId,
      title: `L${Math.floor(i / 100)}-${i % 100}`,
      category: "GRAPH",
      contentDigest: digest(id),
      status: "APPROVED" as const,
    })),
  );
  const activities: (typeof schema.provenanceActivity.$inferInsert)[] = [];
  edges = [];
  for (let l = 1; l <= 10; l++) {
    for (let j = 0; j < 100; j++) {
      const id = randomUUID();
      const inputs = [j, (j + 1) % 100, (j + 7) % 100, (j + 31) % 100].map((k) => ({
        assetId: layers[l - 1]![k]!,
        digest: digest(`${l}-${k}`),
      }));
      // A cycle: the first asset of layer 1 also consumes the first asset of layer 10.
      if (l === 1 && j === 0) inputs.push({ assetId: layers[10]![0]!, digest: digest("cycle") });
      activities.push({
        id,
        assetId: layers[l]![j]!,
        kind: "AGGREGATION",
        actorOrgId: ownerOrgId,
        startedAt: new Date(),
        outputDigest: digest(id),
        inputs,
      });
      for (const input of inputs) edges.push({ from: `asset:${input.assetId}`, to: `asset:${layers[l]![j]}`, activityId: id });
    }
  }
  expect(activities).toHaveLength(1000);
  for (let i = 0; i < activities.length; i += 250) await db.insert(schema.provenanceActivity).values(activities.slice(i, i + 250));
}

beforeAll(async () => {
  t = await startTestGateway({
    gateway: { workerEnabled: false, indexer: { pollerEnabled: false, pollIntervalMs: 3_600_000 } },
    onQuery: (q) => statements?.push(q),
  });
  // The bulk seeding runs in this process before any HTTP traffic, so no keep-alive socket idles through it.
  const graphOwner = await insertOrganization(t.database.db, {
    name: "Graph Co.",
    kind: "DATA_PROVIDER",
    jurisdiction: "CN",
    licenses: [],
  });
  await seedGraph(graphOwner.id);
  a = await createActors(t);
});
afterAll(async () => t?.close());

const LINEAGE = `query($id: ID!, $dir: LineageDirection!, $depth: Int) { lineage(assetId: $id, direction: $dir, depth: $depth) {
  __typename ... on LineageGraph { root depth nodes { key kind assetId sourceUri title depth } edges { from to activityId activityKind digest } }
  ... on ValidationError { issues { path message } } ${ERROR_FIELDS} } }`;

/** Reference answer: breadth-first over the same edges, in JS. */
function bfs(edges: Edge[], root: string, up: boolean, depth: number) {
  const dist = new Map<string, number>([[root, 0]]);
  let frontier = [root];
  for (let d = 1; d <= depth && frontier.length; d++) {
    const next: string[] = [];
    for (const node of frontier) {
      for (const e of edges) {
        const [at, to] = up ? [e.to, e.from] : [e.from, e.to];
        if (at === node && !dist.has(to)) {
          dist.set(to, d);
          next.push(to);
        }
      }
    }
    frontier = next;
  }
  const traversed = edges.filter((e) => {
    const d = dist.get(up ? e.to : e.from);
    return d !== undefined && d < depth;
  });
  return { dist, traversed };
}

describe("lineage graph", () => {
  it("answers a 1,000-activity graph at depth 10 correctly, in one SQL statement", async () => {
    const check = async (root: string, dir: "UPSTREAM" | "DOWNSTREAM", depth: number) => {
      statements = [];
      const r = await t.gql(LINEAGE, { id: root, dir, depth }, a.ownerToken);
      const count = statements.length;
      statements = undefined;
      expect(r.errors).toBeUndefined();
      const g = r.data.lineage;
      expect(g.__typename).toBe("LineageGraph");
      const expected = bfs(edges, `asset:${root}`, dir === "UPSTREAM", depth);
      expect(new Map(g.nodes.map((n: any) => [n.key, n.depth]))).toEqual(expected.dist);
      const key = (e: Edge) => `${e.activityId}|${e.from}|${e.to}`;
      expect(g.edges.map(key).sort()).toEqual(expected.traversed.map(key).sort());
      expect(count).toBe(1);
      return g;
    };
    const up = await check(layers[10]![5]!, "UPSTREAM", 10);
    expect(up.nodes.length).toBeGreaterThan(500);
    expect(up.nodes.find((n: any) => n.depth === 10).title).toMatch(/^L0-/);
    const down = await check(layers[0]![0]!, "DOWNSTREAM", 10);
    expect(down.edges.length).toBeGreaterThan(1500);
    await check(layers[10]![0]!, "UPSTREAM", 10); // through the cycle back to itself
    const shallow = await check(layers[6]![42]!, "UPSTREAM", 3);
    expect(Math.max(...shallow.nodes.map((n: any) => n.depth))).toBe(3);
  });

  it("is cycle-safe on a two-asset loop and names external sources", async () => {
    const x = await registerAsset(t, a.ownerToken, { title: "X" });
    const y = await registerAsset(t, a.ownerToken, { title: "Y" });
    const record = (assetId: string, inputs: unknown[]) =>
      t.gql(
        `mutation($input: RecordProvenanceActivityInput!) { recordProvenanceActivity(input: $input) { __typename ${ERROR_FIELDS} } }`,
        { input: { assetId, kind: "CLEANING", startedAt: "2026-01-01T00:00:00Z", outputDigest: digest(assetId), inputs } },
        a.ownerToken,
      );
    expect(
      (
        await record(x, [
          { assetId: y, digest: digest("y") },
          { sourceUri: "s3://raw/x.parquet", digest: digest("raw") },
        ])
      ).data.recordProvenanceActivity.__typename,
    ).toBe("ProvenanceActivity");
    expect((await record(y, [{ assetId: x, digest: digest("x") }])).data.recordProvenanceActivity.__typename).toBe("ProvenanceActivity");
    const g = (await t.gql(LINEAGE, { id: x, dir: "UPSTREAM", depth: 10 }, a.ownerToken)).data.lineage;
    expect(g.nodes.map((n: any) => [n.key, n.depth]).sort()).toEqual(
      [
        [`asset:${x}`, 0],
        [`asset:${y}`, 1],
        ["source:s3://raw/x.parquet", 1],
      ].sort(),
    );
    expect(g.nodes.find((n: any) => n.kind === "SOURCE")).toMatchObject({ sourceUri: "s3://raw/x.parquet", title: null });
    expect(g.edges).toHaveLength(3);
    // Drafts stay private: another organization's caller does not see the root at all.
    const stranger = await t.tokenFor(["ASSET_OWNER"], a.issuerOrgId, "stranger");
    expect((await t.gql(LINEAGE, { id: x, dir: "UPSTREAM", depth: 2 }, stranger)).data.lineage.__typename).toBe("NotFoundError");
  });

  it("refuses a depth above 10", async () => {
    const x = await registerAsset(t, a.ownerToken);
    const r = await t.gql(LINEAGE, { id: x, dir: "DOWNSTREAM", depth: 11 }, a.ownerToken);
    expect(r.data.lineage).toMatchObject({ __typename: "ValidationError", issues: [{ path: "depth" }] });
  });
});

describe("POST /lineage/openlineage", () => {
  const post = (body: unknown, token: string | null = a.ownerToken) =>
    fetch(`${t.url}/lineage/openlineage`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  const event = (output: string, input: string, overrides: Record<string, unknown> = {}) => ({
    eventType: "COMPLETE",
    eventTime: "2026-03-01T12:00:00Z",
    producer: "https://example.com/dag-tests",
    schemaURL: "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    run: { runId: randomUUID(), facets: { nominalTime: { nominalStartTime: "2026-03-01T11:00:00Z" } } },
    job: {
      namespace: "etl",
      name: "clean_port_calls",
      facets: { jobType: { jobType: "CLEANING", processingType: "BATCH", integration: "SPARK" } },
    },
    inputs: [
      { namespace: "s3://port-raw", name: "2025/calls.parquet", facets: { contentDigest: { digest: digest("raw calls") } } },
      { namespace: "data-asset-gateway", name: input, facets: { contentDigest: { digest: digest("input asset") } } },
    ],
    outputs: [
      { namespace: "data-asset-gateway", name: output, facets: { contentDigest: { digest: digest("cleaned") } } },
      { namespace: "s3://port-clean", name: "2025/calls.parquet" },
    ],
    ...overrides,
  });

  it("maps a COMPLETE RunEvent onto a provenance activity, once per run", async () => {
    const input = await registerAsset(t, a.ownerToken, { title: "Raw calls" });
    const output = await registerAsset(t, a.ownerToken, { title: "Clean calls" });
    const e = event(output, input);
    const r = await post(e);
    expect(r.status).toBe(201);
    expect(r.body.recorded).toHaveLength(1);
    expect(r.body.ignoredOutputs).toEqual(["s3://port-clean/2025/calls.parquet"]);
    const [row] = await t.database.db.select().from(schema.provenanceActivity).where(eq(schema.provenanceActivity.id, r.body.recorded[0]));
    expect(row).toMatchObject({ assetId: output, kind: "CLEANING", outputDigest: digest("cleaned"), actorOrgId: a.providerOrgId });
    expect(row!.startedAt.toISOString()).toBe("2026-03-01T11:00:00.000Z");
    expect(row!.endedAt!.toISOString()).toBe("2026-03-01T12:00:00.000Z");
    expect(row!.inputs).toEqual([
      { sourceUri: "s3://port-raw/2025/calls.parquet", digest: digest("raw calls") },
      { assetId: input, digest: digest("input asset") },
    ]);
    expect((row!.parameters as any).openLineage.runId).toBe(e.run.runId);

    const again = await post(e);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ recorded: [], alreadyRecorded: [r.body.recorded[0]] });

    const g = (await t.gql(LINEAGE, { id: output, dir: "UPSTREAM", depth: 1 }, a.ownerToken)).data.lineage;
    expect(g.nodes.map((n: any) => n.key).sort()).toEqual(
      [`asset:${input}`, `asset:${output}`, "source:s3://port-raw/2025/calls.parquet"].sort(),
    );

    const start = await post({ ...event(output, input), eventType: "START" });
    expect(start.status).toBe(202);
    expect(start.body.recorded).toEqual([]);
  });

  it.each([
    ["a missing run id", (e: any) => ({ ...e, run: {} }), "$.run.runId"],
    ["a run id that is not a UUID", (e: any) => ({ ...e, run: { runId: "run-1" } }), "$.run.runId"],
    ["a bad eventTime", (e: any) => ({ ...e, eventTime: "yesterday" }), "$.eventTime"],
    ["an unknown eventType", (e: any) => ({ ...e, eventType: "DONE" }), "$.eventType"],
    ["a job without a name", (e: any) => ({ ...e, job: { namespace: "etl" } }), "$.job.name"],
    [
      "an input without a digest",
      (e: any) => ({ ...e, inputs: [{ namespace: "s3://a", name: "b" }] }),
      "$.inputs[0].facets.contentDigest.digest",
    ],
    [
      "an output digest that is not sha256",
      (e: any) => ({
        ...e,
        outputs: [{ namespace: "data-asset-gateway", name: e.outputs[0].name, facets: { contentDigest: { digest: "0xabc" } } }],
      }),
      "$.outputs[0].facets.contentDigest.digest",
    ],
  ])("answers 400 with the JSON path for %s, and records nothing", async (_label, mutate, path) => {
    const output = await registerAsset(t, a.ownerToken);
    const before = await t.database.db.select().from(schema.provenanceActivity).where(eq(schema.provenanceActivity.assetId, output));
    const r = await post(mutate(event(output, output)));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("VALIDATION_FAILED");
    expect(r.body.error.issues.map((i: any) => i.path)).toContain(path);
    const after = await t.database.db.select().from(schema.provenanceActivity).where(eq(schema.provenanceActivity.assetId, output));
    expect(after).toEqual(before);
  });

  it("answers 400 for a body that is not JSON, 401 without a token, and refuses another organization's asset", async () => {
    const notJson = await post("{ nope");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.issues).toEqual([{ path: "$", message: "is not valid JSON" }]);
    const output = await registerAsset(t, a.ownerToken);
    expect((await post(event(output, output), null)).status).toBe(401);
    await approve(t, a.ownerToken, a.officerToken, output);
    const stranger = await t.tokenFor(["ASSET_OWNER"], a.issuerOrgId, "stranger");
    expect((await post(event(output, output), stranger)).status).toBe(403);
  });
});
