import { BaseError } from "../errors.js";

/** The idempotency key was used before by this organization with different parameters. */
export class IdempotencyKeyReusedError extends BaseError {
  readonly code = "IDEMPOTENCY_KEY_REUSED";
  override name = "IdempotencyKeyReusedError";
  constructor(
    readonly idempotencyKey: string,
    readonly existingRequestId: string,
  ) {
    super(`idempotency key "${idempotencyKey}" was already used for mint request ${existingRequestId} with different parameters`);
  }
}

/** The mint would take the tranche past its supply cap. */
export class SupplyCapExceededError extends BaseError {
  readonly code = "SUPPLY_CAP_EXCEEDED";
  override name = "SupplyCapExceededError";
  constructor(
    readonly supplyCap: string,
    readonly alreadyRequested: string,
    readonly requested: string,
  ) {
    super(`tranche supply cap is ${supplyCap}; ${alreadyRequested} already requested, ${requested} more would exceed it`);
  }
}

/** The account holds fewer tokens than a forced transfer would move. */
export class InsufficientBalanceError extends BaseError {
  readonly code = "INSUFFICIENT_BALANCE";
  override name = "InsufficientBalanceError";
  constructor(
    readonly account: string,
    readonly balance: string,
    readonly requested: string,
  ) {
    super(`${account} holds ${balance} base units; cannot move ${requested}`);
  }
}
