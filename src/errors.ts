/**
 * One base class for every domain error. `code` is stable: clients branch on it
 * (GraphQL result unions expose it as `code`). `retryable` tells a worker whether
 * trying again can help; nothing else decides that.
 */
export abstract class BaseError extends Error {
  abstract readonly code: string;
  readonly retryable: boolean = false;
}

export type FieldIssue = { path: string; message: string };

/** Input did not pass validation; `issues` names each field at fault. */
export class ValidationError extends BaseError {
  readonly code = "VALIDATION_FAILED";
  override name = "ValidationError";
  constructor(readonly issues: FieldIssue[]) {
    super(`Invalid input: ${issues.map((i) => `${i.path || "(input)"}: ${i.message}`).join("; ")}`);
  }
}

/** An id that names nothing the caller may see. */
export class NotFoundError extends BaseError {
  readonly code = "NOT_FOUND";
  override name = "NotFoundError";
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${id} not found`);
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

/** The chain could not be reached or refused the call; trying again may help. */
export class ChainUnavailableError extends BaseError {
  readonly code = "CHAIN_UNAVAILABLE";
  override readonly retryable = true;
  override name = "ChainUnavailableError";
}
