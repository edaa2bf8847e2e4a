import { bigint, boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid, unique } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";
import { organization } from "../organizations/table.js";
import { tranche } from "../offerings/table.js";
import { investor } from "../investors/table.js";
import { chainWrite } from "../chain/table.js";

export const MINT_STATUSES = ["REQUESTED", "SUBMITTED", "CONFIRMED", "FAILED", "REVERTED"] as const;
export type MintStatus = (typeof MINT_STATUSES)[number];

/**
 * One mint transaction: a chain write (`chain_write`, its nonce, versions and outcome) carrying
 * `mintBatch` for one or more requests of one tranche. The requests name it as their batch.
 */
export const mintBatch = pgTable("mint_batch", {
  id: uuid("id")
    .primaryKey()
    .references(() => chainWrite.id),
  trancheId: uuid("tranche_id")
    .notNull()
    .references(() => tranche.id),
  tokenAddress: text("token_address").notNull(),
  createdAt: createdAt(),
});

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
    /** The batch's latest signed version while SUBMITTED; the mined one once settled. Signed bytes live in mint_tx. */
    txHash: text("tx_hash"),
    nonce: integer("nonce"),
    blockNumber: bigint("block_number", { mode: "bigint" }),
    /** The batch transaction carrying this request, while SUBMITTED and after. */
    /** The batch (and chain write, the same id) that carries it, once sent; its FK is the write, recorded first. */
    batchId: uuid("batch_id").references(() => chainWrite.id),
    /** Decoded custom error name or revert reason when REVERTED (e.g. NotWhitelisted). */
    revertReason: text("revert_reason"),
    attempts: integer("attempts").notNull().default(0),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique().on(t.requestedByOrgId, t.idempotencyKey),
    index("mint_request_status_idx").on(t.status),
    index("mint_request_tranche_idx").on(t.trancheId, t.createdAt),
    index("mint_request_batch_idx").on(t.batchId),
  ],
);

/** Token state set by the AGENT's controls, as last confirmed on chain. */
export const tokenControlState = pgTable("token_control_state", {
  trancheId: uuid("tranche_id")
    .primaryKey()
    .references(() => tranche.id),
  paused: boolean("paused").notNull().default(false),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Addresses frozen on a tranche's token (a row exists while frozen). */
export const frozenAddress = pgTable(
  "frozen_address",
  {
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    address: text("address").notNull(),
    txHash: text("tx_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.trancheId, t.address] })],
);

export const TOKEN_CONTROL_ACTIONS = ["PAUSE", "UNPAUSE", "FREEZE", "UNFREEZE", "FORCED_TRANSFER"] as const;
export type TokenControlActionKind = (typeof TOKEN_CONTROL_ACTIONS)[number];

/** Audit trail of every token control the AGENT used: who, what, and the transaction. */
export const tokenControlAction = pgTable(
  "token_control_action",
  {
    id: id(),
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    action: text("action", { enum: TOKEN_CONTROL_ACTIONS }).notNull(),
    actorSubject: text("actor_subject").notNull(),
    actorOrgId: uuid("actor_org_id").notNull(),
    account: text("account"),
    toAccount: text("to_account"),
    amount: baseUnits("amount"),
    reason: text("reason"),
    txHash: text("tx_hash").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("token_control_action_tranche_idx").on(t.trancheId, t.createdAt)],
);
