import { bigint, boolean, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../db/columns.js";
import { organization } from "../organizations/table.js";

export const SECURITY_LEVELS = ["GENERAL", "IMPORTANT", "CORE"] as const;
export const PERSONAL_INFO_TREATMENTS = ["NONE", "DEIDENTIFIED", "ANONYMIZED", "CONSENTED"] as const;
export const ASSET_STATUSES = [
  "DRAFT",
  "SUBMITTED",
  "IN_REVIEW",
  "APPROVED",
  "OFFERED",
  "TOKENIZED",
  "REJECTED",
  "WITHDRAWN",
  "SUSPENDED",
] as const;

export const dataAsset = pgTable(
  "data_asset",
  {
    id: id(),
    ownerOrgId: uuid("owner_org_id")
      .notNull()
      .references(() => organization.id),
    title: text("title").notNull(),
    description: text("description").notNull().default(""),
    /** Classification code of the data exchange's catalogue. */
    category: text("category").notNull(),
    tags: text("tags").array().notNull().default([]),
    format: text("format"),
    recordCount: bigint("record_count", { mode: "bigint" }),
    byteSize: bigint("byte_size", { mode: "bigint" }),
    /** sha256 of the canonical data bundle, 0x-prefixed hex. The data itself never leaves. */
    contentDigest: text("content_digest").notNull(),
    securityLevel: text("security_level", { enum: SECURITY_LEVELS }),
    containsPersonalInfo: boolean("contains_personal_info").notNull().default(false),
    personalInfoTreatment: text("personal_info_treatment", { enum: PERSONAL_INFO_TREATMENTS })
      .notNull()
      .default("NONE"),
    status: text("status", { enum: ASSET_STATUSES }).notNull().default("DRAFT"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("data_asset_owner_idx").on(t.ownerOrgId), index("data_asset_page_idx").on(t.createdAt, t.id)],
);
