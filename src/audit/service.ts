/**
 * The tamper-evident audit trail. Every write appends its event in the writer's own
 * transaction, so an event exists exactly when the change it describes was committed.
 *
 * Chain: `hash = sha256(prev_hash || canonical JSON of the event)` where the canonical JSON
 * is RFC 8785 (JCS) of { seq, occurredAt, actor, actorOrgId, action, entityType, entityId,
 * payload }. Appends serialize on one transaction-scoped advisory lock, taken as the LAST
 * lock of a writer's transaction (so it never takes part in a lock cycle); `seq` is then
 * gap-free and the table holds one chain.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { asc, eq, gt, sql } from "drizzle-orm";
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor } from "../context.js";
import type { Database, Transaction } from "../db/index.js";
import { ForbiddenError, NotFoundError } from "../errors.js";
import { requireInvestorReader } from "../investors/access.js";
import { parseInput, text } from "../validation.js";
import { auditEvent } from "./table.js";

export type AuditEvent = typeof auditEvent.$inferSelect;

/** prev_hash of the first event. */
export const GENESIS_HASH = "0".repeat(64);
/** Key of the advisory lock that serializes appends (any constant shared by every process). */
const AUDIT_LOCK_KEY = 804_551_337;

export type AuditEventInput = {
  /** Token subject, or "SYSTEM". */
  actor: string;
  actorOrgId?: string | null;
  /** What happened, `domain.verb`, e.g. `asset.registered`. */
  action: string;
  entityType: string;
  entityId: string;
  payload: Record<string, unknown>;
};

/** The audit actor of a service call: the caller's subject and organization, or SYSTEM. */
export function auditActor(ctx: Pick<ServiceContext, "auth">): { actor: string; actorOrgId: string | null } {
  return ctx.auth.kind === "actor"
    ? { actor: ctx.auth.actor.subject, actorOrgId: ctx.auth.actor.organizationId }
    : { actor: "SYSTEM", actorOrgId: null };
}

/**
 * The payload as jsonb will give it back: bigints become decimal strings, dates ISO strings.
 * A payload that is already plain JSON (the bulk import builds it so) is used as it is: the
 * copy through JSON would change nothing and is the costliest step of hashing a large batch.
 */
function jsonSafe(payload: Record<string, unknown>): Record<string, unknown> {
  if (isPlainJson(payload)) return payload;
  return JSON.parse(JSON.stringify(payload, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}

/** True for a value JSON.parse could have produced: null, strings, booleans, finite numbers (not -0), arrays and plain objects of those. */
function isPlainJson(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object":
      if (value === null) return true;
      if (Array.isArray(value)) return value.every(isPlainJson);
      if (Object.getPrototypeOf(value) !== Object.prototype) return false;
      for (const key in value) if (!isPlainJson((value as Record<string, unknown>)[key])) return false;
      return true;
    default:
      return false;
  }
}

/** The hash of one event given its predecessor's hash. */
export function hashEvent(prevHash: string, e: Omit<AuditEvent, "prevHash" | "hash">): string {
  const body = canonicalize({
    seq: e.seq,
    occurredAt: e.occurredAt.toISOString(),
    actor: e.actor,
    actorOrgId: e.actorOrgId ?? null,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    payload: e.payload,
  })!;
  return createHash("sha256").update(prevHash).update(body).digest("hex");
}

/**
 * Appends one event to the chain inside the caller's transaction. Call it as the last
 * statement of the write's transaction: it takes the chain lock, held until commit.
 * @example await appendAuditEvent(tx, { actor: "alice", action: "asset.updated", entityType: "DataAsset", entityId: id, payload: { version: 2 } });
 */
export async function appendAuditEvent(tx: Transaction, event: AuditEventInput, occurredAt: Date = new Date()): Promise<AuditEvent> {
  const [row] = await appendAuditEvents(tx, [event], occurredAt);
  return row!;
}

/**
 * Appends several events, in order, inside the caller's transaction: the chain head is read
 * once under the lock, every hash is computed here, and the rows go in as one statement
 * (a JSON array expanded by jsonb_to_recordset: one parameter however many rows, so no
 * per-row query building and no bind-parameter limit).
 */
export async function appendAuditEvents(tx: Transaction, events: AuditEventInput[], occurredAt: Date = new Date()): Promise<AuditEvent[]> {
  if (events.length === 0) return [];
  // The lock, then the head read after it is granted, in one round trip (migrations/*_audit_lock_head).
  const [last] = await tx
    .select({ seq: sql<string>`seq::text`, hash: sql<string>`hash` })
    .from(sql`audit_lock_head(${sql.raw(String(AUDIT_LOCK_KEY))})`);
  let seq = last ? Number(last.seq) : 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const rows: AuditEvent[] = events.map((e) => {
    seq += 1;
    const base = {
      seq,
      occurredAt,
      actor: e.actor,
      actorOrgId: e.actorOrgId ?? null,
      action: e.action,
      entityType: e.entityType,
      entityId: e.entityId,
      payload: jsonSafe(e.payload),
    };
    const row = { ...base, prevHash, hash: hashEvent(prevHash, base) };
    prevHash = row.hash;
    return row;
  });
  const at = occurredAt.toISOString();
  const records = rows.map((r) => ({
    seq: r.seq,
    actor: r.actor,
    actor_org_id: r.actorOrgId,
    action: r.action,
    entity_type: r.entityType,
    entity_id: r.entityId,
    payload: r.payload,
    prev_hash: r.prevHash,
    hash: r.hash,
  }));
  await tx.execute(sql`insert into ${auditEvent} (seq, occurred_at, actor, actor_org_id, action, entity_type, entity_id, payload, prev_hash, hash)
    select e.seq, ${at}::timestamptz, e.actor, e.actor_org_id, e.action, e.entity_type, e.entity_id, e.payload, e.prev_hash, e.hash
    from jsonb_to_recordset(${JSON.stringify(records)}::text::jsonb)
      as e(seq bigint, actor text, actor_org_id uuid, action text, entity_type text, entity_id text, payload jsonb, prev_hash text, hash text)`);
  return rows;
}

/**
 * The organization an entity's trail belongs to: the one its first event names (`organizationId`,
 * or `ownerOrgId` for a data asset's registration). Every kind's creating event names it.
 */
function entityOrganization(rows: AuditEvent[]): string | undefined {
  for (const r of rows) {
    const org = r.payload.organizationId ?? (r.action === "asset.registered" ? r.payload.ownerOrgId : undefined);
    if (typeof org === "string") return org;
  }
  return undefined;
}

/**
 * The events about one entity, oldest first, for a caller the entity's read rule admits:
 * - compliance officers and admins read every trail;
 * - an investor's trail (KYC decisions, credentials, wallet proofs, whitelistings) follows the
 *   investor rule, `requireInvestorReader` (issuers, compliance, operators, the investor
 *   signed in — who reads no other trail);
 * - a mint request's trail: the requesting organization (another one gets NotFound, as from
 *   `mintRequest(id)`);
 * - a data asset, an offering (its tranches, deploys and token controls) or an organization:
 *   the owning, issuing or same organization;
 * - anything else (trusted issuers, reconciliation runs), and an id with no trail: compliance
 *   and admins only (Forbidden).
 * Anonymous callers are Unauthenticated.
 */
export async function auditTrail(ctx: ServiceContext, entityId: string): Promise<AuditEvent[]> {
  if (ctx.auth.kind !== "investor") requireActor(ctx);
  const id = parseInput(text().min(1).max(200), entityId);
  const rows = await ctx.db.select().from(auditEvent).where(eq(auditEvent.entityId, id)).orderBy(asc(auditEvent.seq));
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return rows;
  const kind = rows[0]?.entityType;
  // A signed-in investor reads only their own investor trail: NotFound for any other entity.
  if (kind === "Investor" || ctx.auth.kind === "investor") {
    requireInvestorReader(ctx, id);
    return rows;
  }
  const actor = requireActor(ctx);
  const mine = entityOrganization(rows) === actor.organizationId;
  if (kind === "MintRequest" && !mine) throw new NotFoundError("MintRequest", id);
  if (!mine || !(kind === "DataAsset" || kind === "Offering" || kind === "Organization" || kind === "MintRequest")) {
    throw new ForbiddenError("only compliance, admins and the entity's own organization may read this audit trail");
  }
  return rows;
}

export type AuditChainVerification = {
  ok: boolean;
  /** How many events were checked. */
  checked: number;
  /** The first sequence number whose event does not verify, when the chain is broken. */
  brokenAtSequence: number | null;
  reason: string | null;
};

/**
 * Checks events one at a time, oldest first, from a known start (the genesis, or the seq and
 * prev_hash of the first event of an exported stretch): every seq follows the one before, every
 * prev_hash equals the previous hash, every hash matches its content. `check` answers why an
 * event breaks the chain, or null. Shared by `verifyAuditChain` and the offline `audit:verify`.
 */
export function chainChecker(start: { seq: number; prevHash: string } = { seq: 1, prevHash: GENESIS_HASH }) {
  let expectedSeq = start.seq;
  let prevHash = start.prevHash;
  return {
    /** The seq the next event must have. */
    expectedSeq: () => expectedSeq,
    check(e: AuditEvent): string | null {
      if (e.seq > expectedSeq) return `event ${expectedSeq} is missing`;
      if (e.seq !== expectedSeq) return `event ${e.seq} is out of order (expected ${expectedSeq})`;
      if (e.prevHash !== prevHash) return "prev_hash does not match the previous event's hash";
      if (hashEvent(prevHash, e) !== e.hash) return "hash does not match the event's content";
      prevHash = e.hash;
      expectedSeq += 1;
      return null;
    },
  };
}

/**
 * Recomputes the whole chain, oldest first, in pages of 1000 (see `chainChecker`).
 */
export async function verifyAuditChain(db: Database): Promise<AuditChainVerification> {
  const checker = chainChecker();
  let checked = 0;
  for (;;) {
    const page = await db
      .select()
      .from(auditEvent)
      .where(gt(auditEvent.seq, checker.expectedSeq() - 1))
      .orderBy(asc(auditEvent.seq))
      .limit(1000);
    if (page.length === 0) return { ok: true, checked, brokenAtSequence: null, reason: null };
    for (const e of page) {
      const reason = checker.check(e);
      if (reason) return { ok: false, checked, brokenAtSequence: checker.expectedSeq(), reason };
      checked += 1;
    }
  }
}
