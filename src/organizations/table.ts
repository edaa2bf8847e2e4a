import { date, pgTable, text, uuid, unique } from "drizzle-orm/pg-core";
import { createdAt, id } from "../db/columns.js";

export const ORGANIZATION_KINDS = ["DATA_PROVIDER", "DATA_EXCHANGE", "ISSUER", "VENUE", "INVESTOR"] as const;
export const LICENSE_TYPES = ["SFC_TYPE_1", "SFC_TYPE_9", "MAS_RMO", "CN_DATA_EXCHANGE"] as const;

export const organization = pgTable("organization", {
  id: id(),
  name: text("name").notNull(),
  kind: text("kind", { enum: ORGANIZATION_KINDS }).notNull(),
  /** ISO 3166-1 alpha-2 (or subdivision, e.g. HK, CN). */
  jurisdiction: text("jurisdiction").notNull(),
  createdAt: createdAt(),
});

export const organizationLicense = pgTable(
  "organization_license",
  {
    id: id(),
    organizationId: uuid("organization_id")
      .notNull()
      .references(() => organization.id),
    type: text("type", { enum: LICENSE_TYPES }).notNull(),
    number: text("number").notNull(),
    validUntil: date("valid_until", { mode: "date" }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique().on(t.organizationId, t.type, t.number)],
);
