import { bigint, index, integer, pgTable, text, timestamp, uuid, unique } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";
import { organization } from "../organizations/table.js";
import { tranche } from "../offerings/table.js";
import { investor } from "../investors/table.js";

export const MINT_STATUSES = ["REQUESTED", "SUBMITTED", "CONFIRMED", "FAILED", "REVERTED"] as const;
export type MintStatus = (typeof MINT_STATUSES)[number];

export const mintRequest = pgTable(
  "mint_request",
  {
    id: id(),
    requestedByOrgId: uuid("requested_by_org_id")
      .notNull()
      .references(() => organization.id),
    requestedBy: text("requested_by").notNull(),
    /** Unique per calling organization: the same key returns the same request. */
    idempotencyKey: text("idempotency_key").notNull(),
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    investorId: uuid("investor_id")
      .notNull()
      .references(() => investor.id),
    recipient: text("recipient").notNull(),
    amount: baseUnits("amount").notNull(),
    status: text("status", { enum: MINT_STATUSES }).notNull().default("REQUESTED"),
    txHash: text("tx_hash"),
    nonce: integer("nonce"),
    /** The signed transaction, recorded before broadcast: a retry re-sends these exact bytes (same hash), never a new mint. */
    signedTx: text("signed_tx"),
    blockNumber: bigint("block_number", { mode: "bigint" }),
    attempts: integer("attempts").notNull().default(0),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.requestedByOrgId, t.idempotencyKey), index("mint_request_status_idx").on(t.status)],
);
