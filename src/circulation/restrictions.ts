/**
 * The tranche token's transfer restrictions (DataAssetToken.sol), as the gateway names them:
 * the index of each code is the token's ERC-1404 restriction code, so a code read on chain
 * (`detectTransferRestriction`) and one the gateway's pre-check computes are the same number.
 * Codes the chain does not know (KYC, venue licences, the offering's blocked jurisdictions)
 * follow as REGISTRY_RESTRICTIONS.
 */
import { decodeErrorResult, type Hex } from "viem";
import { DataAssetTokenAbi } from "../chain/token.js";
import type { INVESTOR_CLASSES } from "../investors/classes.js";

export const CHAIN_RESTRICTIONS = [
  "NONE",
  "PAUSED",
  "SENDER_NOT_WHITELISTED",
  "RECEIVER_NOT_WHITELISTED",
  "SENDER_FROZEN",
  "RECEIVER_FROZEN",
  "LOCKED_UP",
  "INSUFFICIENT_BALANCE",
  "AMOUNT_FROZEN",
  "VENUE_NOT_ADMITTED",
  "COUNTRY_BLOCKED",
  "COUNTRY_NOT_ALLOWED",
  "INVESTOR_CLASS_NOT_ALLOWED",
  "HOLDER_LIMIT_REACHED",
  "BALANCE_LIMIT_EXCEEDED",
] as const;
export type ChainRestriction = Exclude<(typeof CHAIN_RESTRICTIONS)[number], "NONE">;

/** What only the registry knows; the chain learns some later (an expired KYC un-whitelists the wallet at the next sweep). */
export const REGISTRY_RESTRICTIONS = ["KYC_NOT_VERIFIED", "KYC_EXPIRED", "JURISDICTION_BLOCKED", "VENUE_NOT_LICENSED"] as const;
export type RegistryRestriction = (typeof REGISTRY_RESTRICTIONS)[number];
export type RestrictionCode = ChainRestriction | RegistryRestriction;

export const RESTRICTION_MESSAGES: Record<RestrictionCode, string> = {
  PAUSED: "the token is paused",
  SENDER_NOT_WHITELISTED: "the sender is not whitelisted",
  RECEIVER_NOT_WHITELISTED: "the receiver is not whitelisted",
  SENDER_FROZEN: "the sender is frozen",
  RECEIVER_FROZEN: "the receiver is frozen",
  LOCKED_UP: "the tokens are locked up",
  INSUFFICIENT_BALANCE: "the sender's balance is too small",
  AMOUNT_FROZEN: "part of the sender's balance is frozen",
  VENUE_NOT_ADMITTED: "the venue is not admitted",
  COUNTRY_BLOCKED: "the receiver's country is blocked",
  COUNTRY_NOT_ALLOWED: "the receiver's country is not allowed",
  INVESTOR_CLASS_NOT_ALLOWED: "the receiver's investor class may not buy here",
  HOLDER_LIMIT_REACHED: "the token has its most holders",
  BALANCE_LIMIT_EXCEEDED: "the receiver would hold more than allowed",
  KYC_NOT_VERIFIED: "a party's KYC is not verified",
  KYC_EXPIRED: "a party's KYC has expired",
  JURISDICTION_BLOCKED: "the receiver's jurisdiction is blocked for this offering",
  VENUE_NOT_LICENSED: "the venue holds no valid licence for secondary trading",
};

export function chainRestrictionOf(code: number): ChainRestriction | null {
  const name = CHAIN_RESTRICTIONS[code];
  if (name === undefined) throw new Error(`unknown restriction code ${code}`);
  return name === "NONE" ? null : name;
}

type InvestorClass = (typeof INVESTOR_CLASSES)[number];
/** The token's class numbers (CLASS_* in DataAssetToken.sol); 0 is a wallet whitelisted without one. */
export const CLASS_CODES: Record<InvestorClass, number> = { PROFESSIONAL: 1, INSTITUTIONAL: 2, RETAIL: 3 };
/** The token's default secondaryClasses: every class, and wallets without one. */
export const ANY_CLASS_MASK = 0xff;

export function classMask(classes: readonly InvestorClass[]): number {
  return classes.reduce((mask, c) => mask | (1 << CLASS_CODES[c]), 0);
}

/** The country of a registry jurisdiction ("CN-SH" → "CN"): subdivisions are the registry's, the token knows countries. */
export function countryOfJurisdiction(jurisdiction: string): string {
  return jurisdiction.slice(0, 2).toUpperCase();
}

/** "SG" as the token's bytes2. */
export function countryBytes(alpha2: string): Hex {
  return `0x${Buffer.from(alpha2.toUpperCase(), "ascii").toString("hex").padStart(4, "0")}`;
}

/**
 * The restriction a token revert stands for, by its custom error, from the transfer's parties
 * (NotWhitelisted and AccountFrozen name the account, which tells sender from receiver).
 * Null: the revert is not a transfer restriction.
 */
export function restrictionOfRevert(data: Hex, from: string, to: string): ChainRestriction | null {
  let decoded;
  try {
    decoded = decodeErrorResult({ abi: DataAssetTokenAbi, data });
  } catch {
    return null;
  }
  const account = String((decoded.args as readonly unknown[] | undefined)?.[0] ?? "").toLowerCase();
  const side = account === from.toLowerCase() && account !== to.toLowerCase() ? "SENDER" : "RECEIVER";
  switch (decoded.errorName) {
    case "EnforcedPause":
      return "PAUSED";
    case "NotWhitelisted":
      return `${side}_NOT_WHITELISTED`;
    case "AccountFrozen":
      return `${side}_FROZEN`;
    case "TransferLocked":
      return "LOCKED_UP";
    case "ERC20InsufficientBalance":
      return "INSUFFICIENT_BALANCE";
    case "InsufficientUnfrozenBalance":
      return "AMOUNT_FROZEN";
    case "VenueNotAdmitted":
      return "VENUE_NOT_ADMITTED";
    case "CountryBlocked":
      return "COUNTRY_BLOCKED";
    case "CountryNotAllowed":
      return "COUNTRY_NOT_ALLOWED";
    case "InvestorClassNotAllowed":
      return "INVESTOR_CLASS_NOT_ALLOWED";
    case "HolderLimitReached":
      return "HOLDER_LIMIT_REACHED";
    case "BalanceLimitExceeded":
      return "BALANCE_LIMIT_EXCEEDED";
    default:
      return null;
  }
}
