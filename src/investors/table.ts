import { pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../db/columns.js";
import { organization } from "../organizations/table.js";
import { tranche } from "../offerings/table.js";
import { INVESTOR_CLASSES } from "./classes.js";

export { INVESTOR_CLASSES };
export const KYC_STATUSES = ["PENDING", "VERIFIED", "REJECTED", "REVOKED"] as const;

export const investor = pgTable("investor", {
  id: id(),
  /** W3C DID, e.g. did:pkh:eip155:1:0xabc… */
  did: text("did").notNull().unique(),
  investorClass: text("investor_class", { enum: INVESTOR_CLASSES }).notNull(),
  jurisdiction: text("jurisdiction").notNull(),
  kycStatus: text("kyc_status", { enum: KYC_STATUSES }).notNull().default("PENDING"),
  kycExpiresAt: timestamp("kyc_expires_at", { withTimezone: true }),
  /** EIP-55 checksummed. */
  walletAddress: text("wallet_address").notNull(),
  /** When the investor last proved control of `walletAddress` (Sign-In with Ethereum); whitelisting needs it. */
  walletProvenAt: timestamp("wallet_proven_at", { withTimezone: true }),
  /** The trusted issuer DID of the KYC credential, when KYC was verified from one. */
  kycIssuerDid: text("kyc_issuer_did"),
  /** sha256 of the KYC evidence (the credential JWT), when there is one. */
  kycEvidenceDigest: text("kyc_evidence_digest"),
  registeredByOrgId: uuid("registered_by_org_id")
    .notNull()
    .references(() => organization.id),
  createdAt: createdAt(),
});

/**
 * A wallet admitted on one tranche's token; written after the on-chain whitelist tx is mined.
 * Investors and compliance own it (whitelisting, unlisting, eligibility), so it lives here.
 */
export const trancheWhitelist = pgTable(
  "tranche_whitelist",
  {
    trancheId: uuid("tranche_id")
      .notNull()
      .references(() => tranche.id),
    walletAddress: text("wallet_address").notNull(),
    investorId: uuid("investor_id")
      .notNull()
      .references(() => investor.id),
    txHash: text("tx_hash").notNull(),
    /** The country (ISO 3166-1 alpha-2) and investor class written on chain with the wallet; null: whitelisted before the token kept them. */
    country: text("country"),
    investorClass: text("investor_class", { enum: INVESTOR_CLASSES }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.trancheId, t.walletAddress] })],
);
