/**
 * Input the database or a library would refuse is refused first, over HTTP, with a typed error
 * naming the field, and changes nothing: text with NUL or a lone surrogate, forged cursors,
 * JSON nested too deep, a token naming an organization that does not exist, date-times that
 * are not RFC 3339 calendar days, mixed-case addresses with a wrong EIP-55 checksum.
 * (Development mode, where the answer is at its most detailed; the typed results are the same
 * in production, where only unexpected errors are masked.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { count, sql } from "drizzle-orm";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { readFileSync } from "node:fs";
import { buildSchema, getNamedType, getNullableType, isEnumType, isLeafType, isListType, isNonNullType, isScalarType } from "graphql";
import { schema } from "../src/db/index.js";
import { typedDatabaseError } from "../src/db/errors.js";
import { ConflictError, NotFoundError, ValidationError } from "../src/errors.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, createActors, digest, type Actors } from "./support/flow.js";

let t: TestGateway;
let a: Actors;
let draftId: string;

const NUL = "a\u0000b";
const LONE_SURROGATE = "a\ud800b";

/** Row counts of the tables a refused call could have written to. */
async function snapshot() {
  const tables = [
    schema.organization,
    schema.dataAsset,
    schema.dataAssetVersion,
    schema.provenanceActivity,
    schema.investor,
    schema.mintRequest,
    schema.auditEvent,
    schema.job,
  ];
  const counts: number[] = [];
  for (const table of tables) counts.push(Number((await t.database.db.select({ n: count() }).from(table as any))[0]!.n));
  return counts;
}

/** Runs `call` and shows it wrote nothing. */
async function unchanged<T>(call: () => Promise<T>): Promise<T> {
  const before = await snapshot();
  const result = await call();
  expect(await snapshot()).toEqual(before);
  return result;
}

const REGISTER = `mutation($input: RegisterDataAssetInput!) { registerDataAsset(input: $input) {
  __typename ... on DataAsset { id } ... on ValidationError { issues { path message } } ${ERROR_FIELDS} } }`;
const SEARCH = `query($search: String, $filter: DataAssetFilter, $orderBy: DataAssetOrder, $after: String) {
  dataAssets(search: $search, filter: $filter, orderBy: $orderBy, first: 5, after: $after) { edges { node { id } } } }`;
const MINT_REQUESTS = `query($after: String) { mintRequests(first: 5, after: $after) { edges { node { id } } } }`;
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

beforeAll(async () => {
  t = await startTestGateway({ gateway: { workerEnabled: false, indexer: { pollerEnabled: false, pollIntervalMs: 3_600_000 } } });
  a = await createActors(t);
  const r = await t.gql(
    REGISTER,
    { input: { title: "Validation draft", category: "TEST", contentDigest: digest("validation-draft") } },
    a.ownerToken,
  );
  draftId = r.data.registerDataAsset.id;
});
afterAll(async () => t?.close());

describe("text the database cannot store is refused naming the field", () => {
  const asset = { title: "Fine", category: "TEST", contentDigest: digest("text") };
  it.each([
    ["a NUL in the title", { ...asset, title: NUL }, "title", /NUL/],
    ["a lone surrogate in the title", { ...asset, title: LONE_SURROGATE }, "title", /lone UTF-16 surrogate/],
    ["a NUL in a tag", { ...asset, tags: ["ok", NUL] }, "tags.1", /NUL/],
    ["a lone surrogate in a tag", { ...asset, tags: ["\udc00"] }, "tags.0", /surrogate/],
    ["a NUL in the description", { ...asset, description: NUL }, "description", /NUL/],
    [
      "a record count beyond a bigint column",
      { ...asset, recordCount: "9223372036854775808" },
      "recordCount",
      /at most 9223372036854775807/,
    ],
  ])("registerDataAsset: %s", async (_label, input, path, message) => {
    const r = await unchanged(() => t.gql(REGISTER, { input }, a.ownerToken));
    expect(r.status).toBe(200);
    expect(r.data.registerDataAsset).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(r.data.registerDataAsset.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it("a surrogate pair (an emoji) is text like any other", async () => {
    const r = await t.gql(REGISTER, { input: { ...asset, title: "Harbour 🚢 2026", contentDigest: digest("emoji") } }, a.ownerToken);
    expect(r.data.registerDataAsset.__typename).toBe("DataAsset");
  });

  it.each([
    ["a NUL in the search text", { search: NUL }, "search"],
    ["a lone surrogate in the search text", { search: LONE_SURROGATE }, "search"],
    ["a NUL in the category filter", { filter: { category: ["TEST", NUL] } }, "filter.category.1"],
    ["a lone surrogate in the tag filter", { filter: { tags: [LONE_SURROGATE] } }, "filter.tags.0"],
  ])("dataAssets: %s", async (_label, vars, path) => {
    const r = await unchanged(() => t.gql(SEARCH, vars, a.ownerToken));
    expect(r.status).toBe(200);
    expect(r.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(r.errors?.[0]?.message).toContain(`${path}: must not contain`);
  });

  it.each([
    ["NUL", NUL],
    ["lone surrogate", LONE_SURROGATE],
  ])("createOrganization: a %s in the name", async (_label, name) => {
    const r = await unchanged(() =>
      t.gql(
        `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { __typename ... on ValidationError { issues { path } } ${ERROR_FIELDS} } }`,
        { input: { name, kind: "DATA_PROVIDER", jurisdiction: "CN" } },
        t.adminToken,
      ),
    );
    expect(r.data.createOrganization).toMatchObject({
      __typename: "ValidationError",
      code: "VALIDATION_FAILED",
      issues: [{ path: "name" }],
    });
  });
});

describe("forged cursors are refused before any SQL, on the after argument", () => {
  const id = randomUUID();
  it.each([
    [
      "a RELEVANCE key that is not a finite number",
      { search: "port", orderBy: "RELEVANCE", after: cursor({ o: "RELEVANCE", k: "1e99999", id }) },
    ],
    [
      "a RELEVANCE key beyond the range of real",
      { search: "port", orderBy: "RELEVANCE", after: cursor({ o: "RELEVANCE", k: "1e39", id }) },
    ],
    ["a year-0000 creation time", { orderBy: "CREATED_AT_DESC", after: cursor({ o: "CREATED_AT_DESC", k: "0000-01-01 00:00:00+00", id }) }],
    [
      "an offset PostgreSQL refuses",
      { orderBy: "UPDATED_AT_DESC", after: cursor({ o: "UPDATED_AT_DESC", k: "2026-01-01 00:00:00+99", id }) },
    ],
    ["a NUL in a TITLE_ASC key", { orderBy: "TITLE_ASC", after: cursor({ o: "TITLE_ASC", k: NUL, id }) }],
    ["a lone surrogate in a TITLE_ASC key", { orderBy: "TITLE_ASC", after: cursor({ o: "TITLE_ASC", k: LONE_SURROGATE, id }) }],
    ["garbage base64", { after: "%%%not-base64%%%" }],
  ])("dataAssets: %s", async (_label, vars) => {
    const r = await unchanged(() => t.gql(SEARCH, vars, a.ownerToken));
    expect(r.status).toBe(200);
    expect(r.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(r.errors?.[0]?.message).toBe("Invalid input: after: is not a cursor from this API");
  });

  it.each([
    ["a year-0000 creation time", cursor({ createdAt: "0000-01-01 00:00:00+00", id })],
    ["an offset PostgreSQL refuses", cursor({ createdAt: "2026-01-01 00:00:00+99", id })],
    ["a NUL in the creation time", cursor({ createdAt: `2026-01-01 00:00:00+00${"\u0000"}`, id })],
    ["garbage base64", "%%%not-base64%%%"],
  ])("mintRequests: %s", async (_label, after) => {
    const r = await unchanged(() => t.gql(MINT_REQUESTS, { after }, a.issuerToken));
    expect(r.status).toBe(200);
    expect(r.errors?.[0]?.extensions?.code).toBe("VALIDATION_FAILED");
    expect(r.errors?.[0]?.message).toBe("Invalid input: after: is not a cursor from this API");
  });
});

describe("JSON inputs", () => {
  const RECORD = `mutation($input: RecordProvenanceActivityInput!) { recordProvenanceActivity(input: $input) {
    __typename ... on ValidationError { issues { path message } } ${ERROR_FIELDS} } }`;
  const activity = (parameters: unknown) => ({
    assetId: draftId,
    kind: "CLEANING",
    startedAt: "2026-01-01T00:00:00Z",
    outputDigest: digest("out"),
    parameters,
  });

  it("parameters nested 3,000 deep: VALIDATION_FAILED on parameters, not a 500", async () => {
    let deep: unknown = { leaf: true };
    for (let i = 0; i < 3000; i++) deep = { a: deep };
    const r = await unchanged(() => t.gql(RECORD, { input: activity(deep) }, a.ownerToken));
    expect(r.status).toBe(200);
    expect(r.data.recordProvenanceActivity).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    const [issue] = r.data.recordProvenanceActivity.issues;
    expect(issue.path).toMatch(/^parameters(\.a)+$/);
    expect(issue.message).toBe("is nested more than 32 levels deep");
  });

  it("a NUL inside a parameter value or key (jsonb refuses \\u0000): VALIDATION_FAILED naming it", async () => {
    const value = await unchanged(() => t.gql(RECORD, { input: activity({ tool: { name: NUL } }) }, a.ownerToken));
    expect(value.data.recordProvenanceActivity.issues).toEqual([{ path: "parameters.tool.name", message: expect.stringMatching(/NUL/) }]);
    const key = await unchanged(() => t.gql(RECORD, { input: activity({ [NUL]: 1 }) }, a.ownerToken));
    expect(key.data.recordProvenanceActivity.issues).toEqual([
      { path: "parameters", message: expect.stringMatching(/has a key that must not contain the NUL/) },
    ]);
  });

  it("parameters within the limits are recorded", async () => {
    let nested: unknown = 1;
    for (let i = 0; i < 30; i++) nested = [nested];
    const r = await t.gql(RECORD, { input: activity({ nested }) }, a.ownerToken);
    expect(r.data.recordProvenanceActivity.__typename).toBe("ProvenanceActivity");
  });
});

describe("a correctly signed token naming an organization that does not exist", () => {
  it("answers UNAUTHENTICATED on a write (not a foreign-key 500), and writes nothing", async () => {
    const ghost = await t.tokenFor(["ASSET_OWNER"], randomUUID(), "ghost");
    const r = await unchanged(() =>
      t.gql(REGISTER, { input: { title: "Ghost", category: "TEST", contentDigest: digest("ghost") } }, ghost),
    );
    expect(r.status).toBe(200);
    expect(r.data.registerDataAsset).toMatchObject({ __typename: "UnauthenticatedError", code: "UNAUTHENTICATED" });
    expect(r.data.registerDataAsset.message).toMatch(/your token's organization .* does not exist/);

    const imported = await unchanged(() =>
      t.gql(
        `mutation($input: [RegisterDataAssetInput!]!) { importDataAssets(input: $input) { __typename ${ERROR_FIELDS} } }`,
        { input: [{ title: "Ghost import", category: "TEST", contentDigest: digest("ghost-import") }] },
        ghost,
      ),
    );
    expect(imported.data.importDataAssets).toMatchObject({ __typename: "UnauthenticatedError", code: "UNAUTHENTICATED" });
  });
});

describe("DateTime is strict RFC 3339", () => {
  const AS_OF = `query($id: ID!, $asOf: DateTime) { dataAsset(id: $id, asOf: $asOf) { __typename ... on DataAsset { id } ${ERROR_FIELDS} } }`;

  it.each([
    ["a day the calendar does not have", "2026-02-30T00:00:00Z"],
    ["a bare number", "1"],
    ["no offset", "2026-11-27T12:00:00"],
    ["a date without a time", "2026-11-27"],
    ["an offset without a colon", "2026-11-27T12:00:00+0800"],
    ["year 0000", "0000-01-01T00:00:00Z"],
    ["February 29 of a common year", "2026-02-29T00:00:00Z"],
  ])("refuses %s as a variable: 400 BAD_USER_INPUT saying what is expected", async (_label, asOf) => {
    const r = await t.gql(AS_OF, { id: draftId, asOf }, a.ownerToken);
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(r.errors?.[0]?.message).toContain("DateTime must be an RFC 3339 date-time with an offset");
  });

  it("refuses one written in the query too", async () => {
    const r = await t.gql(
      `query($id: ID!) { dataAsset(id: $id, asOf: "2026-02-30T00:00:00Z") { __typename } }`,
      { id: draftId },
      a.ownerToken,
    );
    expect(r.status).toBe(400);
    expect(r.errors?.[0]?.message).toContain("RFC 3339");
  });

  it("refuses it in a KYC expiry, writing nothing", async () => {
    const r = await unchanged(() =>
      t.gql(
        `mutation($id: ID!, $exp: DateTime) { verifyInvestorKyc(investorId: $id, status: VERIFIED, expiresAt: $exp) { __typename } }`,
        { id: randomUUID(), exp: "2027-02-30T00:00:00Z" },
        a.officerToken,
      ),
    );
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it.each([
    ["Z", "2030-02-28T23:59:59Z"],
    ["an offset and fractional seconds", "2030-02-28T08:00:00.123456+08:00"],
    ["a leap day", "2028-02-29T00:00:00-05:00"],
  ])("accepts one with %s", async (_label, asOf) => {
    const r = await t.gql(AS_OF, { id: draftId, asOf }, a.ownerToken);
    expect(r.status).toBe(200);
    expect(r.data.dataAsset.__typename).toBe("DataAsset");
  });
});

describe("EVM addresses are EIP-55 strict", () => {
  const REGISTER_INVESTOR = `mutation($input: RegisterInvestorInput!) { registerInvestor(input: $input) {
    __typename ... on Investor { walletAddress } ... on ValidationError { issues { path message } } ${ERROR_FIELDS} } }`;
  const investor = (walletAddress: string) => ({
    did: `did:pkh:eip155:31337:${walletAddress.toLowerCase()}`,
    investorClass: "PROFESSIONAL",
    jurisdiction: "HK",
    walletAddress,
  });
  /** A checksummed address with the case of one letter flipped: a checksum that does not match. */
  function wrongChecksum(address: string) {
    const i = [...address].findIndex((c, n) => n > 1 && /[a-fA-F]/.test(c));
    const c = address[i]!;
    return address.slice(0, i) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + address.slice(i + 1);
  }

  it("refuses a mixed-case address whose checksum does not match, naming walletAddress", async () => {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const r = await unchanged(() => t.gql(REGISTER_INVESTOR, { input: investor(wrongChecksum(address)) }, a.issuerToken));
    expect(r.data.registerInvestor).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    expect(r.data.registerInvestor.issues).toEqual([{ path: "walletAddress", message: expect.stringMatching(/EIP-55 checksum/) }]);
  });

  it.each([
    ["all-lowercase", (a: string) => a.toLowerCase()],
    ["all-uppercase", (a: string) => `0x${a.slice(2).toUpperCase()}`],
    ["correctly checksummed", (a: string) => a],
  ])("accepts an %s address and answers it checksummed", async (_label, write) => {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const r = await t.gql(REGISTER_INVESTOR, { input: investor(write(address)) }, a.issuerToken);
    expect(r.data.registerInvestor).toEqual({ __typename: "Investor", walletAddress: address });
  });
});

describe("every root field with text arguments", () => {
  /**
   * Each Query and Mutation field whose arguments are all scalars or enums (input objects are
   * covered above), called with a NUL and with a lone surrogate in each String or ID argument,
   * as an ADMIN and as an ASSET_OWNER: a typed answer, never INTERNAL_SERVER_ERROR, and nothing
   * written. The other required arguments get plausible values (a random UUID for an ID).
   */
  // The committed schema (npm run schema:print keeps it the server's).
  const schema_ = buildSchema(readFileSync(new URL("../schema/schema.graphql", import.meta.url), "utf8"));
  const calls: { name: string; query: string; variables: Record<string, unknown> }[] = [];
  for (const root of [schema_.getQueryType()!, schema_.getMutationType()!]) {
    for (const field of Object.values(root.getFields())) {
      const scalarArgs = field.args.every((arg) => {
        const named = getNamedType(arg.type);
        return isScalarType(named) || isEnumType(named);
      });
      if (!scalarArgs) continue;
      const textArgs = field.args.filter((arg) => ["String", "ID"].includes(getNamedType(arg.type).name));
      for (const target of textArgs) {
        for (const [label, bad] of [
          ["NUL", NUL],
          ["lone surrogate", LONE_SURROGATE],
        ] as const) {
          const variables: Record<string, unknown> = {};
          for (const arg of field.args) {
            const named = getNamedType(arg.type);
            const list = isListType(getNullableType(arg.type));
            let value: unknown;
            if (arg === target) value = bad;
            else if (!isNonNullType(arg.type)) continue;
            else if (named.name === "ID") value = randomUUID();
            else if (named.name === "String") value = "1";
            else if (named.name === "Int") value = 1;
            else if (named.name === "Boolean") value = false;
            else if (isEnumType(named)) value = named.getValues()[0]!.value;
            else value = "2026-01-01T00:00:00Z";
            variables[arg.name] = list ? [value] : value;
          }
          const declared = field.args.filter((arg) => arg.name in variables);
          const selection = isLeafType(getNamedType(field.type)) ? "" : "{ __typename }";
          const kind = root === schema_.getQueryType() ? "query" : "mutation";
          const query = `${kind}${declared.length ? `(${declared.map((arg) => `$${arg.name}: ${arg.type}`).join(", ")})` : ""} { ${field.name}${declared.length ? `(${declared.map((arg) => `${arg.name}: $${arg.name}`).join(", ")})` : ""} ${selection} }`;
          calls.push({ name: `${field.name}(${target.name}: ${label})`, query, variables });
        }
      }
    }
  }

  it("covers the fields it should", () => {
    for (const name of [
      "dataAsset(id: NUL)",
      "auditTrail(entityId: NUL)",
      "holdings(tokenAddress: NUL)",
      "transitionDataAsset(assetId: NUL)",
      "freezeAddress(address: NUL)",
    ]) {
      expect(calls.map((c) => c.name)).toContain(name);
    }
  });

  it.each(calls.map((c) => [c.name, c] as const))("%s", async (_name, call) => {
    const owner = await t.tokenFor(["ASSET_OWNER", "ISSUER"], a.providerOrgId, "prober");
    for (const token of [t.adminToken, owner]) {
      const r = await unchanged(() => t.gql(call.query, call.variables, token));
      expect(r.errors?.map((e) => e.extensions?.code) ?? []).not.toContain("INTERNAL_SERVER_ERROR");
      expect([200, 400]).toContain(r.status);
    }
  });
});

describe("typedDatabaseError: what the database still refuses, as a typed error (this driver's real errors)", () => {
  const refusal = async (run: () => Promise<unknown>) => {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeDefined();
    return typedDatabaseError(error);
  };
  const db = () => t.database.db;

  it("a foreign key naming a missing row is NotFound with its entity and id; a duplicate key is a Conflict", async () => {
    const missing = randomUUID();
    const fk = await refusal(() =>
      db()
        .insert(schema.dataAsset)
        .values({
          ownerOrgId: missing,
          title: "x",
          category: "x",
          contentDigest: digest("fk"),
          createdAt: new Date(),
          updatedAt: new Date(),
        }),
    );
    expect(fk).toBeInstanceOf(NotFoundError);
    expect(fk).toMatchObject({ entity: "Organization", id: missing });
    const [org] = await db().select().from(schema.organization).limit(1);
    const duplicate = await refusal(() =>
      db()
        .insert(schema.organization)
        .values({ ...org! }),
    );
    expect(duplicate).toBeInstanceOf(ConflictError);
    expect(duplicate!.message).toBe("Organization with the same id already exists");
  });

  it.each([
    ["a NUL in text (22021)", sql`select ${"a\u0000b"}::text`],
    ["\\u0000 in jsonb (22P05)", sql`select '{"a":"\\u0000"}'::jsonb`],
    ["a malformed date-time (22007)", sql`select 'not a date'::timestamptz`],
    ["year 0000 (22008)", sql`select '0000-01-01 00:00:00+00'::timestamptz`],
    ["a number out of range (22003)", sql`select 40000::smallint`],
    ["a malformed uuid (22P02)", sql`select 'x'::uuid`],
  ])("%s is a ValidationError, with no SQL in its message", async (_label, query) => {
    const typed = await refusal(() => db().execute(query));
    expect(typed).toBeInstanceOf(ValidationError);
    expect(typed!.message).not.toMatch(/select|Failed query/i);
  });

  it("a check constraint is a ValidationError naming the rule; anything else is not the caller's fault", async () => {
    await db().execute(sql`create table test_refusal (n int constraint n_positive check (n > 0))`);
    const check = await refusal(() => db().execute(sql`insert into test_refusal values (0)`));
    expect(check).toBeInstanceOf(ValidationError);
    expect(check!.message).toContain("breaks the rule n_positive");
    expect(await refusal(() => db().execute(sql`select * from no_such_table`))).toBeUndefined();
    expect(typedDatabaseError(new Error("connect ECONNREFUSED"))).toBeUndefined();
  });
});
