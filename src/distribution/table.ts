import { bigint, index, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";
import { dataAsset } from "../assets/table.js";
import { organization } from "../organizations/table.js";
import { offering, tranche } from "../offerings/table.js";
import { investor } from "../investors/table.js";
import { chainWrite } from "../chain/table.js";

/**
 * Revenue a data asset earned on the exchange over a period, in base units of the settlement
 * currency it is stated in. Immutable: a correction is a new record naming the one it corrects
 * (`correctsId`), and its amount replaces that one's from then on.
 */
export const assetRevenue = pgTable(
  "asset_revenue",
  {
    id: id(),
    assetId: uuid("asset_id")
      .notNull()
      .references(() => dataAsset.id),
    periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
    periodEnd: timestamp("period_end", { withTimezone: true }).notNull(),
    amount: baseUnits("amount").notNull(),
    /** The ERC-20 the amount is stated in (EIP-55). */
    currency: text("currency").notNull(),
    /** sha256 of the exchange's evidence (settlement report, licence invoices). */
    evidenceDigest: text("evidence_digest").notNull(),
    correctsId: uuid("corrects_id"),
    /** The exchange's delivery id when it came by signed webhook: a redelivery records nothing new. */
    deliveryId: text("delivery_id").unique(),
    recordedByOrgId: uuid("recorded_by_org_id")
      .notNull()
      .references(() => organization.id),
    recordedBy: text("recorded_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("asset_revenue_asset_idx").on(t.assetId, t.periodEnd), unique().on(t.correctsId)],
);

/**
 * DECLARED (the waterfall and every payout recorded; nothing sent yet) → PAYING (announced on
 * chain by DistributionDeclared) → PAID (every payout not held is confirmed). Held payouts
 * (frozen holders) are paid when the holder is unfrozen, after PAID as well.
 */
export const DISTRIBUTION_STATUSES = ["DECLARED", "PAYING", "PAID"] as const;

/** One period's revenue of an offering, run through the waterfall and paid to the holders at `recordBlock`. */
export const distribution = pgTable(
  "distribution",
  {
    id: id(),
    offeringId: uuid("offering_id")
      .notNull()
      .references(() => offering.id),
    idempotencyKey: text("idempotency_key").notNull(),
    declaredBy: text("declared_by").notNull(),
    periodStart: timestamp("period_start", { withTimezone: true }).notNull(),
    periodEnd: timestamp("period_end", { withTimezone: true }).notNull(),
    recordBlock: bigint("record_block", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    treasury: text("treasury").notNull(),
    /** Revenue taken into this period (what the waterfall shares out). */
    available: baseUnits("available").notNull(),
    /** The management fee kept by the issuer (it stays in the treasury). */
    fee: baseUnits("fee").notNull(),
    feeArrearsAfter: baseUnits("fee_arrears_after").notNull(),
    /** Paid to holders: Σ payouts, held ones included. */
    total: baseUnits("total").notNull(),
    /** What no tranche could take (no residual tranche): it stays in the treasury. */
    undistributed: baseUnits("undistributed").notNull(),
    status: text("status", { enum: DISTRIBUTION_STATUSES }).notNull().default("DECLARED"),
    declareWriteId: uuid("declare_write_id").references(() => chainWrite.id),
    declareTxHash: text("declare_tx_hash"),
    /** Why the distributor last refused the announcement (tried again after a while, the next distribution meanwhile); null once announced. */
    announceError: text("announce_error"),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique().on(t.offeringId, t.idempotencyKey), unique().on(t.offeringId, t.periodEnd)],
);

/** The waterfall of one distribution, per tranche: what was due, what was paid, what is carried as arrears. */
export const distributionTranche = pgTable(
  "distribution_tranche",
  {
    distributionId: uuid("distribution_id")
      .notNull()
      .references(() => distribution.id),
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    /** Outstanding principal at the record block (supply × price). */
    principal: baseUnits("principal").notNull(),
    due: baseUnits("due").notNull(),
    arrearsBefore: baseUnits("arrears_before").notNull(),
    paid: baseUnits("paid").notNull(),
    arrearsAfter: baseUnits("arrears_after").notNull(),
  },
  (t) => [unique().on(t.distributionId, t.trancheId)],
);

/** Revenue records a distribution took in: each is distributed once (a correction adds its difference later). */
export const distributionRevenue = pgTable(
  "distribution_revenue",
  {
    distributionId: uuid("distribution_id")
      .notNull()
      .references(() => distribution.id),
    revenueId: uuid("revenue_id")
      .notNull()
      .references(() => assetRevenue.id),
    /** What this record added: its amount, or for a correction its difference from the record it corrects. */
    counted: baseUnits("counted").notNull(),
  },
  (t) => [unique().on(t.revenueId)],
);

/**
 * HELD (a frozen holder: kept, not lost) → REQUESTED (waiting for the worker) → SUBMITTED (in a
 * payBatch transaction, recorded before broadcast) → CONFIRMED (paid on chain).
 */
export const PAYOUT_STATUSES = ["HELD", "REQUESTED", "SUBMITTED", "CONFIRMED"] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

/** One holder's entitlement in one tranche of one distribution, pro rata to the balance at the record block. */
export const distributionPayout = pgTable(
  "distribution_payout",
  {
    id: id(),
    distributionId: uuid("distribution_id")
      .notNull()
      .references(() => distribution.id),
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    holder: text("holder").notNull(),
    /** The registered investor whose wallet the holder is, when there is one. */
    investorId: uuid("investor_id").references(() => investor.id),
    /** Token balance at the record block. */
    balance: baseUnits("balance").notNull(),
    amount: baseUnits("amount").notNull(),
    status: text("status", { enum: PAYOUT_STATUSES }).notNull(),
    batchId: uuid("batch_id").references(() => chainWrite.id),
    txHash: text("tx_hash"),
    blockNumber: bigint("block_number", { mode: "bigint" }),
    /** The last refusal of the chain (the treasury short of funds or allowance): tried again later. */
    revertReason: text("revert_reason"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique().on(t.distributionId, t.trancheId, t.holder),
    index("distribution_payout_status_idx").on(t.status, t.distributionId),
    index("distribution_payout_investor_idx").on(t.investorId),
    index("distribution_payout_batch_idx").on(t.batchId),
  ],
);
