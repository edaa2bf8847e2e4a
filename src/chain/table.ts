import { integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The next nonce of each signer, per chain. Every process that signs locks this row
 * (FOR UPDATE) while it picks a nonce, so two processes on one database never use one nonce.
 */
export const signerNonce = pgTable(
  "signer_nonce",
  {
    chainId: integer("chain_id").notNull(),
    /** Lower-case signer address. */
    address: text("address").notNull(),
    next: integer("next").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.address] })],
);
