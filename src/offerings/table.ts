import { boolean, integer, pgTable, primaryKey, text, timestamp, uuid, unique } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";
import { dataAsset } from "../assets/table.js";
import { organization } from "../organizations/table.js";
// Not ../investors/table.js: that module imports this one (the whitelist references tranche).
import { INVESTOR_CLASSES } from "../investors/classes.js";

export const PRODUCT_TYPES = ["FUND", "DEBT", "REVENUE_RIGHTS"] as const;
export const OFFERING_STATUSES = ["DRAFT", "OPEN", "CLOSED", "MATURED", "REDEEMED", "CANCELLED"] as const;
export type OfferingStatus = (typeof OFFERING_STATUSES)[number];

/**
 * Offerings that hold their assets: an asset packaged in one of them cannot be packaged in
 * another. A CLOSED or MATURED offering still has tokens outstanding that anchor the asset; a
 * CANCELLED or REDEEMED one has ended, so it no longer holds its assets.
 */
export const LIVE_OFFERING_STATUSES: readonly OfferingStatus[] = ["DRAFT", "OPEN", "CLOSED", "MATURED"];
/** Most senior first: the order of the waterfall (losses hit the last first). */
export const SENIORITIES = ["SENIOR", "MEZZANINE", "JUNIOR"] as const;
export type Seniority = (typeof SENIORITIES)[number];
/** FIXED pays `couponBps` a year (actual/365); RESIDUAL is the first-loss tranche, paid what is left. */
export const COUPON_KINDS = ["FIXED", "RESIDUAL"] as const;

export const offering = pgTable("offering", {
  id: id(),
  issuerOrgId: uuid("issuer_org_id")
    .notNull()
    .references(() => organization.id),
  name: text("name").notNull(),
  productType: text("product_type", { enum: PRODUCT_TYPES }).notNull(),
  /** Investor classes that may hold this product: a product rule, not a blanket one. */
  allowedInvestorClasses: text("allowed_investor_classes", { enum: INVESTOR_CLASSES }).array().notNull(),
  blockedJurisdictions: text("blocked_jurisdictions").array().notNull().default([]),
  currency: text("currency").notNull(),
  /** sha256 of the offering terms document, anchored in every tranche token. */
  termsDigest: text("terms_digest").notNull(),
  status: text("status", { enum: OFFERING_STATUSES }).notNull().default("DRAFT"),
  /** The risk buffer: the tranches junior to each fixed tranche hold at least this share of the total target. */
  minSubordinationBps: integer("min_subordination_bps").notNull().default(0),
  /** The issuer's management fee, bps a year of outstanding principal: taken first from each distribution's revenue. */
  managementFeeBps: integer("management_fee_bps").notNull().default(0),
  /** The subscription window; an open bound is no bound (opens when opened, closes when closed). */
  opensAt: timestamp("opens_at", { withTimezone: true }),
  closesAt: timestamp("closes_at", { withTimezone: true }),
  /**
   * The ERC-20 subscriptions are paid in and redemptions paid out of (USDC, an HKD stablecoin, dUSD
   * on the dev chain), and its decimals as the chain answered them. Null: paid off chain (requestMint only).
   */
  settlementToken: text("settlement_token"),
  settlementDecimals: integer("settlement_decimals"),
  /** The issuer's treasury wallet: it receives subscription payments and pays redemptions (it approves the settlement contract). */
  treasury: text("treasury"),
  /** When the allocations became final (CLOSED): fixed coupons accrue from here to maturity. */
  closedAt: timestamp("closed_at", { withTimezone: true }),
  /** When the maturity redemption was planned (once: its redemptions are then recorded). */
  redemptionPlannedAt: timestamp("redemption_planned_at", { withTimezone: true }),
  createdAt: createdAt(),
});

/** The data assets an offering packages. */
export const offeringAsset = pgTable(
  "offering_asset",
  {
    offeringId: uuid("offering_id")
      .notNull()
      .references(() => offering.id),
    assetId: uuid("asset_id")
      .notNull()
      .references(() => dataAsset.id),
  },
  (t) => [primaryKey({ columns: [t.offeringId, t.assetId] })],
);

export const tranche = pgTable(
  "tranche",
  {
    id: id(),
    offeringId: uuid("offering_id")
      .notNull()
      .references(() => offering.id),
    name: text("name").notNull(),
    seniority: text("seniority", { enum: SENIORITIES }).notNull(),
    couponKind: text("coupon_kind", { enum: COUPON_KINDS }).notNull().default("FIXED"),
    couponBps: integer("coupon_bps").notNull().default(0),
    /** The target size: the most base units ever minted. */
    supplyCap: baseUnits("supply_cap").notNull(),
    /** Settlement-currency base units per whole token (10^18 token base units). */
    price: baseUnits("price").notNull().default("1000000"),
    minimumTicket: baseUnits("minimum_ticket").notNull().default("1"),
    maturityDate: timestamp("maturity_date", { withTimezone: true }),
    /** Whether holders may redeem before maturity (requestRedemption), at principal plus the coupon accrued so far. */
    earlyRedemption: boolean("early_redemption").notNull().default(false),
    tokenName: text("token_name").notNull(),
    tokenSymbol: text("token_symbol").notNull(),
    tokenAddress: text("token_address"),
    chainId: integer("chain_id"),
    deployTxHash: text("deploy_tx_hash"),
    createdAt: createdAt(),
  },
  (t) => [unique().on(t.chainId, t.tokenAddress)],
);
