/**
 * Every stable code a client can meet, in one place: the codes our errors raise and the ones
 * the transports answer on their own (Apollo, graphql-ws, the HTTP edge). Clients branch on
 * them, so a code is never renamed; docs/error-codes.md says for each when it is raised,
 * whether it is retryable and what to do, and test/error-codes.test.ts keeps the two equal.
 */
export const ERROR_CODES = [
  // Raised by the BaseError subclasses below and in each domain's errors.
  "VALIDATION_FAILED",
  "NOT_FOUND",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "CONFLICT",
  "CHAIN_UNAVAILABLE",
  "CHAIN_MISMATCH",
  "CONTRACT_REVERTED",
  "DEPLOY_REVERTED",
  "LEASE_LOST",
  "INVALID_TRANSITION",
  "OWNERSHIP_SHARES_INVALID",
  "COMPLIANCE_NOT_SATISFIED",
  "ASSET_ALREADY_OFFERED",
  "OFFERING_STATE",
  "OFFERING_STRUCTURE",
  "OFFERING_NOT_OPEN",
  "OFFERING_NOT_MATURED",
  "KYC_NOT_VERIFIED",
  "WALLET_NOT_PROVEN",
  "CREDENTIAL_ISSUER_UNTRUSTED",
  "CREDENTIAL_INVALID",
  "CREDENTIAL_WRONG_CHAIN",
  "CREDENTIAL_SUBJECT_MISMATCH",
  "SIWE_NONCE_INVALID",
  "SIWE_DOMAIN_MISMATCH",
  "SIWE_MESSAGE_INVALID",
  "SIWE_SIGNATURE_INVALID",
  "WALLET_NOT_REGISTERED",
  "IDEMPOTENCY_KEY_REUSED",
  "SUPPLY_CAP_EXCEEDED",
  "BULK_MINT_REFUSED",
  "INSUFFICIENT_BALANCE",
  "SETTLEMENT_NOT_CONFIGURED",
  "SETTLEMENT_REFUSED",
  "BELOW_MINIMUM_TICKET",
  "EARLY_REDEMPTION_NOT_ALLOWED",
  "TREASURY_INSUFFICIENT",
  "VENUE_NOT_LICENSED",
  "VENUE_NOT_ADMITTED",
  "TRADE_REFUSED",
  "DISTRIBUTION_PERIOD_INVALID",
  "REVENUE_NEGATIVE",
  "INDEXER_BEHIND",
  "WEBHOOK_SIGNATURE_INVALID",
  "PAYLOAD_TOO_LARGE",
  // A mint request's recorded failure (MintRequest.error.code).
  "MINT_FAILED",
  // A subscription's or redemption's recorded failure (errorCode), beside COMPLIANCE_NOT_SATISFIED and REVERTED.
  "OFFERING_CANCELLED",
  "PERMIT_EXPIRED",
  "REVERTED",
  // Answered by the transports before or around any resolver.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "INTERNAL_SERVER_ERROR",
  // Answered by the HTTP routes beside GraphQL (webhooks, OpenLineage).
  "METHOD_NOT_ALLOWED",
  "BAD_PAYLOAD",
  "WEBHOOK_REPLAYED",
] as const;

/** One stable error code; every BaseError's `code` is one of these. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * What an error keeps besides its message: `cause`, the error it stands for (ES2022 error
 * cause: pino's err serializer logs its message and stack after ours), and `details`, plain
 * facts for the logs. Neither ever reaches a client (edge/graphql.ts answers message and code).
 */
export type BaseErrorOptions = { cause?: unknown; details?: Record<string, unknown> };

/**
 * One base class for every domain error. `code` is stable: clients branch on it
 * (GraphQL result unions expose it as `code`). `retryable` tells a worker whether
 * trying again can help; nothing else decides that.
 * @example throw new ConflictError("tranche already has a token", { cause: error, details: { trancheId } });
 */
export abstract class BaseError extends Error {
  abstract readonly code: ErrorCode;
  readonly retryable: boolean = false;
  readonly details: Record<string, unknown> | undefined;
  constructor(message?: string, options: BaseErrorOptions = {}) {
    super(message, "cause" in options ? { cause: options.cause } : undefined);
    this.details = options.details;
  }
}

export type FieldIssue = { path: string; message: string };

/** Input did not pass validation; `issues` names each field at fault. */
export class ValidationError extends BaseError {
  readonly code = "VALIDATION_FAILED";
  override name = "ValidationError";
  constructor(
    readonly issues: FieldIssue[],
    options?: BaseErrorOptions,
  ) {
    super(`Invalid input: ${issues.map((i) => `${i.path || "(input)"}: ${i.message}`).join("; ")}`, options);
  }
}

/** An id that names nothing the caller may see. */
export class NotFoundError extends BaseError {
  readonly code = "NOT_FOUND";
  override name = "NotFoundError";
  constructor(
    readonly entity: string,
    readonly id: string,
    options?: BaseErrorOptions,
  ) {
    super(`${entity} ${id} not found`, options);
  }
}

/** No valid credentials: a missing, expired or forged token. */
export class UnauthenticatedError extends BaseError {
  readonly code = "UNAUTHENTICATED";
  override name = "UnauthenticatedError";
}

/** Valid credentials, but the role or organization may not do this. */
export class ForbiddenError extends BaseError {
  readonly code = "FORBIDDEN";
  override name = "ForbiddenError";
}

/** The request conflicts with the current state (e.g. a token already deployed). */
export class ConflictError extends BaseError {
  readonly code = "CONFLICT";
  override name = "ConflictError";
}

/** The chain could not be reached, or a write is not settled yet; trying again may help. */
export class ChainUnavailableError extends BaseError {
  readonly code = "CHAIN_UNAVAILABLE";
  override readonly retryable = true;
  override name = "ChainUnavailableError";
}
