import { BaseError } from "../errors.js";

/** The period a distribution would cover is empty or not over yet. */
export class DistributionPeriodError extends BaseError {
  readonly code = "DISTRIBUTION_PERIOD_INVALID";
  override name = "DistributionPeriodError";
  constructor(
    readonly periodStart: Date,
    readonly periodEnd: Date,
    reason: string,
  ) {
    super(`the distribution period ${periodStart.toISOString()} → ${periodEnd.toISOString()} ${reason}`);
  }
}

/** Corrections lowered revenue already distributed by more than the new revenue of the period: nothing can be shared out. */
export class RevenueNegativeError extends BaseError {
  readonly code = "REVENUE_NEGATIVE";
  override name = "RevenueNegativeError";
  constructor(readonly available: string) {
    super(`the revenue of the period sums to ${available} base units after corrections; nothing can be distributed`);
  }
}

/**
 * The indexer has not yet scanned a tranche token up to the last settlement the registry knows
 * of: its cap table would miss holders, so no record block can be fixed yet. Retry shortly.
 */
export class IndexerBehindError extends BaseError {
  readonly code = "INDEXER_BEHIND";
  override name = "IndexerBehindError";
  override readonly retryable = true;
  constructor(
    readonly tokenAddress: string,
    readonly scannedThrough: string,
    readonly needed: string,
  ) {
    super(
      `the indexer has scanned ${tokenAddress} through block ${scannedThrough}; the registry settled it at block ${needed}: try again shortly`,
    );
  }
}

/** The idempotency key was used before for this offering's distribution of another period. */
export class DistributionKeyReusedError extends BaseError {
  readonly code = "IDEMPOTENCY_KEY_REUSED";
  override name = "DistributionKeyReusedError";
  constructor(
    readonly idempotencyKey: string,
    readonly existingId: string,
  ) {
    super(`idempotency key "${idempotencyKey}" was already used for distribution ${existingId} of another period`);
  }
}
