/**
 * The HTTP side of the edge, shared by every route (/graphql, /lineage/openlineage,
 * /webhooks/chain, /metrics): one body reader with the byte limit, one JSON reply, and one
 * map from a typed error to an HTTP status. Routes throw; the server answers with these.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { BaseError, ValidationError } from "../errors.js";

/** A request body over the route's byte limit; answered 413 and the connection is closed. */
export class PayloadTooLargeError extends BaseError {
  readonly code = "PAYLOAD_TOO_LARGE";
  override name = "PayloadTooLargeError";
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/**
 * Reads a request body, refusing it once it passes `limit` bytes (a declared Content-Length
 * over the limit is refused before reading anything).
 * @example const raw = await readBody(req, 1_000_000); // Buffer, or throws PayloadTooLargeError
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Writes one JSON reply. A 413 also closes the connection: the rest of that body is never
 * read, so the socket cannot carry another request (a kept-alive one would be reset mid-body).
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers, ...(status === 413 ? { connection: "close" } : {}) });
  res.end(JSON.stringify(body));
}

/** The HTTP status of each shared `BaseError` code. */
const STATUS_OF_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
};

/**
 * The HTTP status of an error: the shared codes above; any other typed error 503 when trying
 * again may help, else 422 (a domain rule refused it: the client learns its code); anything
 * untyped is a 500 whose details stay in the log.
 */
export function httpStatusOf(error: unknown): number {
  if (!(error instanceof BaseError)) return 500;
  return STATUS_OF_CODE[error.code] ?? (error.retryable ? 503 : 422);
}

/**
 * Answers an error as `{ error: { code, message, issues? } }`. An untyped error is logged
 * and answered as a masked 500 carrying the request id, never its message or stack.
 * `status` overrides the map for a route's own codes (a bad webhook signature is a 401).
 * @example catch (error) { sendError(res, error, { logger, requestId }); }
 */
export function sendError(
  res: ServerResponse,
  error: unknown,
  options: { logger?: Logger; requestId?: string; status?: number } = {},
): void {
  if (!(error instanceof BaseError)) {
    options.logger?.error({ err: error, requestId: options.requestId }, "request failed");
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, 500, { error: { code: "INTERNAL_SERVER_ERROR", message: "Internal server error", requestId: options.requestId } });
    return;
  }
  if (res.headersSent) {
    res.end();
    return;
  }
  const issues = error instanceof ValidationError ? { issues: error.issues } : {};
  sendJson(res, options.status ?? httpStatusOf(error), { error: { code: error.code, message: error.message, ...issues } });
}
