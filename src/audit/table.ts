import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The append-only, hash-chained audit trail. `seq` is gap-free and assigned under one lock,
 * so the table is a single chain; `hash = sha256(prev_hash || canonical JSON of the event)`.
 * A trigger (migration `audit_append_only`) refuses UPDATE and DELETE.
 */
export const auditEvent = pgTable(
  "audit_event",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey(),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    /** Token subject, or "SYSTEM" for side effects of other flows. */
    actor: text("actor").notNull(),
    actorOrgId: uuid("actor_org_id"),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [index("audit_event_entity_idx").on(t.entityId, t.seq)],
);
