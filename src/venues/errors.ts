import { BaseError } from "../errors.js";
import type { ChainRestriction } from "../circulation/restrictions.js";

/**
 * The organization cannot be admitted as a venue: `reason` is NOT_A_VENUE (its kind is not
 * VENUE) or NO_VALID_LICENSE (no MAS_RMO licence valid today). Nothing was sent.
 */
export class VenueNotLicensedError extends BaseError {
  readonly code = "VENUE_NOT_LICENSED";
  override name = "VenueNotLicensedError";
  constructor(
    readonly organizationId: string,
    readonly reason: "NOT_A_VENUE" | "NO_VALID_LICENSE",
  ) {
    super(
      reason === "NOT_A_VENUE"
        ? `organization ${organizationId} is not a VENUE`
        : `organization ${organizationId} holds no MAS_RMO licence valid today`,
    );
  }
}

/** The venue is not admitted for the tranche's offering (admitVenue), or not on this tranche's token yet. Nothing was sent. */
export class VenueNotAdmittedError extends BaseError {
  readonly code = "VENUE_NOT_ADMITTED";
  override name = "VenueNotAdmittedError";
  constructor(
    readonly venueOrganizationId: string,
    readonly trancheId: string,
  ) {
    super(`venue ${venueOrganizationId} is not admitted for tranche ${trancheId}; its issuer admits venues (admitVenue)`);
  }
}

/**
 * The chain would refuse the trade: `reason` is the decoded error — InvalidTradeSignature,
 * TradeExpired, TradeAlreadySettled, ERC20InsufficientBalance / ERC20InsufficientAllowance
 * (the buyer's stablecoin, or the seller's tokens), NotWhitelisted, VenueNotAdmitted, a
 * circulation rule (InvestorClassNotAllowed, TransferLocked…). Nothing moved on either leg.
 */
export class TradeRefusedError extends BaseError {
  readonly code = "TRADE_REFUSED";
  override name = "TradeRefusedError";
  constructor(
    readonly reason: string,
    /** The token's transfer restriction (transferCheck's code), when a circulation rule refused it. */
    readonly restriction: ChainRestriction | null = null,
    message = "the trade would be refused on chain",
  ) {
    super(`${message}: ${reason}`);
  }
}
