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

/**
 * The chain this database's rows were written on (token addresses, mint transactions,
 * nonces, indexer cursors all mean something on that chain only). Recorded at the first
 * start; every later start compares the connected chain with it (see binding.ts).
 */
export const chainBinding = pgTable("chain_binding", {
  chainId: integer("chain_id").primaryKey(),
  /** Hash of block 0: two chains with one chain id (two dev chains, say) differ here. */
  genesisHash: text("genesis_hash").notNull(),
  boundAt: timestamp("bound_at", { withTimezone: true }).notNull().defaultNow(),
});
