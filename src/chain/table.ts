import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { baseUnits, createdAt } from "../db/columns.js";

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

export const CHAIN_WRITE_STATUSES = ["SUBMITTED", "CONFIRMED", "REVERTED", "DROPPED"] as const;

/**
 * One transaction of the gateway's signer, whatever it does (a mint batch, a deployment, a
 * whitelist change, a token control): its nonce and what became of it. Every signed version
 * (the first and fee-bumped replacements, all with this nonce) is a `chain_tx` row, so at most
 * one of them can ever be mined. See writes.ts for the pipeline that writes these.
 */
export const chainWrite = pgTable(
  "chain_write",
  {
    id: uuid("id").primaryKey(),
    /** The owning domain's name for it: MINT_BATCH, DEPLOY_TOKEN, TOKEN_CALL. */
    kind: text("kind").notNull(),
    chainId: integer("chain_id").notNull(),
    signer: text("signer").notNull(),
    nonce: integer("nonce").notNull(),
    /** The contract called; null for a deployment. */
    toAddress: text("to_address"),
    /**
     * The chain head read just before the nonce was signed: no transaction at this nonce was
     * mined before it, so the search for the nonce's transaction (the positive evidence that a
     * write is dead) starts there.
     */
    signedAtBlock: bigint("signed_at_block", { mode: "bigint" }),
    /** What the owner needs to settle it (e.g. the tranche a deployment is for). */
    subject: jsonb("subject").$type<Record<string, unknown>>().notNull().default({}),
    status: text("status", { enum: CHAIN_WRITE_STATUSES }).notNull().default("SUBMITTED"),
    /** The hash mined at this nonce: one of ours (CONFIRMED, REVERTED) or the foreign one that took it (DROPPED). */
    minedTxHash: text("mined_tx_hash"),
    blockNumber: bigint("block_number", { mode: "bigint" }),
    /** A deployment's contract, once mined. */
    contractAddress: text("contract_address"),
    revertReason: text("revert_reason"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.chainId, t.signer, t.nonce), index("chain_write_status_idx").on(t.status)],
);

/** A signed version of a write's transaction, recorded before it is broadcast. */
export const chainTx = pgTable(
  "chain_tx",
  {
    hash: text("hash").primaryKey(),
    writeId: uuid("write_id")
      .notNull()
      .references(() => chainWrite.id),
    signedTx: text("signed_tx").notNull(),
    /** Fee cap of this version (wei, decimal string); a replacement bumps it. */
    maxFeePerGas: baseUnits("max_fee_per_gas").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("chain_tx_write_idx").on(t.writeId)],
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

/**
 * Contracts the gateway deploys once per chain and signer and then reuses: the DvP settlement
 * contract, and on the embedded chain the development stablecoin. The first deployment that
 * settles is the one recorded (`name` is unique per chain and signer).
 */
export const chainContract = pgTable(
  "chain_contract",
  {
    chainId: integer("chain_id").notNull(),
    signer: text("signer").notNull(),
    /** The contract's name in src/chain/contracts (DvpSettlement, DevStablecoin). */
    name: text("name").notNull(),
    address: text("address").notNull(),
    deployTxHash: text("deploy_tx_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.signer, t.name] })],
);
