import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";

export const EVENT_SOURCES = ["WEBHOOK", "POLLER"] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];
export const WEBHOOK_FORMATS = ["GATEWAY", "ALCHEMY"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/**
 * The webhook inbox: every delivery whose signature verified is written here before it is
 * acknowledged, and applied from here, so a failure while applying loses nothing.
 * `deliveryKey` is unique: it is the replay guard (the signature for the gateway's format,
 * the event id for Alchemy's).
 */
export const webhookDelivery = pgTable(
  "webhook_delivery",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    format: text("format", { enum: WEBHOOK_FORMATS }).notNull(),
    deliveryKey: text("delivery_key").notNull().unique(),
    payload: jsonb("payload").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("webhook_delivery_pending_idx").on(t.appliedAt, t.id)],
);

/**
 * The event store: one row per log, keyed by (chain, block hash, tx hash, log index), so a
 * duplicate delivery is a no-op and the same log in two competing blocks is two rows.
 * `removed` marks a log whose block left the canonical chain: it no longer counts.
 * Transfer logs carry their decoded parties and value in columns the cap table sums.
 */
export const chainEvent = pgTable(
  "chain_event",
  {
    chainId: integer("chain_id").notNull(),
    blockHash: text("block_hash").notNull(),
    txHash: text("tx_hash").notNull(),
    logIndex: integer("log_index").notNull(),
    blockNumber: bigint("block_number", { mode: "bigint" }).notNull(),
    /** EIP-55 checksummed contract address. */
    contract: text("contract").notNull(),
    eventName: text("event_name").notNull(),
    args: jsonb("args").$type<Record<string, string | boolean>>().notNull(),
    fromAddress: text("from_address"),
    toAddress: text("to_address"),
    value: baseUnits("value"),
    removed: boolean("removed").notNull().default(false),
    source: text("source", { enum: EVENT_SOURCES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.chainId, t.blockHash, t.txHash, t.logIndex] }),
    index("chain_event_contract_idx").on(t.chainId, t.contract, t.blockNumber),
    index("chain_event_tx_idx").on(t.txHash),
  ],
);

/** The poller's cursor per token: the next block to scan. */
export const indexerCursor = pgTable(
  "indexer_cursor",
  {
    chainId: integer("chain_id").notNull(),
    contract: text("contract").notNull(),
    nextBlock: bigint("next_block", { mode: "bigint" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.contract] })],
);

/** Block hashes the poller has seen, to notice when the chain no longer has them (a reorg). */
export const indexedBlock = pgTable(
  "indexed_block",
  {
    chainId: integer("chain_id").notNull(),
    number: bigint("number", { mode: "bigint" }).notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.chainId, t.number] })],
);

/** Every reorg the poller detected: kept for operators and as evidence in tests. */
export const chainReorg = pgTable("chain_reorg", {
  id: id(),
  chainId: integer("chain_id").notNull(),
  /** The highest block both chains share; events above it were marked removed and rescanned. */
  commonAncestor: bigint("common_ancestor", { mode: "bigint" }).notNull(),
  /** The stored block whose hash the chain no longer had. */
  detectedAtBlock: bigint("detected_at_block", { mode: "bigint" }).notNull(),
  removedEvents: integer("removed_events").notNull(),
  createdAt: createdAt(),
});

/**
 * What a drift entry compares, so a client can tell an index that is behind or lost an event
 * (CAP_TABLE_LAG: the chain is right, the registry's view of it is not) from tokens the chain
 * holds without the registry having confirmed them (OVER_MINTED) and the reverse.
 */
export const DRIFT_KINDS = [
  /** Indexed cap table vs balanceOf / totalSupply: the registry's index of the chain's events is incomplete. */
  "CAP_TABLE_LAG",
  /** The chain minted more than the registry's CONFIRMED mint requests add up to. */
  "OVER_MINTED",
  /** The registry holds CONFIRMED mints the chain does not have. */
  "UNDER_MINTED",
  /** Tokens burned on chain: the registry records no burns, so every burn is unaccounted for. */
  "UNRECORDED_BURN",
  /** A forced transfer the registry recorded that the chain does not show as recorded. */
  "FORCED_TRANSFER_MISMATCH",
  /** The distributor paid a holder more than the registry's payout (or paid one the registry does not have). */
  "PAYOUT_OVERPAID",
  /** The registry holds a CONFIRMED payout the distributor's DistributionPaid events do not show in full. */
  "PAYOUT_UNDERPAID",
] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export type DriftEntry = {
  /** Runs stored before kinds existed compared only the cap table: read them as CAP_TABLE_LAG. */
  kind: DriftKind;
  tokenAddress: string;
  /** null: the token as a whole (its total supply). */
  holder: string | null;
  /** Base units, decimal string. What the figure is depends on `kind` (see reconcile.ts). */
  registryBalance: string;
  chainBalance: string;
  /** PAYOUT_* kinds: the registry's distribution (for a payout it never declared, the id the chain names). */
  distributionId?: string;
};

/** One reconciliation of the cap table against balanceOf on chain. */
export const reconciliationRun = pgTable(
  "reconciliation_run",
  {
    id: id(),
    chainId: integer("chain_id").notNull(),
    trigger: text("trigger", { enum: ["SCHEDULED", "CLI", "MANUAL"] }).notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    tokensChecked: integer("tokens_checked").notNull().default(0),
    holdingsChecked: integer("holdings_checked").notNull().default(0),
    /** Distribution payouts compared with the distributor's DistributionPaid events. */
    payoutsChecked: integer("payouts_checked").notNull().default(0),
    drift: jsonb("drift").$type<DriftEntry[]>().notNull().default([]),
    error: text("error"),
  },
  (t) => [index("reconciliation_run_started_idx").on(t.startedAt)],
);

/**
 * What the running indexer announces about itself, so readers that only have the database
 * (GraphQL resolvers, the CLI) apply the same finality rule as the process that indexes.
 */
export const indexerState = pgTable("indexer_state", {
  chainId: integer("chain_id").primaryKey(),
  finalityDepth: integer("finality_depth").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
