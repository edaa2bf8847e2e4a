/**
 * Catalogue of record: immutable versions and point-in-time reads, the lifecycle enforced in
 * one place, ownership rules (exact 10000 bps per right type, validity windows, serialized
 * writers) and nested list fields resolved in a bounded number of SQL statements.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { schema } from "../src/db/index.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, createActors, digest, ok, type Actors } from "./support/flow.js";
import { TRANSITION, UPDATE, approve, dbError, registerAsset } from "./support/catalogue.js";

let t: TestGateway;
let a: Actors;
let clockMs = Date.parse("2026-06-01T00:00:00Z");
const tick = (ms = 1000) => (clockMs += ms);
let statements: string[] | undefined;

beforeAll(async () => {
  t = await startTestGateway({
    now: () => new Date(clockMs),
    gateway: { workerEnabled: false, indexer: { pollerEnabled: false, pollIntervalMs: 3_600_000 } },
    onQuery: (q) => statements?.push(q),
  });
  a = await createActors(t);
});
afterAll(async () => t?.close());

const ASSET = `query($id: ID!, $asOf: DateTime) { dataAsset(id: $id, asOf: $asOf) {
  __typename ... on DataAsset { id title version status versions { version title createdAt } } ${ERROR_FIELDS} } }`;

describe("versions", () => {
  it("an edit past DRAFT makes a new version; asOf reads the old title; versions are listed", async () => {
    const id = await registerAsset(t, a.ownerToken, { title: "Port logistics 2025" });
    const afterRegister = new Date(tick()).toISOString();
    tick();
    ok(await t.gql(TRANSITION, { id, to: "SUBMITTED" }, a.ownerToken), "transitionDataAsset", "DataAsset");
    tick();
    const updated = ok<any>(
      await t.gql(UPDATE, { input: { assetId: id, title: "Port logistics 2025 (revised)" } }, a.ownerToken),
      "updateDataAsset",
      "DataAsset",
    );
    expect(updated).toMatchObject({ title: "Port logistics 2025 (revised)", version: 2 });
    tick();

    const now = (await t.gql(ASSET, { id }, a.ownerToken)).data.dataAsset;
    expect(now).toMatchObject({ title: "Port logistics 2025 (revised)", version: 2, status: "SUBMITTED" });
    expect(now.versions.map((v: any) => [v.version, v.title])).toEqual([
      [1, "Port logistics 2025"],
      [2, "Port logistics 2025 (revised)"],
    ]);
    const then = (await t.gql(ASSET, { id, asOf: afterRegister }, a.ownerToken)).data.dataAsset;
    expect(then).toMatchObject({ __typename: "DataAsset", title: "Port logistics 2025", version: 1 });
    const before = (await t.gql(ASSET, { id, asOf: "2020-01-01T00:00:00Z" }, a.ownerToken)).data.dataAsset;
    expect(before.__typename).toBe("NotFoundError");

    // An edit that changes nothing writes no version.
    const same = ok<any>(
      await t.gql(UPDATE, { input: { assetId: id, title: "Port logistics 2025 (revised)" } }, a.ownerToken),
      "updateDataAsset",
      "DataAsset",
    );
    expect(same.version).toBe(2);
    // Every kind of field counts as a change, lists and numbers included.
    const tagged = ok<any>(await t.gql(UPDATE, { input: { assetId: id, tags: ["a,b"] } }, a.ownerToken), "updateDataAsset", "DataAsset");
    expect(tagged.version).toBe(3);
    const split = ok<any>(
      await t.gql(UPDATE, { input: { assetId: id, tags: ["a", "b"], recordCount: "42" } }, a.ownerToken),
      "updateDataAsset",
      "DataAsset",
    );
    expect(split.version).toBe(4);
    // Another organization cannot edit it.
    const other = await t.tokenFor(["ASSET_OWNER"], a.exchangeOrgId, "intruder");
    const refused = await t.gql(UPDATE, { input: { assetId: id, title: "hijacked" } }, other);
    expect(["ForbiddenError", "NotFoundError"]).toContain(refused.data.updateDataAsset.__typename);
    const rows = await t.database.db.select().from(schema.dataAssetVersion).where(eq(schema.dataAssetVersion.assetId, id));
    expect(rows).toHaveLength(4);
  });

  it("versions are never updated or deleted in place: the database refuses", async () => {
    const id = await registerAsset(t, a.ownerToken, { title: "Immutable" });
    expect(await dbError(t.database.db.execute(sql`update data_asset_version set title = 'rewritten' where asset_id = ${id}`))).toMatch(
      /append-only/,
    );
    expect(await dbError(t.database.db.execute(sql`delete from data_asset_version where asset_id = ${id}`))).toMatch(/append-only/);
    const [v] = await t.database.db.select().from(schema.dataAssetVersion).where(eq(schema.dataAssetVersion.assetId, id));
    expect(v!.title).toBe("Immutable");
  });

  it("refuses an invalid edit and keeps the current version", async () => {
    const id = await registerAsset(t, a.ownerToken, { title: "Valid" });
    const r = await t.gql(UPDATE, { input: { assetId: id, contentDigest: "0x1234" } }, a.ownerToken);
    expect(r.data.updateDataAsset).toMatchObject({ __typename: "ValidationError", code: "VALIDATION_FAILED" });
    const r2 = await t.gql(UPDATE, { input: { assetId: id, containsPersonalInfo: true } }, a.ownerToken);
    expect(r2.data.updateDataAsset.__typename).toBe("ValidationError");
    const now = (await t.gql(ASSET, { id }, a.ownerToken)).data.dataAsset;
    expect(now.version).toBe(1);
  });
});

describe("lifecycle", () => {
  it.each([
    ["DRAFT", "APPROVED", "owner"],
    ["DRAFT", "TOKENIZED", "owner"],
    ["DRAFT", "IN_REVIEW", "officer"],
    ["SUBMITTED", "APPROVED", "officer"],
    ["APPROVED", "DRAFT", "owner"],
    ["APPROVED", "SUBMITTED", "owner"],
  ])("refuses %s → %s with InvalidTransition naming both states, and the row is unchanged", async (from, to, who) => {
    const id = await registerAsset(t, a.ownerToken);
    if (from === "SUBMITTED") ok(await t.gql(TRANSITION, { id, to: "SUBMITTED" }, a.ownerToken), "transitionDataAsset", "DataAsset");
    if (from === "APPROVED") await approve(t, a.ownerToken, a.officerToken, id);
    const [before] = await t.database.db.select().from(schema.dataAsset).where(eq(schema.dataAsset.id, id));
    tick();
    const r = await t.gql(TRANSITION, { id, to }, who === "owner" ? a.ownerToken : a.officerToken);
    expect(r.data.transitionDataAsset).toMatchObject({
      __typename: "InvalidTransitionError",
      code: "INVALID_TRANSITION",
      currentStatus: from,
      requestedStatus: to,
    });
    const [after] = await t.database.db.select().from(schema.dataAsset).where(eq(schema.dataAsset.id, id));
    expect(after).toEqual(before);
  });

  it("a legal transition by the wrong role is forbidden, and system-only transitions are not open to people", async () => {
    const id = await registerAsset(t, a.ownerToken);
    const r = await t.gql(TRANSITION, { id, to: "SUBMITTED" }, a.officerToken);
    expect(r.data.transitionDataAsset.__typename).toBe("ForbiddenError");
    await approve(t, a.ownerToken, a.officerToken, id);
    const offered = await t.gql(TRANSITION, { id, to: "OFFERED" }, a.officerToken);
    expect(offered.data.transitionDataAsset.__typename).toBe("ForbiddenError");
    const [row] = await t.database.db.select().from(schema.dataAsset).where(eq(schema.dataAsset.id, id));
    expect(row!.status).toBe("APPROVED");
  });
});

const RIGHT = `mutation($input: RecordOwnershipRightInput!) { recordOwnershipRight(input: $input) {
  __typename ... on OwnershipRight { id shareBps } ... on OwnershipSharesInvalidError { rightType currentSumBps requestedBps resultingSumBps at } ${ERROR_FIELDS} } }`;
const RIGHTS = `mutation($assetId: ID!, $rightType: RightType!, $rights: [OwnershipShareInput!]!) { recordOwnershipRights(assetId: $assetId, rightType: $rightType, rights: $rights) {
  __typename ... on MutationRecordOwnershipRightsSuccess { data { id shareBps holderOrgId } }
  ... on OwnershipSharesInvalidError { currentSumBps requestedBps resultingSumBps } ${ERROR_FIELDS} } }`;

async function activeShares(assetId: string, rightType: string, at = new Date(clockMs)) {
  const rows = await t.database.db.select().from(schema.ownershipRight).where(eq(schema.ownershipRight.assetId, assetId));
  return rows
    .filter((r) => r.rightType === rightType && r.validFrom <= at && (r.validUntil === null || r.validUntil > at))
    .map((r) => ({ holderOrgId: r.holderOrgId, shareBps: r.shareBps }))
    .sort((x, y) => x.holderOrgId.localeCompare(y.holderOrgId) || x.shareBps - y.shareBps);
}
const total = (rows: { shareBps: number }[]) => rows.reduce((s, r) => s + r.shareBps, 0);

describe("ownership rules", () => {
  it("each right type sums to exactly 10000 bps: partial holders are recorded as a set, and a breaking write answers the current sum", async () => {
    const assetId = await registerAsset(t, a.ownerToken);
    const partial = await t.gql(
      RIGHT,
      { input: { assetId, holderOrgId: a.providerOrgId, rightType: "PROCESSING_USE", shareBps: 5000 } },
      a.ownerToken,
    );
    expect(partial.data.recordOwnershipRight).toMatchObject({
      __typename: "OwnershipSharesInvalidError",
      currentSumBps: 0,
      requestedBps: 5000,
      resultingSumBps: 5000,
    });

    const set = await t.gql(
      RIGHTS,
      {
        assetId,
        rightType: "PROCESSING_USE",
        rights: [
          { holderOrgId: a.providerOrgId, shareBps: 6000 },
          { holderOrgId: a.exchangeOrgId, shareBps: 4000 },
        ],
      },
      a.ownerToken,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data.recordOwnershipRights.data).toHaveLength(2);
    expect(total(await activeShares(assetId, "PROCESSING_USE"))).toBe(10000);

    const over = await t.gql(
      RIGHT,
      { input: { assetId, holderOrgId: a.issuerOrgId, rightType: "PROCESSING_USE", shareBps: 10000 } },
      a.ownerToken,
    );
    expect(over.data.recordOwnershipRight).toMatchObject({
      code: "OWNERSHIP_SHARES_INVALID",
      currentSumBps: 10000,
      resultingSumBps: 20000,
    });
    const short = await t.gql(
      RIGHTS,
      { assetId, rightType: "PROCESSING_USE", rights: [{ holderOrgId: a.issuerOrgId, shareBps: 9000 }] },
      a.ownerToken,
    );
    expect(short.data.recordOwnershipRights).toMatchObject({ code: "OWNERSHIP_SHARES_INVALID", currentSumBps: 10000, requestedBps: 9000 });
    expect(await activeShares(assetId, "PROCESSING_USE")).toEqual(
      [
        { holderOrgId: a.providerOrgId, shareBps: 6000 },
        { holderOrgId: a.exchangeOrgId, shareBps: 4000 },
      ].sort((x, y) => x.holderOrgId.localeCompare(y.holderOrgId)),
    );

    // Replacing the set ends the old rights (kept as history) and records the new ones.
    tick();
    const replaced = await t.gql(
      RIGHTS,
      { assetId, rightType: "PROCESSING_USE", rights: [{ holderOrgId: a.issuerOrgId, shareBps: 10000 }] },
      a.ownerToken,
    );
    expect(replaced.data.recordOwnershipRights.data).toHaveLength(1);
    expect(await activeShares(assetId, "PROCESSING_USE")).toEqual([{ holderOrgId: a.issuerOrgId, shareBps: 10000 }]);
    const all = await t.database.db.select().from(schema.ownershipRight).where(eq(schema.ownershipRight.assetId, assetId));
    expect(all).toHaveLength(3);
    // Other right types are independent.
    expect(await activeShares(assetId, "RESOURCE_HOLDING")).toEqual([]);
  });

  it("validity windows: a right may take over when another ends, but never overlap into more than 10000", async () => {
    const assetId = await registerAsset(t, a.ownerToken);
    const handover = new Date(clockMs + 30 * 24 * 3600_000).toISOString();
    const first = await t.gql(
      RIGHT,
      { input: { assetId, holderOrgId: a.providerOrgId, rightType: "RESOURCE_HOLDING", shareBps: 10000, validUntil: handover } },
      a.ownerToken,
    );
    expect(first.data.recordOwnershipRight.__typename).toBe("OwnershipRight");
    const next = await t.gql(
      RIGHT,
      { input: { assetId, holderOrgId: a.exchangeOrgId, rightType: "RESOURCE_HOLDING", shareBps: 10000, validFrom: handover } },
      a.ownerToken,
    );
    expect(next.data.recordOwnershipRight.__typename).toBe("OwnershipRight");
    const later = new Date(clockMs + 60 * 24 * 3600_000).toISOString();
    const overlap = await t.gql(
      RIGHT,
      { input: { assetId, holderOrgId: a.issuerOrgId, rightType: "RESOURCE_HOLDING", shareBps: 10000, validFrom: later } },
      a.ownerToken,
    );
    expect(overlap.data.recordOwnershipRight).toMatchObject({
      code: "OWNERSHIP_SHARES_INVALID",
      currentSumBps: 10000,
      resultingSumBps: 20000,
      at: later,
    });
    expect(await activeShares(assetId, "RESOURCE_HOLDING")).toEqual([{ holderOrgId: a.providerOrgId, shareBps: 10000 }]);
    expect(await activeShares(assetId, "RESOURCE_HOLDING", new Date(Date.parse(handover) + 1))).toEqual([
      { holderOrgId: a.exchangeOrgId, shareBps: 10000 },
    ]);
    const bad = await t.gql(
      RIGHT,
      {
        input: {
          assetId,
          holderOrgId: a.issuerOrgId,
          rightType: "RESOURCE_HOLDING",
          shareBps: 10000,
          validFrom: later,
          validUntil: handover,
        },
      },
      a.ownerToken,
    );
    expect(bad.data.recordOwnershipRight.__typename).toBe("ValidationError");
  });

  it("20 concurrent writers never leave shares summing to anything but 10000 or the previous valid state", async () => {
    const assetId = await registerAsset(t, a.ownerToken);
    const holders = [a.providerOrgId, a.exchangeOrgId, a.issuerOrgId];
    // Singles: each would be valid alone on an empty asset only if it is a whole 10000.
    const singles = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.gql(
          RIGHT,
          {
            input: { assetId, holderOrgId: holders[i % 3], rightType: "RESOURCE_HOLDING", shareBps: i % 2 === 0 ? 10000 : 2500 + i * 100 },
          },
          a.ownerToken,
        ),
      ),
    );
    const accepted = singles.filter((r) => r.data.recordOwnershipRight.__typename === "OwnershipRight");
    expect(accepted).toHaveLength(1);
    expect(singles.filter((r) => r.data.recordOwnershipRight.__typename === "OwnershipSharesInvalidError")).toHaveLength(19);
    expect(total(await activeShares(assetId, "RESOURCE_HOLDING"))).toBe(10000);

    // Sets: valid splits and invalid ones, all at once; the survivor is exactly one valid set.
    tick();
    const sets = Array.from({ length: 20 }, (_, i) => {
      const first = 1000 + i * 400;
      const valid = i % 4 !== 3;
      return [
        { holderOrgId: a.providerOrgId, shareBps: first },
        { holderOrgId: a.exchangeOrgId, shareBps: (valid ? 10000 : 9000) - first },
      ];
    });
    const results = await Promise.all(
      sets.map((rights) => t.gql(RIGHTS, { assetId, rightType: "RESOURCE_HOLDING", rights }, a.ownerToken)),
    );
    results.forEach((r, i) => {
      const expected = i % 4 !== 3 ? "MutationRecordOwnershipRightsSuccess" : "OwnershipSharesInvalidError";
      expect(r.data.recordOwnershipRights.__typename).toBe(expected);
    });
    const final = await activeShares(assetId, "RESOURCE_HOLDING");
    expect(total(final)).toBe(10000);
    const asSet = (rights: { holderOrgId: string; shareBps: number }[]) =>
      JSON.stringify([...rights].sort((x, y) => x.holderOrgId.localeCompare(y.holderOrgId)));
    expect(sets.filter((_, i) => i % 4 !== 3).map(asSet)).toContain(asSet(final));
  });
});

describe("no N+1: nested list fields take a bounded number of statements", () => {
  const LIST = `query($n: Int!, $org: ID!) { dataAssets(first: $n, filter: { ownerOrgId: $org }) { edges { node {
    id title owner { id name } ownershipRights { holderOrgId shareBps } latestProvenance { id kind } latestVersion { version title } versions { version }
  } } } }`;

  it("lists 10, 50 and 100 assets with owner, rights, latest provenance and versions in the same ≤ 3 statements", async () => {
    const orgToken = await t.tokenFor(["ASSET_OWNER"], a.issuerOrgId, "bulk-owner");
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(randomUUID());
    const db = t.database.db;
    const at = new Date(clockMs);
    await db.insert(schema.dataAsset).values(
      ids.map((id, i) => ({
        id,
        ownerOrgId: a.issuerOrgId,
        title: `Bulk ${i}`,
        category: "BULK",
        contentDigest: digest(id),
        createdAt: at,
        updatedAt: at,
      })),
    );
    await db.insert(schema.dataAssetVersion).values(
      ids.map((id, i) => ({
        assetId: id,
        version: 1,
        title: `Bulk ${i}`,
        description: "",
        category: "BULK",
        tags: [],
        contentDigest: digest(id),
        containsPersonalInfo: false,
        personalInfoTreatment: "NONE" as const,
        createdBy: "test",
        createdAt: at,
      })),
    );
    await db.insert(schema.ownershipRight).values(
      ids.map((id) => ({
        assetId: id,
        holderOrgId: a.issuerOrgId,
        rightType: "RESOURCE_HOLDING" as const,
        shareBps: 10000,
        validFrom: at,
      })),
    );
    await db.insert(schema.provenanceActivity).values(
      ids.flatMap((id, i) => [
        {
          assetId: id,
          kind: "COLLECTION" as const,
          actorOrgId: a.issuerOrgId,
          startedAt: new Date(clockMs - 2000),
          outputDigest: digest(`c${i}`),
        },
        {
          assetId: id,
          kind: "CLEANING" as const,
          actorOrgId: a.issuerOrgId,
          startedAt: new Date(clockMs - 1000),
          outputDigest: digest(`d${i}`),
        },
      ]),
    );

    const counted = async (n: number) => {
      statements = [];
      const r = await t.gql(LIST, { n, org: a.issuerOrgId }, orgToken);
      const seen = statements;
      statements = undefined;
      expect(r.errors).toBeUndefined();
      expect(r.data.dataAssets.edges).toHaveLength(n);
      for (const { node } of r.data.dataAssets.edges) {
        expect(node.owner.id).toBe(a.issuerOrgId);
        expect(node.ownershipRights).toEqual([{ holderOrgId: a.issuerOrgId, shareBps: 10000 }]);
        expect(node.latestProvenance.kind).toBe("CLEANING");
        expect(node.latestVersion).toEqual({ version: 1, title: node.title });
      }
      return seen.length;
    };
    const ten = await counted(10);
    const fifty = await counted(50);
    const hundred = await counted(100);
    expect(fifty).toBeLessThanOrEqual(3);
    expect(ten).toBe(hundred);
    expect(fifty).toBe(hundred);

    // A catalogue page (owner, rights, latest provenance) is one statement, and its rights and
    // latest provenance, read with the page, are the same as a single asset's, read on their own.
    // Every column filled, with microsecond timestamps and nested JSON.
    await db.execute(
      sql`update ownership_right set valid_until = valid_from + interval '1 day 0.123456 sec', certificate_number = 'CERT-7', document_digest = ${digest("doc")} where asset_id = any(${sql.param(ids)}::uuid[])`,
    );
    await db.execute(
      sql`update provenance_activity set ended_at = started_at + interval '0.000789 sec', inputs = '[{"digest": "0xab", "sourceUri": "s3://x"}]', parameters = '{"k": [1, "two", null]}' where asset_id = any(${sql.param(ids)}::uuid[])`,
    );
    const FULL = `id holderOrgId rightType shareBps validFrom validUntil certificateNumber documentDigest`;
    const PROV = `id kind actorOrgId startedAt endedAt inputs { digest } outputDigest parameters`;
    statements = [];
    const page = await t.gql(
      `query($org: ID!) { dataAssets(first: 5, filter: { ownerOrgId: $org }) { edges { node {
      id owner { name } ownershipRights { ${FULL} } latestProvenance { ${PROV} } } } } }`,
      { org: a.issuerOrgId },
      orgToken,
    );
    expect(statements).toHaveLength(1);
    statements = undefined;
    expect(page.errors).toBeUndefined();
    expect(page.data.dataAssets.edges[0].node.ownershipRights[0].certificateNumber).toBe("CERT-7");
    expect(page.data.dataAssets.edges[0].node.latestProvenance.parameters).toEqual({ k: [1, "two", null] });
    for (const { node } of page.data.dataAssets.edges) {
      const one = await t.gql(
        `query($id: ID!) { dataAsset(id: $id) { ... on DataAsset { ownershipRights { ${FULL} } latestProvenance { ${PROV} } } } }`,
        { id: node.id },
        orgToken,
      );
      expect(one.errors).toBeUndefined();
      expect({ ownershipRights: node.ownershipRights, latestProvenance: node.latestProvenance }).toEqual(one.data.dataAsset);
    }

    // A page reads only the columns its query shows, and what it read that way answers its own
    // nodes only: the same assets asked for in full elsewhere in the same request (another
    // field, aliases with other fields) come back whole, equal to each asset read on its own.
    await db.execute(sql`update data_asset set record_count = 9007199254740993 where id = any(${sql.param(ids)}::uuid[])`);
    const ALL_ASSET = `id title description category tags format recordCount byteSize contentDigest securityLevel containsPersonalInfo
      personalInfoTreatment status version createdAt updatedAt owner { id name }`;
    statements = [];
    const mixed = await t.gql(
      `query($org: ID!) {
        narrow: dataAssets(first: 5, filter: { ownerOrgId: $org }) { edges { node { id title ownershipRights { shareBps } latestProvenance { kind } } } }
        whole: dataAssets(first: 5, filter: { ownerOrgId: $org }) { edges { node { ...All
          a: ownershipRights { shareBps } b: ownershipRights { ${FULL} } latestProvenance { ${PROV} } } } }
      }
      fragment All on DataAsset { ${ALL_ASSET} }`,
      { org: a.issuerOrgId },
      orgToken,
    );
    expect(mixed.errors).toBeUndefined();
    const [narrowPage, wholePage] = statements;
    statements = undefined;
    expect(narrowPage).not.toMatch(/certificate_number|"description"|"parameters"/);
    expect(wholePage).toMatch(/certificate_number/);
    expect(wholePage).toMatch(/"description"/);
    expect(mixed.data.narrow.edges.map((e: any) => e.node.id)).toEqual(mixed.data.whole.edges.map((e: any) => e.node.id));
    for (const [i, { node }] of mixed.data.whole.edges.entries()) {
      const one = await t.gql(
        `query($id: ID!) { dataAsset(id: $id) { ... on DataAsset { ${ALL_ASSET} b: ownershipRights { ${FULL} } latestProvenance { ${PROV} } } } }`,
        { id: node.id },
        orgToken,
      );
      expect(one.errors).toBeUndefined();
      const { a: shares, ...whole } = node;
      expect(whole).toEqual(one.data.dataAsset);
      expect(whole.recordCount).toBe("9007199254740993");
      expect(shares).toEqual(one.data.dataAsset.b.map((r: any) => ({ shareBps: r.shareBps })));
      const narrow = mixed.data.narrow.edges[i].node;
      expect(narrow).toEqual({
        id: node.id,
        title: node.title,
        ownershipRights: shares,
        latestProvenance: { kind: node.latestProvenance.kind },
      });
    }
  });
});
