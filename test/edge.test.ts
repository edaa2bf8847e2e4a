/**
 * One edge for every client: the same body limit and connection handling on every HTTP route,
 * the same operation limits, context and masking over graphql-ws as over HTTP, and the
 * production settings (introspection, playground, /metrics) closed unless configured.
 * Real gateways, a real WebSocket (graphql-ws client and raw `ws`), real sockets.
 */
import { request, Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { sql } from "drizzle-orm";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { createActors, ERROR_FIELDS, ok, type Actors } from "./support/flow.js";
import { DEV_JWT_SECRET, DEV_WEBHOOK_SECRET, loadConfig } from "../src/config.js";

const WEBHOOK_SECRET = "edge-test-webhook-secret-0123456789";
const METRICS_TOKEN = "edge-test-metrics-token-0123456789";

type WsOutcome = { data?: any; errors?: { message: string; extensions?: { code?: string } }[]; closed?: number };
const clients: Client[] = [];

function wsClient(t: TestGateway, token?: string): Client {
  const client = createClient({
    url: `${t.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
  clients.push(client);
  return client;
}

/** One operation over graphql-ws: its result, its errors, or the close code when the server hangs up. */
function overWs(client: Client, query: string, variables?: Record<string, unknown>): Promise<WsOutcome> {
  return new Promise((resolve) => {
    let outcome: WsOutcome = {};
    client.subscribe(
      { query, variables },
      {
        next: (r) => (outcome = { data: r.data, errors: r.errors as WsOutcome["errors"] }),
        error: (e) => resolve(Array.isArray(e) ? { errors: e } : { closed: (e as { code?: number }).code }),
        complete: () => resolve(outcome),
      },
    );
  });
}

/** A request on the given agent (a keep-alive agent with one socket reuses it unless told to close). */
function send(agent: Agent, url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; connection?: string; body: any }>((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode!, connection: res.headers.connection, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

let t: TestGateway;
let a: Actors;
beforeAll(async () => {
  t = await startTestGateway({ gateway: { webhookSecret: WEBHOOK_SECRET, siweDomain: "gateway.example" } });
  a = await createActors(t);
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await t?.close();
});

describe("body limit on every route", () => {
  it.each([
    ["/graphql", 1_100_000],
    ["/lineage/openlineage", 1_100_000],
    ["/webhooks/chain", 5_100_000],
    ["/webhooks/revenue", 1_100_000],
  ])("%s answers 413 PAYLOAD_TOO_LARGE, closes the connection, and the next request on that agent succeeds", async (path, size) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = JSON.stringify({ padding: "x".repeat(size) });
      const refused = await send(agent, `${t.url}${path}`, big, { authorization: `Bearer ${a.ownerToken}` });
      expect(refused.status).toBe(413);
      expect(refused.connection).toBe("close");
      expect(JSON.stringify(refused.body)).toContain("PAYLOAD_TOO_LARGE");
      // Kept alive, this socket would carry the next request into the unread rest of the body (ECONNRESET).
      const next = await send(agent, `${t.url}/graphql`, JSON.stringify({ query: "{ __typename }" }));
      expect(next).toMatchObject({ status: 200, body: { data: { __typename: "Query" } } });
    } finally {
      agent.destroy();
    }
  });
});

describe("graphql-ws: the same limits as HTTP", () => {
  it("refuses 1,000 aliases", async () => {
    const r = await overWs(wsClient(t), `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: __typename`).join(" ")} }`);
    expect(r.errors?.[0]?.message).toMatch(/aliases limit of 30/i);
    expect(r.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("refuses depth 50, and a 50-deep introspection ofType chain", async () => {
    const chain = `${"{ ofType ".repeat(45)}{ name }${" }".repeat(45)}`;
    const deep = await overWs(wsClient(t), `{ __type(name: "Query") { fields { type ${chain} } } }`);
    expect(deep.errors?.[0]?.message).toMatch(/depth limit of 20/i);
    const introspection = await overWs(wsClient(t), `{ __schema { types { fields { type ${chain} } } } }`);
    expect(introspection.errors?.[0]?.message).toMatch(/depth limit of 25/i);
  });

  it("refuses 100 aliased pages of 100 (cost, aliases), the token limit and a list literal 10,000 deep", async () => {
    const pages = await overWs(
      wsClient(t),
      `{ ${Array.from({ length: 100 }, (_, i) => `p${i}: dataAssets(first: 100) { edges { cursor } }`).join(" ")} }`,
    );
    expect(pages.errors?.length).toBeGreaterThan(0);
    expect(pages.data).toBeUndefined();
    const tokens = await overWs(wsClient(t), `{ ${Array.from({ length: 5100 }, () => "__typename").join(" ")} }`);
    expect(tokens.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/token limit of 5000/i),
      extensions: { code: "GRAPHQL_PARSE_FAILED" },
    });
    const nested = await overWs(
      wsClient(t),
      `{ dataAssets(filter: { tags: ${"[".repeat(10_000)}"x"${"]".repeat(10_000)} }) { edges { cursor } } }`,
    );
    expect(nested.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/limit of \d+ exceeded/i),
      extensions: { code: "GRAPHQL_PARSE_FAILED" },
    });
    // The server is still there.
    expect(await overWs(wsClient(t), "{ __typename }")).toEqual({ data: { __typename: "Query" } });
  });

  it("closes the socket on a 5 MB message (1009) instead of parsing it", async () => {
    const socket = new WebSocket(`${t.url.replace(/^http/, "ws")}/graphql`, "graphql-transport-ws");
    const messages: string[] = [];
    socket.on("message", (m) => messages.push(String(m)));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    socket.send(JSON.stringify({ type: "connection_init" }));
    while (!messages.some((m) => m.includes("connection_ack"))) await new Promise((r) => setTimeout(r, 10));
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    socket.send(
      JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ __typename }", variables: { padding: "x".repeat(5_000_000) } } }),
    );
    const code = await Promise.race([
      closed,
      new Promise<string>((r) => setTimeout(() => r(`still open after: ${messages.join(" | ")}`), 5000)),
    ]);
    expect(code).toBe(1009);
    expect(messages.some((m) => m.includes('"next"'))).toBe(false);
  });

  it("builds the context as HTTP does: the caller from connectionParams and SIWE_DOMAIN", async () => {
    const wallet = `0x${"ab".repeat(20)}`;
    const investor = ok<{ __typename: string; id: string }>(
      await t.gql(
        `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) { __typename ... on Investor { id } ${ERROR_FIELDS} } }`,
        { input: { did: `did:pkh:eip155:31337:${wallet}`, investorClass: "PROFESSIONAL", jurisdiction: "HK", walletAddress: wallet } },
        a.issuerToken,
      ),
      "registerInvestor",
      "Investor",
    );
    const r = await overWs(
      wsClient(t, a.issuerToken),
      `mutation($id: ID!) { requestWalletChallenge(investorId: $id) { __typename ... on WalletChallenge { message } ${ERROR_FIELDS} } }`,
      { id: investor.id },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.requestWalletChallenge.__typename).toBe("WalletChallenge");
    expect(r.data.requestWalletChallenge.message).toMatch(/^gateway\.example wants you to sign in/);
  });
});

describe("graphql-ws: the same input rules as HTTP", () => {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  it("refuses a NUL in a title, a forged cursor and an impossible DateTime with the typed errors HTTP gives, writing nothing", async () => {
    const client = wsClient(t, a.ownerToken);
    const count = async () => (await t.database.db.execute(sql`select count(*)::int as n from data_asset`)) as any;
    const before = JSON.stringify(await count());
    const register = await overWs(
      client,
      `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) { __typename ... on ValidationError { issues { path } } ${ERROR_FIELDS} } }`,
      { input: { title: "nul\u0000title", category: "TEST", contentDigest: `0x${"11".repeat(32)}` } },
    );
    expect(register.data.registerDataAsset).toMatchObject({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      issues: [{ path: "title" }],
    });
    const page = await overWs(
      client,
      `query($after: String) { dataAssets(orderBy: RELEVANCE, search: "port", first: 5, after: $after) { edges { node { id } } } }`,
      {
        after: cursor({ o: "RELEVANCE", k: "1e99999", id: "00000000-0000-4000-8000-000000000000" }),
      },
    );
    expect(page.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    const date = await overWs(
      client,
      `query($at: DateTime) { dataAssets(filter: { updatedAfter: $at }, first: 1) { edges { node { id } } } }`,
      { at: "2026-02-30T00:00:00Z" },
    );
    expect(date.errors?.[0]?.message).toMatch(/RFC 3339/);
    expect(JSON.stringify(await count())).toBe(before);
  });
});

describe("production mode", () => {
  let closed: TestGateway;
  let open: TestGateway;
  const quiet = { workerEnabled: false, indexer: { pollerEnabled: false } } as const;
  beforeAll(async () => {
    closed = await startTestGateway({ gateway: { production: true, ...quiet } });
    open = await startTestGateway({
      gateway: { production: true, introspection: true, playground: true, metricsToken: METRICS_TOKEN, ...quiet },
    });
  });
  afterAll(async () => {
    await closed?.close();
    await open?.close();
  });

  const introspect = (g: TestGateway) => g.gql("{ __schema { queryType { name } } }");
  const page = (g: TestGateway) => fetch(`${g.url}/graphql`, { headers: { accept: "text/html" } });

  it("closes introspection, the playground and /metrics by default", async () => {
    const r = await introspect(closed);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect((await overWs(wsClient(closed), "{ __schema { queryType { name } } }")).errors?.[0]?.message).toMatch(/introspection/i);
    expect((await closed.gql("{ __typename }")).data).toEqual({ __typename: "Query" });
    // Field suggestions would map the schema: hidden in production, on both transports.
    const typo = "{ dataAssetz { edges { cursor } } }";
    for (const errors of [(await closed.gql(typo)).errors, (await overWs(wsClient(closed), typo)).errors]) {
      expect(errors?.[0]?.message).toMatch(/Cannot query field "dataAssetz"/);
      expect(errors?.[0]?.message).not.toMatch(/Did you mean/);
    }
    const html = await page(closed);
    expect(html.headers.get("content-type")).not.toMatch(/text\/html/);
    expect((await fetch(`${closed.url}/playground/graphiql.js`)).status).toBe(404);
    expect((await fetch(`${closed.url}/metrics`)).status).toBe(404);
  });

  it("opens each when configured; /metrics then needs its bearer token", async () => {
    expect((await introspect(open)).data).toEqual({ __schema: { queryType: { name: "Query" } } });
    const html = await page(open);
    expect(html.status).toBe(200);
    expect(await html.text()).toContain("/playground/graphiql.js");
    expect((await fetch(`${open.url}/playground/graphiql.js`)).status).toBe(200);
    expect((await fetch(`${open.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${open.url}/metrics`, { headers: { authorization: "Bearer not-the-token-0123456789" } })).status).toBe(401);
    const metrics = await fetch(`${open.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^# HELP/m);
  });

  it("masks a resolver's untyped failure over WebSocket as over HTTP: no SQL, no stack", async () => {
    // A failure no input can cause once inputs are validated: the table is gone.
    await closed.database.db.execute(sql`drop table data_asset cascade`);
    const query = "{ dataAssets(first: 1) { edges { cursor } } }";
    const http = await closed.gql(query);
    const ws = await overWs(wsClient(closed), query);
    for (const errors of [http.errors, ws.errors]) {
      expect(errors?.length).toBeGreaterThan(0);
      expect(errors![0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
      expect(JSON.stringify(errors)).not.toMatch(/select|data_asset|failed query|stack|\.ts:\d+/i);
    }
  });
});

describe("configuration", () => {
  const production = { NODE_ENV: "production", JWT_SECRET: "a".repeat(32), WEBHOOK_SECRET: "b".repeat(16) };

  it("refuses the README's development secrets in production, naming the variable", () => {
    expect(() => loadConfig({ ...production, JWT_SECRET: DEV_JWT_SECRET })).toThrow(/JWT_SECRET: is the public development secret/);
    expect(() => loadConfig({ ...production, WEBHOOK_SECRET: DEV_WEBHOOK_SECRET })).toThrow(
      /WEBHOOK_SECRET: is the public development secret/,
    );
    expect(loadConfig({ JWT_SECRET: DEV_JWT_SECRET }).jwtSecret).toBe(DEV_JWT_SECRET);
  });

  it("defaults introspection and the playground to off in production, on elsewhere; METRICS_TOKEN is read", () => {
    expect(loadConfig(production)).toMatchObject({ introspection: false, playground: false, metricsToken: undefined });
    expect(loadConfig({})).toMatchObject({ introspection: true, playground: true });
    expect(
      loadConfig({ ...production, GRAPHQL_INTROSPECTION: "true", PLAYGROUND_ENABLED: "true", METRICS_TOKEN: METRICS_TOKEN }),
    ).toMatchObject({
      introspection: true,
      playground: true,
      metricsToken: METRICS_TOKEN,
    });
    expect(() => loadConfig({ GRAPHQL_INTROSPECTION: "yes" })).toThrow(/GRAPHQL_INTROSPECTION/);
  });
});
