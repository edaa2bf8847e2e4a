import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../db/columns.js";
import { dataAsset } from "../assets/table.js";
import { organization } from "../organizations/table.js";

/** The three separated data rights. */
export const RIGHT_TYPES = ["RESOURCE_HOLDING", "PROCESSING_USE", "PRODUCT_OPERATION"] as const;

export const ownershipRight = pgTable(
  "ownership_right",
  {
    id: id(),
    assetId: uuid("asset_id")
      .notNull()
      .references(() => dataAsset.id),
    holderOrgId: uuid("holder_org_id")
      .notNull()
      .references(() => organization.id),
    rightType: text("right_type", { enum: RIGHT_TYPES }).notNull(),
    /** Share in basis points: active shares of one right type sum to 10000. */
    shareBps: integer("share_bps").notNull(),
    validFrom: timestamp("valid_from", { withTimezone: true }).notNull().defaultNow(),
    validUntil: timestamp("valid_until", { withTimezone: true }),
    certificateNumber: text("certificate_number"),
    documentDigest: text("document_digest"),
    createdAt: createdAt(),
  },
  (t) => [index("ownership_right_asset_idx").on(t.assetId)],
);
