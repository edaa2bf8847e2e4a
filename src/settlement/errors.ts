import { BaseError } from "../errors.js";

/** The offering names no settlement token and treasury: it is paid off chain (requestMint), not by DvP. */
export class SettlementNotConfiguredError extends BaseError {
  readonly code = "SETTLEMENT_NOT_CONFIGURED";
  override name = "SettlementNotConfiguredError";
  constructor(readonly offeringId: string) {
    super(`offering ${offeringId} names no settlement token and treasury; it is paid off chain (requestMint)`);
  }
}

/**
 * The chain would refuse the settlement: `reason` is the decoded error (ERC20InsufficientBalance,
 * ERC20InsufficientAllowance, ERC2612ExpiredSignature, ERC2612InvalidSigner, EnforcedPause,
 * NotWhitelisted…). Nothing was recorded, paid or minted.
 */
export class SettlementRefusedError extends BaseError {
  readonly code = "SETTLEMENT_REFUSED";
  override name = "SettlementRefusedError";
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(`${message}: ${reason}`);
  }
}

/** The subscription is smaller than the tranche's minimum ticket. */
export class BelowMinimumTicketError extends BaseError {
  readonly code = "BELOW_MINIMUM_TICKET";
  override name = "BelowMinimumTicketError";
  constructor(
    readonly minimumTicket: string,
    readonly requested: string,
  ) {
    super(`the tranche's minimum ticket is ${minimumTicket} base units; ${requested} requested`);
  }
}

/** The tranche does not allow redemption before maturity. */
export class EarlyRedemptionNotAllowedError extends BaseError {
  readonly code = "EARLY_REDEMPTION_NOT_ALLOWED";
  override name = "EarlyRedemptionNotAllowedError";
  constructor(readonly trancheId: string) {
    super(`tranche ${trancheId} cannot be redeemed before maturity`);
  }
}

/** The treasury (its balance, or what it allowed the settlement contract) cannot pay what an early redemption is due. */
export class TreasuryInsufficientError extends BaseError {
  readonly code = "TREASURY_INSUFFICIENT";
  override name = "TreasuryInsufficientError";
  constructor(
    readonly needed: string,
    readonly available: string,
  ) {
    super(`the treasury can pay ${available} base units to the settlement contract; ${needed} are needed`);
  }
}

/** The idempotency key was used before by this investor for a different subscription or redemption. */
export class SettlementKeyReusedError extends BaseError {
  readonly code = "IDEMPOTENCY_KEY_REUSED";
  override name = "SettlementKeyReusedError";
  constructor(
    readonly idempotencyKey: string,
    readonly existingId: string,
  ) {
    super(`idempotency key "${idempotencyKey}" was already used for ${existingId} with different parameters`);
  }
}
