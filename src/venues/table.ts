import { bigint, index, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";
import { offering, tranche } from "../offerings/table.js";
import { organization } from "../organizations/table.js";
import { chainWrite } from "../chain/table.js";

/** Where a venue was admitted on chain: per tranche, its token and the setVenue transaction (null: it was admitted already). */
export type VenueAdmission = { trancheId: string; tokenAddress: string; txHash: string | null };

/**
 * A licensed trading venue (a VENUE organization with a valid MAS_RMO licence) admitted for an
 * offering by its issuer: every deployed tranche token has `setVenue(venueId, true)`, so the
 * venue's trades may settle on it. One row per offering and venue.
 */
export const offeringVenue = pgTable(
  "offering_venue",
  {
    id: id(),
    offeringId: uuid("offering_id")
      .notNull()
      .references(() => offering.id),
    venueOrgId: uuid("venue_org_id")
      .notNull()
      .references(() => organization.id),
    admittedBy: text("admitted_by").notNull(),
    admittedAt: timestamp("admitted_at", { withTimezone: true }).notNull().defaultNow(),
    /** One entry per tranche token the venue is admitted on. */
    admissions: jsonb("admissions").$type<VenueAdmission[]>().notNull().default([]),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.offeringId, t.venueOrgId)],
);

/**
 * REQUESTED (recorded with its chain write, before broadcast) → SUBMITTED (broadcast) →
 * CONFIRMED (both legs happened: recorded from the TradeSettled event) or REJECTED (the
 * transaction reverted or never mined: nothing moved).
 */
export const VENUE_TRADE_STATUSES = ["REQUESTED", "SUBMITTED", "CONFIRMED", "REJECTED"] as const;
export type VenueTradeStatus = (typeof VENUE_TRADE_STATUSES)[number];

/** A secondary trade a venue matched and asked the gateway to settle by DvP (DvpSettlement.settleTrade). */
export const venueTrade = pgTable(
  "venue_trade",
  {
    /** Derived from the venue and its idempotency key (UUID v5), so the parties can sign the trade id before it is recorded. */
    id: uuid("id").primaryKey(),
    /** The bytes32 the contract names the trade by (settlementId of the id). */
    tradeId: text("trade_id").notNull().unique(),
    /** Unique per venue: the same key returns the same trade. */
    idempotencyKey: text("idempotency_key").notNull(),
    venueOrgId: uuid("venue_org_id")
      .notNull()
      .references(() => organization.id),
    offeringId: uuid("offering_id")
      .notNull()
      .references(() => offering.id),
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    requestedBy: text("requested_by").notNull(),
    tokenAddress: text("token_address").notNull(),
    seller: text("seller").notNull(),
    buyer: text("buyer").notNull(),
    /** Tranche-token base units. */
    amount: baseUnits("amount").notNull(),
    /** Settlement-currency base units the buyer pays for the whole amount. */
    price: baseUnits("price").notNull(),
    currency: text("currency").notNull(),
    /** Unix seconds the parties' signatures are valid until. */
    deadline: bigint("deadline", { mode: "bigint" }).notNull(),
    status: text("status", { enum: VENUE_TRADE_STATUSES }).notNull().default("REQUESTED"),
    writeId: uuid("write_id").references(() => chainWrite.id),
    txHash: text("tx_hash"),
    blockNumber: bigint("block_number", { mode: "bigint" }),
    revertReason: text("revert_reason"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique().on(t.venueOrgId, t.idempotencyKey),
    index("venue_trade_venue_idx").on(t.venueOrgId, t.createdAt),
    index("venue_trade_offering_idx").on(t.offeringId, t.createdAt),
    index("venue_trade_write_idx").on(t.writeId),
  ],
);
