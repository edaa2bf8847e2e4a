import { index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../db/columns.js";
import { dataAsset } from "../assets/table.js";
import { organization } from "../organizations/table.js";

export const ACTIVITY_KINDS = [
  "COLLECTION",
  "CLEANING",
  "DEIDENTIFICATION",
  "AGGREGATION",
  "STANDARDIZATION",
  "SANDBOX_VALIDATION",
  "TRANSFER",
] as const;

/** An input of an activity: another registered asset, or an external source, each with a digest. */
export type ActivityInput = { assetId?: string; sourceUri?: string; digest: string };

export const provenanceActivity = pgTable(
  "provenance_activity",
  {
    id: id(),
    assetId: uuid("asset_id")
      .notNull()
      .references(() => dataAsset.id),
    kind: text("kind", { enum: ACTIVITY_KINDS }).notNull(),
    actorOrgId: uuid("actor_org_id")
      .notNull()
      .references(() => organization.id),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    inputs: jsonb("inputs").$type<ActivityInput[]>().notNull().default([]),
    outputDigest: text("output_digest").notNull(),
    parameters: jsonb("parameters").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("provenance_activity_asset_idx").on(t.assetId)],
);
