import { integer, pgTable, primaryKey, text, uuid, unique } from "drizzle-orm/pg-core";
import { baseUnits, createdAt, id } from "../db/columns.js";
import { dataAsset } from "../assets/table.js";
import { organization } from "../organizations/table.js";
// Not ../investors/table.js: that module imports this one (the whitelist references tranche).
import { INVESTOR_CLASSES } from "../investors/classes.js";

export const PRODUCT_TYPES = ["FUND", "DEBT", "REVENUE_RIGHTS"] as const;
export const OFFERING_STATUSES = ["DRAFT", "OPEN", "CLOSED"] as const;
export type OfferingStatus = (typeof OFFERING_STATUSES)[number];

/**
 * Offerings that hold their assets: an asset packaged in one of them cannot be packaged in
 * another. Every status so far: a CLOSED offering still has tokens outstanding that anchor the
 * asset. When offerings can end (CANCELLED, REDEEMED: not modelled yet) those statuses stay out of
 * this list, and their assets may then back a new offering.
 */
export const LIVE_OFFERING_STATUSES: readonly OfferingStatus[] = ["DRAFT", "OPEN", "CLOSED"];
export const SENIORITIES = ["SENIOR", "MEZZANINE", "JUNIOR"] as const;

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
    couponBps: integer("coupon_bps").notNull().default(0),
    supplyCap: baseUnits("supply_cap").notNull(),
    tokenName: text("token_name").notNull(),
    tokenSymbol: text("token_symbol").notNull(),
    tokenAddress: text("token_address"),
    chainId: integer("chain_id"),
    deployTxHash: text("deploy_tx_hash"),
    createdAt: createdAt(),
  },
  (t) => [unique().on(t.chainId, t.tokenAddress)],
);
