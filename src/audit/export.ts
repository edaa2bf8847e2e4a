/**
 * The audit trail as JSON Lines, for auditors who check it away from the gateway: one event
 * per line with its seq, prevHash and hash, and an offline check that recomputes the chain
 * from the file alone with the same `hashEvent` the gateway uses.
 *
 * An export is one unbroken stretch of the chain: `occurredAt` is the writer's clock, taken
 * before its commit, so it is not strictly in seq order. The stretch runs from the first event
 * that occurred at or after `from` to the last that occurred before `to`, with every event
 * between them, so the file verifies on its own (its first prevHash is its anchor: compare
 * it, or its last hash, with the live chain to tie the file to it).
 */
import { and, asc, gte, lt, lte, max, min } from "drizzle-orm";
import type { Database } from "../db/index.js";
import { auditEvent } from "./table.js";
import { GENESIS_HASH, chainChecker, type AuditEvent } from "./service.js";

/** One exported line, as written: the event with `occurredAt` as an ISO string. */
export type AuditEventLine = Omit<AuditEvent, "occurredAt"> & { occurredAt: string };

export function toJsonLine(e: AuditEvent): string {
  const line: AuditEventLine = {
    seq: e.seq,
    occurredAt: e.occurredAt.toISOString(),
    actor: e.actor,
    actorOrgId: e.actorOrgId,
    action: e.action,
    entityType: e.entityType,
    entityId: e.entityId,
    payload: e.payload,
    prevHash: e.prevHash,
    hash: e.hash,
  };
  return JSON.stringify(line);
}

/**
 * The events of the stretch [from, to) (see above), oldest first, read in pages of 1000.
 * @example for await (const e of exportAuditEvents(db, { from, to })) out.write(toJsonLine(e) + "\n");
 */
export async function* exportAuditEvents(db: Database, range: { from: Date; to: Date }): AsyncGenerator<AuditEvent> {
  const [bounds] = await db
    .select({ first: min(auditEvent.seq), last: max(auditEvent.seq) })
    .from(auditEvent)
    .where(and(gte(auditEvent.occurredAt, range.from), lt(auditEvent.occurredAt, range.to)));
  if (bounds?.first == null || bounds.last == null) return;
  const last = Number(bounds.last);
  let next = Number(bounds.first);
  while (next <= last) {
    const page = await db
      .select()
      .from(auditEvent)
      .where(and(gte(auditEvent.seq, next), lte(auditEvent.seq, last)))
      .orderBy(asc(auditEvent.seq))
      .limit(1000);
    if (page.length === 0) return;
    yield* page;
    next = page.at(-1)!.seq + 1;
  }
}

export type FileVerification = {
  ok: boolean;
  /** Events that verified. */
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** The prevHash the file starts from (the genesis when it starts at seq 1): its anchor in the live chain. */
  anchor: string | null;
  lastHash: string | null;
  /** The first seq that does not verify (or the expected one, for a line that is not an event). */
  brokenAtSequence: number | null;
  /** 1-based line of the break. */
  brokenAtLine: number | null;
  reason: string | null;
};

function parseLine(text: string): AuditEvent | string {
  let v: AuditEventLine;
  try {
    v = JSON.parse(text);
  } catch {
    return "the line is not JSON";
  }
  const strings = ["occurredAt", "actor", "action", "entityType", "entityId", "prevHash", "hash"] as const;
  if (typeof v !== "object" || v === null || !Number.isSafeInteger(v.seq) || strings.some((k) => typeof v[k] !== "string")) {
    return "the line is not an audit event (seq, occurredAt, actor, action, entityType, entityId, payload, prevHash, hash)";
  }
  if (typeof v.payload !== "object" || v.payload === null) return "the line's payload is not an object";
  const occurredAt = new Date(v.occurredAt);
  if (Number.isNaN(occurredAt.getTime())) return "the line's occurredAt is not a timestamp";
  return { ...v, actorOrgId: v.actorOrgId ?? null, occurredAt };
}

/**
 * Recomputes the chain of an exported file's lines (empty lines ignored): the first line is
 * trusted for its seq and prevHash, every later one must follow it, and every hash must match.
 */
export async function verifyJsonLines(lines: AsyncIterable<string> | Iterable<string>): Promise<FileVerification> {
  let checker: ReturnType<typeof chainChecker> | undefined;
  const result: FileVerification = {
    ok: true,
    checked: 0,
    firstSeq: null,
    lastSeq: null,
    anchor: null,
    lastHash: null,
    brokenAtSequence: null,
    brokenAtLine: null,
    reason: null,
  };
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber += 1;
    if (raw.trim() === "") continue;
    const e = parseLine(raw);
    const broken = (seq: number | null, reason: string) => ({
      ...result,
      ok: false,
      brokenAtSequence: seq,
      brokenAtLine: lineNumber,
      reason,
    });
    if (typeof e === "string") return broken(checker?.expectedSeq() ?? null, e);
    if (!checker) {
      if (e.seq === 1 && e.prevHash !== GENESIS_HASH) return broken(1, "the first event of the chain must start from the genesis hash");
      checker = chainChecker({ seq: e.seq, prevHash: e.prevHash });
      result.firstSeq = e.seq;
      result.anchor = e.prevHash;
    }
    const reason = checker.check(e);
    if (reason) return broken(checker.expectedSeq(), reason);
    result.checked += 1;
    result.lastSeq = e.seq;
    result.lastHash = e.hash;
  }
  return result;
}
