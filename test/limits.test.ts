/**
 * Limits and hygiene: each limit answers a clear error, and the server stays responsive.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClientSchema, getIntrospectionQuery } from "graphql";
import { startTestGateway, type TestGateway } from "./support/harness.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(async () => t?.close());

async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, body: (await res.json()) as any };
}

async function stillResponsive() {
  const r = await t.gql("{ dataAssets(first: 1) { edges { cursor } } }");
  expect(r.errors).toBeUndefined();
}

describe("operation limits", () => {
  it("refuses a query nested 50 deep, and a 50-deep introspection ofType chain", async () => {
    const depth = 50;
    const deep = `{ __type(name: "Query") { fields { type ${"{ ofType ".repeat(depth - 5)}{ name }${" }".repeat(depth - 5)} } } }`;
    const r = await post(JSON.stringify({ query: deep }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/depth limit of 20/i);
    expect(r.body.errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
    // Introspection has its own bound: deep enough for getIntrospectionQuery() (21), not for this.
    const hostile = `{ __schema { types { fields { type ${"{ ofType ".repeat(depth - 5)}{ name }${" }".repeat(depth - 5)} } } } }`;
    const i = await post(JSON.stringify({ query: hostile }));
    expect(i.status).toBe(400);
    expect(i.body.errors[0].message).toMatch(/depth limit of 25 exceeded, found 50/i);
    expect(i.body.errors[0].extensions.code).toBe("GRAPHQL_VALIDATION_FAILED");
    await stillResponsive();
  });

  it("answers the standard introspection query (with and without inputValueDeprecation)", async () => {
    for (const query of [
      getIntrospectionQuery(),
      getIntrospectionQuery({ inputValueDeprecation: true }),
      getIntrospectionQuery({
        inputValueDeprecation: true,
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
      }),
    ]) {
      const r = await post(JSON.stringify({ query }));
      expect(r.status, JSON.stringify(r.body.errors)).toBe(200);
      expect(r.body.errors).toBeUndefined();
      const schema = buildClientSchema(r.body.data);
      expect(schema.getQueryType()?.name).toBe("Query");
      expect(schema.getType("DataAsset")).toBeDefined();
    }
  });

  it("refuses a document over the token limit with 400, not 500", async () => {
    const query = `{ ${Array.from({ length: 5100 }, () => "__typename").join(" ")} }`;
    const r = await post(JSON.stringify({ query }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/token limit of 5000 exceeded/i);
    expect(r.body.errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    await stillResponsive();
  });

  it("refuses a list literal nested 10,000 deep with 400 (graphql-js would overflow its stack parsing it)", async () => {
    for (const depth of [10_000, 2_000]) {
      const query = `{ dataAssets(filter: { tags: ${"[".repeat(depth)}"x"${"]".repeat(depth)} }) { edges { cursor } } }`;
      const r = await post(JSON.stringify({ query }));
      expect(r.status).toBe(400);
      expect(r.body.errors[0].message).toMatch(/(nesting|token) limit of \d+ exceeded/i);
      expect(r.body.errors[0].extensions.code).toBe("GRAPHQL_PARSE_FAILED");
    }
    await stillResponsive();
  });

  it("refuses 1,000 aliases", async () => {
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    const r = await post(JSON.stringify({ query }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/(aliases|token) limit/i);
    await stillResponsive();
  });

  it("refuses a page of 10,000 (cost limit) and of 101 (page size limit)", async () => {
    const huge = await t.gql("{ dataAssets(first: 10000) { edges { cursor } } }");
    expect(huge.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
    expect(huge.errors?.[0]?.message).toMatch(/cost limit of 20000 exceeded/i);
    const over = await t.gql("{ dataAssets(first: 101) { edges { cursor } } }");
    expect(over.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(over.errors?.[0]?.message).toMatch(/at most 100/);
    await stillResponsive();
  });

  it("refuses a request body over 1 MB with 413", async () => {
    const r = await post(JSON.stringify({ query: `{ __typename }`, padding: "x".repeat(1_100_000) }));
    expect(r.status).toBe(413);
    expect(r.body.errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    await stillResponsive();
  });

  it("refuses batched operations", async () => {
    const r = await post(JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]));
    expect(r.status).toBe(400);
    await stillResponsive();
  });
});

describe("hygiene", () => {
  it("blocks a simple cross-site GET (CSRF prevention) but serves a preflighted one", async () => {
    const blocked = await fetch(`${t.url}/graphql?query=${encodeURIComponent("{ __typename }")}`);
    expect(blocked.status).toBe(400);
    expect(await blocked.text()).toMatch(/CSRF/i);
    const allowed = await fetch(`${t.url}/graphql?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { "apollo-require-preflight": "true" },
    });
    expect(await allowed.json()).toEqual({ data: { __typename: "Query" } });
  });

  it("answers 404 for a playground asset named like an Object.prototype member", async () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const res = await fetch(`${t.url}/playground/${name}`);
      expect(res.status, name).toBe(404);
    }
    expect((await fetch(`${t.url}/playground/graphiql.css`)).status).toBe(200);
  });

  it("tags every response with a request id", async () => {
    const res = await fetch(`${t.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
