import { integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { baseUnits } from "../db/columns.js";
import { tranche } from "../offerings/table.js";
import { INVESTOR_CLASSES } from "../investors/classes.js";

/**
 * The circulation rules of a tranche's token, as last written on chain by `setTransferRules`
 * (the registry's mirror: the token holds the rules that bind). No row: the token's defaults
 * (no lock-up, no caps, any class may receive, no country list).
 */
export const transferRules = pgTable("transfer_rules", {
  trancheId: uuid("tranche_id")
    .primaryKey()
    .references(() => tranche.id),
  /** No holder transfers before this instant (the agent's recovery excepted). */
  lockUntil: timestamp("lock_until", { withTimezone: true }),
  /** Most holders; null: no cap. */
  maxHolders: integer("max_holders"),
  /** Most base units one holder may reach by a transfer; null: no cap. */
  maxBalance: baseUnits("max_balance"),
  /** Classes that may receive a holder's transfer. */
  secondaryClasses: text("secondary_classes", { enum: INVESTOR_CLASSES }).array().notNull(),
  /** Classes that may also receive, only through an admitted venue's trade (e.g. RETAIL on an RMO). */
  venueClasses: text("venue_classes", { enum: INVESTOR_CLASSES }).array().notNull(),
  /** ISO 3166-1 alpha-2; empty: every country not blocked. */
  allowedCountries: text("allowed_countries").array().notNull(),
  blockedCountries: text("blocked_countries").array().notNull(),
  txHash: text("tx_hash").notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A partial freeze: `amount` of the holder's tokens may not move (a row exists while it is non-zero). */
export const frozenTokens = pgTable(
  "frozen_tokens",
  {
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    /** Lower-case, as frozen_address stores it. */
    address: text("address").notNull(),
    amount: baseUnits("amount").notNull(),
    txHash: text("tx_hash").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.trancheId, t.address] })],
);
