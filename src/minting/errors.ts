import { BaseError } from "../errors.js";

/** The idempotency key was used before by this organization with different parameters. */
export class IdempotencyKeyReusedError extends BaseError {
  readonly code = "IDEMPOTENCY_KEY_REUSED";
  override name = "IdempotencyKeyReusedError";
  constructor(readonly idempotencyKey: string, readonly existingRequestId: string) {
    super(`idempotency key "${idempotencyKey}" was already used for mint request ${existingRequestId} with different parameters`);
  }
}

/** The mint would take the tranche past its supply cap. */
export class SupplyCapExceededError extends BaseError {
  readonly code = "SUPPLY_CAP_EXCEEDED";
  override name = "SupplyCapExceededError";
  constructor(readonly supplyCap: string, readonly alreadyRequested: string, readonly requested: string) {
    super(`tranche supply cap is ${supplyCap}; ${alreadyRequested} already requested, ${requested} more would exceed it`);
  }
}
