/**
 * The audit chain: every write appends an event in its own transaction, hash-chained
 * (hash = sha256(prev_hash || canonical JSON)); concurrent writers keep one chain; altering
 * or removing a row with raw SQL is reported at that row's sequence number.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, count, sql } from "drizzle-orm";
import { schema } from "../src/db/index.js";
import { GENESIS_HASH } from "../src/audit/service.js";
import { startTestGateway, type TestGateway } from "./support/harness.js";
import { ERROR_FIELDS, createActors, createOfferingWithTranche, digest, ok, type Actors } from "./support/flow.js";
import { TRANSITION, UPDATE, approve, dbError, registerAsset } from "./support/catalogue.js";

let t: TestGateway;
let a: Actors;
beforeAll(async () => {
  t = await startTestGateway({ gateway: { workerEnabled: false, indexer: { pollerEnabled: false, pollIntervalMs: 3_600_000 } } });
  a = await createActors(t);
});
afterAll(async () => t?.close());

const TRAIL = `query($id: ID!) { auditTrail(entityId: $id) { __typename
  ... on QueryAuditTrailSuccess { data { sequence actor action entityType entityId payload prevHash hash } } ${ERROR_FIELDS} } }`;
const VERIFY = `query { verifyAuditChain { __typename ... on AuditChainVerification { ok checked brokenAtSequence reason } ${ERROR_FIELDS} } }`;
const eventCount = async () => Number((await t.database.db.select({ n: count() }).from(schema.auditEvent))[0]!.n);

describe("audit trail", () => {
  it("every write in the catalogue appends an event, in order, chained to the one before", async () => {
    const id = await registerAsset(t, a.ownerToken, { title: "Audited" });
    ok(await t.gql(UPDATE, { input: { assetId: id, title: "Audited v2" } }, a.ownerToken), "updateDataAsset", "DataAsset");
    ok(
      await t.gql(
        `mutation($input: RecordOwnershipRightInput!) { recordOwnershipRight(input: $input) { __typename ${ERROR_FIELDS} } }`,
        { input: { assetId: id, holderOrgId: a.providerOrgId, rightType: "RESOURCE_HOLDING", shareBps: 10000, certificateNumber: "C-1" } },
        a.ownerToken,
      ),
      "recordOwnershipRight",
      "OwnershipRight",
    );
    ok(
      await t.gql(
        `mutation($input: RecordProvenanceActivityInput!) { recordProvenanceActivity(input: $input) { __typename ${ERROR_FIELDS} } }`,
        { input: { assetId: id, kind: "COLLECTION", startedAt: "2026-01-01T00:00:00Z", outputDigest: digest("out") } },
        a.ownerToken,
      ),
      "recordProvenanceActivity",
      "ProvenanceActivity",
    );
    await approve(t, a.ownerToken, a.officerToken, id);
    // A refused write leaves no event behind.
    const before = await eventCount();
    const refused = await t.gql(TRANSITION, { id, to: "DRAFT" }, a.ownerToken);
    expect(refused.data.transitionDataAsset.__typename).toBe("InvalidTransitionError");
    expect(await eventCount()).toBe(before);
    // A side effect of another flow is audited as SYSTEM.
    await createOfferingWithTranche(t, a, id);

    const trail = (await t.gql(TRAIL, { id }, a.officerToken)).data.auditTrail.data;
    expect(trail.map((e: any) => e.action)).toEqual([
      "asset.registered",
      "asset.updated",
      "ownership.right_recorded",
      "provenance.activity_recorded",
      "asset.transitioned",
      "asset.transitioned",
      "asset.transitioned",
      "asset.transitioned",
    ]);
    expect(trail.map((e: any) => e.payload.to).slice(4)).toEqual(["SUBMITTED", "IN_REVIEW", "APPROVED", "OFFERED"]);
    expect(trail.at(-1).actor).toBe("SYSTEM");
    expect(trail[0]).toMatchObject({ actor: "owner", entityType: "DataAsset", entityId: id });
    expect(trail[1].payload).toMatchObject({ version: 2, changed: ["title"] });

    const all = await t.database.db.select().from(schema.auditEvent).orderBy(asc(schema.auditEvent.seq));
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < all.length; i++) expect(all[i]!.prevHash).toBe(all[i - 1]!.hash);

    // Owners read the trail of their own assets, not of others'.
    expect((await t.gql(TRAIL, { id }, a.ownerToken)).data.auditTrail.__typename).toBe("QueryAuditTrailSuccess");
    const stranger = await t.tokenFor(["ASSET_OWNER"], a.issuerOrgId, "stranger");
    expect((await t.gql(TRAIL, { id }, stranger)).data.auditTrail.__typename).toBe("ForbiddenError");
    expect((await t.gql(VERIFY, {}, a.ownerToken)).data.verifyAuditChain.__typename).toBe("ForbiddenError");
  });

  it("concurrent writers keep one unbroken chain", async () => {
    const before = await eventCount();
    await Promise.all(Array.from({ length: 25 }, (_, i) => registerAsset(t, a.ownerToken, { title: `Concurrent ${i}` })));
    expect(await eventCount()).toBe(before + 25);
    const v = (await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain;
    expect(v).toEqual({ __typename: "AuditChainVerification", ok: true, checked: before + 25, brokenAtSequence: null, reason: null });
  });

  it("the table refuses UPDATE and DELETE, and a row altered behind the trigger's back is reported at its sequence number", async () => {
    const seqOf = async (action: string) =>
      Number(
        (await t.database.db.select().from(schema.auditEvent).where(sql`action = ${action}`).orderBy(asc(schema.auditEvent.seq)))[0]!.seq,
      );
    const right = await seqOf("ownership.right_recorded");
    expect(await dbError(t.database.db.execute(sql`update audit_event set actor = 'mallory' where seq = ${right}`))).toMatch(/append-only/);
    expect(await dbError(t.database.db.execute(sql`delete from audit_event where seq = ${right}`))).toMatch(/append-only/);

    // Someone with the power to disable the trigger rewrites history anyway.
    await t.database.db.execute(sql`alter table audit_event disable trigger audit_event_append_only`);
    const [original] = await t.database.db.select().from(schema.auditEvent).where(sql`seq = ${right}`);
    await t.database.db.execute(sql`update audit_event set payload = jsonb_set(payload, '{right,shareBps}', '5000') where seq = ${right}`);
    let v = (await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain;
    expect(v).toMatchObject({
      ok: false,
      brokenAtSequence: String(right),
      checked: right - 1,
      reason: "hash does not match the event's content",
    });

    // Putting the payload back restores the chain: the hash covers content, not storage.
    await t.database.db.execute(
      sql`update audit_event set payload = ${JSON.stringify(original!.payload)}::text::jsonb where seq = ${right}`,
    );
    expect((await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain.ok).toBe(true);

    // The kinds beyond the catalogue are chained the same way: an organization's licences and an
    // offering's packaging, each rewritten, are reported at their own sequence numbers.
    for (const [action, path, value] of [
      ["organization.created", "{licenses}", '[{"type": "SFC_TYPE_9", "number": "FORGED"}]'],
      ["offering.created", "{allowedInvestorClasses}", '["RETAIL"]'],
    ] as const) {
      const seq = await seqOf(action);
      const [before] = await t.database.db.select().from(schema.auditEvent).where(sql`seq = ${seq}`);
      await t.database.db.execute(
        sql`update audit_event set payload = jsonb_set(payload, ${path}::text[], ${value}::jsonb) where seq = ${seq}`,
      );
      v = (await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain;
      expect(v, action).toMatchObject({ ok: false, brokenAtSequence: String(seq), reason: "hash does not match the event's content" });
      await t.database.db.execute(sql`update audit_event set payload = ${JSON.stringify(before!.payload)}::text::jsonb where seq = ${seq}`);
      expect((await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain.ok).toBe(true);
    }

    // Recomputing the altered row's hash does not help: the next row still points at the old one.
    const later = right + 2;
    await t.database.db.execute(sql`update audit_event set actor = 'mallory', hash = ${"f".repeat(64)} where seq = ${later}`);
    v = (await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain;
    expect(v).toMatchObject({ ok: false, brokenAtSequence: String(later) });

    await t.database.db.execute(sql`delete from audit_event where seq = 2`);
    v = (await t.gql(VERIFY, {}, a.officerToken)).data.verifyAuditChain;
    expect(v).toMatchObject({ ok: false, brokenAtSequence: "2", reason: "event 2 is missing" });
    await t.database.db.execute(sql`alter table audit_event enable trigger audit_event_append_only`);
  });
});
