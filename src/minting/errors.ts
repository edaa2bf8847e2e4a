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

/** One refused item of a bulk request: its place in the list, its key, and the error a single request would have answered. */
export type BulkMintItemError = {
  index: number;
  idempotencyKey: string | null;
  error: BaseError;
  /** The error's, for the GraphQL `Error` interface. */
  code: BaseError["code"];
  message: string;
  retryable: boolean;
};

/**
 * A bulk mint request with at least one item that would be refused on its own. Nothing was
 * recorded for any item; `items` names each refused one (the others would have passed).
 */
export class BulkMintRefusedError extends BaseError {
  readonly code = "BULK_MINT_REFUSED";
  override name = "BulkMintRefusedError";
  /** Retrying the same list fails the same way, unless every refusal was itself retryable. */
  override readonly retryable: boolean;
  constructor(readonly items: BulkMintItemError[]) {
    super(
      `${items.length} item${items.length === 1 ? "" : "s"} refused, nothing recorded: ${items
        .slice(0, 5)
        .map((i) => `#${i.index} ${i.error.code}`)
        .join(", ")}${items.length > 5 ? ", …" : ""}`,
    );
    this.retryable = items.every((i) => i.error.retryable);
  }
}
