import { index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../db/columns.js";
import { organization } from "../organizations/table.js";
import { investor } from "../investors/table.js";

/**
 * Issuer DIDs whose KYC credentials the gateway accepts. Registered by a compliance officer:
 * trust is a decision someone answers for, so who registered it is kept.
 */
export const trustedIssuer = pgTable("trusted_issuer", {
  id: id(),
  did: text("did").notNull().unique(),
  name: text("name").notNull(),
  registeredBy: text("registered_by").notNull(),
  registeredByOrgId: uuid("registered_by_org_id")
    .notNull()
    .references(() => organization.id),
  createdAt: createdAt(),
});

/** WALLET_PROOF: an issuer or officer proves an investor's wallet before whitelisting; SIGN_IN: an investor signs in. */
export const CHALLENGE_PURPOSES = ["WALLET_PROOF", "SIGN_IN"] as const;

/**
 * A Sign-In with Ethereum nonce issued by the gateway for one wallet. It is used at most once
 * (`usedAt`) and only before `expiresAt`, so a signed message cannot be replayed. A sign-in
 * challenge names no investor: it is issued to anyone for any address, so it cannot tell
 * whether the wallet is registered; the investor is looked up once the signature holds.
 */
export const walletChallenge = pgTable(
  "wallet_challenge",
  {
    nonce: text("nonce").primaryKey(),
    purpose: text("purpose", { enum: CHALLENGE_PURPOSES }).notNull().default("WALLET_PROOF"),
    /** The investor a WALLET_PROOF challenge was issued for; null for SIGN_IN. */
    investorId: uuid("investor_id").references(() => investor.id),
    walletAddress: text("wallet_address").notNull(),
    domain: text("domain").notNull(),
    chainId: integer("chain_id").notNull(),
    issuedAt: timestamp("issued_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("wallet_challenge_investor_idx").on(t.investorId)],
);
