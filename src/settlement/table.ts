import { bigint, index, integer, jsonb, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";
import { offering, tranche } from "../offerings/table.js";
import { investor } from "../investors/table.js";
import { chainWrite } from "../chain/table.js";

/**
 * REQUESTED (recorded, waiting for the settlement worker) → SUBMITTED (in a batch transaction,
 * recorded before broadcast) → CONFIRMED (paid and minted, or burned and paid) or REVERTED (the
 * chain refused it: nothing moved). FAILED: never sent (the offering left OPEN, compliance no
 * longer held, the permit expired before it could be relayed).
 */
export const SETTLEMENT_STATUSES = ["REQUESTED", "SUBMITTED", "CONFIRMED", "REVERTED", "FAILED"] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];

/** An EIP-2612 permit as the investor's wallet signed it (for the settlement contract, value ≥ cost). */
export type StoredPermit = { value: string; deadline: string; v: number; r: string; s: string };

/** One DvP transaction (a chain write) carrying subscribeBatch or redeemBatch for one tranche. */
export const settlementBatch = pgTable("settlement_batch", {
  id: uuid("id")
    .primaryKey()
    .references(() => chainWrite.id),
  kind: text("kind", { enum: ["SUBSCRIBE", "REDEEM"] }).notNull(),
  trancheId: uuid("tranche_id")
    .notNull()
    .references(() => tranche.id),
  createdAt: createdAt(),
});

/** An investor's subscription to a tranche: `amount` token base units against `cost` settlement-currency base units. */
export const subscription = pgTable(
  "subscription",
  {
    id: id(),
    /** Unique per investor: the same key returns the same subscription. */
    idempotencyKey: text("idempotency_key").notNull(),
    requestedBy: text("requested_by").notNull(),
    offeringId: uuid("offering_id")
      .notNull()
      .references(() => offering.id),
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    investorId: uuid("investor_id")
      .notNull()
      .references(() => investor.id),
    /** The investor's wallet: it pays and receives the tokens. */
    wallet: text("wallet").notNull(),
    amount: baseUnits("amount").notNull(),
    cost: baseUnits("cost").notNull(),
    permit: jsonb("permit").$type<StoredPermit>(),
    status: text("status", { enum: SETTLEMENT_STATUSES }).notNull().default("REQUESTED"),
    batchId: uuid("batch_id").references(() => chainWrite.id),
    txHash: text("tx_hash"),
    blockNumber: bigint("block_number", { mode: "bigint" }),
    revertReason: text("revert_reason"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique().on(t.investorId, t.idempotencyKey),
    index("subscription_status_idx").on(t.status, t.trancheId),
    index("subscription_tranche_idx").on(t.trancheId, t.createdAt),
    index("subscription_batch_idx").on(t.batchId),
  ],
);

/** EARLY: asked for by the holder (requestRedemption); MATURITY: planned for every holder at maturity; REFUND: a cancelled offering's paid subscription. */
export const REDEMPTION_KINDS = ["EARLY", "MATURITY", "REFUND"] as const;
export type RedemptionKind = (typeof REDEMPTION_KINDS)[number];

/**
 * Tokens burned against a payout from the treasury. `due` is principal plus accrued coupon;
 * `payout` what the treasury can pay of it (the waterfall: senior first, pro rata within a
 * tranche); `shortfall` = due − payout, recorded and reported.
 */
export const redemption = pgTable(
  "redemption",
  {
    id: id(),
    kind: text("kind", { enum: REDEMPTION_KINDS }).notNull(),
    /** EARLY only: unique per investor, as for subscriptions. */
    idempotencyKey: text("idempotency_key"),
    requestedBy: text("requested_by").notNull(),
    offeringId: uuid("offering_id")
      .notNull()
      .references(() => offering.id),
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    investorId: uuid("investor_id")
      .notNull()
      .references(() => investor.id),
    holder: text("holder").notNull(),
    /** REFUND: the subscription it pays back (at most one refund each). */
    subscriptionId: uuid("subscription_id").references(() => subscription.id),
    amount: baseUnits("amount").notNull(),
    principal: baseUnits("principal").notNull(),
    coupon: baseUnits("coupon").notNull(),
    due: baseUnits("due").notNull(),
    payout: baseUnits("payout").notNull(),
    shortfall: baseUnits("shortfall").notNull(),
    status: text("status", { enum: SETTLEMENT_STATUSES }).notNull().default("REQUESTED"),
    batchId: uuid("batch_id").references(() => chainWrite.id),
    txHash: text("tx_hash"),
    blockNumber: bigint("block_number", { mode: "bigint" }),
    revertReason: text("revert_reason"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique().on(t.investorId, t.idempotencyKey),
    unique().on(t.subscriptionId),
    index("redemption_status_idx").on(t.status, t.trancheId),
    index("redemption_offering_idx").on(t.offeringId, t.createdAt),
    index("redemption_batch_idx").on(t.batchId),
  ],
);
