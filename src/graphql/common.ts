/**
 * GraphQL types shared by every domain: scalars and the error types.
 * Every error implements the `Error` interface (code, message, retryable).
 */
import { GraphQLError, Kind } from "graphql";
import { builder } from "./builder.js";
import {
  type BaseError,
  ChainUnavailableError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
  type FieldIssue,
} from "../errors.js";
import { DeployRevertedError } from "../chain/errors.js";
import { DATE_TIME_EXPECTED, parseDateTime } from "../validation.js";

builder.scalarType("DateTime", {
  description: "An RFC 3339 date-time with an offset, e.g. 2026-11-27T12:00:00Z or 2026-11-27T20:00:00+08:00",
  serialize: (value) => (value as Date).toISOString(),
  parseValue: (value) => dateTimeInput(value),
  parseLiteral: (ast) => dateTimeInput(ast.kind === Kind.STRING ? ast.value : undefined),
});

/** A refused value becomes a variables-coercion error (BAD_USER_INPUT) that says what is expected. */
function dateTimeInput(value: unknown): Date {
  const date = typeof value === "string" ? parseDateTime(value) : undefined;
  if (!date) throw new GraphQLError(`DateTime must be ${DATE_TIME_EXPECTED}`);
  return date;
}

builder.scalarType("JSON", {
  description: "Arbitrary JSON",
  serialize: (value) => value,
  parseValue: (value) => value,
});

// The shape a client sees of any error (a mint request's recorded failure too): never its cause or details.
export const ErrorInterface = builder.interfaceRef<Pick<BaseError, "code" | "message" | "retryable">>("Error").implement({
  description: "Every domain error: branch on `code` (stable) or on the concrete type.",
  fields: (t) => ({
    code: t.exposeString("code"),
    message: t.exposeString("message"),
    retryable: t.exposeBoolean("retryable", { description: "Whether sending the same request later may succeed." }),
  }),
});

export const FieldIssueRef = builder.objectRef<FieldIssue>("FieldIssue").implement({
  fields: (t) => ({
    path: t.exposeString("path", { description: "Dotted path of the input field at fault" }),
    message: t.exposeString("message"),
  }),
});

const errorFields = { interfaces: [ErrorInterface] };

builder.objectType(ValidationError, {
  ...errorFields,
  name: "ValidationError",
  fields: (t) => ({ issues: t.field({ type: [FieldIssueRef], resolve: (e) => e.issues }) }),
});
builder.objectType(NotFoundError, {
  ...errorFields,
  name: "NotFoundError",
  fields: (t) => ({ entity: t.exposeString("entity"), id: t.exposeString("id") }),
});
builder.objectType(UnauthenticatedError, { ...errorFields, name: "UnauthenticatedError" });
builder.objectType(ForbiddenError, { ...errorFields, name: "ForbiddenError" });
builder.objectType(ConflictError, { ...errorFields, name: "ConflictError" });
builder.objectType(ChainUnavailableError, { ...errorFields, name: "ChainUnavailableError" });
builder.objectType(DeployRevertedError, {
  ...errorFields,
  name: "DeployRevertedError",
  description: "The chain refused the token deployment (no contract was created). Not retryable as it is.",
  fields: (t) => ({
    reason: t.exposeString("reason"),
    txHash: t.exposeString("txHash", {
      nullable: true,
      description: "The mined transaction that reverted; null when the simulation reverted and nothing was sent",
    }),
  }),
});

/** GraphQL gives absent optional fields as null; services read null and undefined alike. */
export const defined = <T extends Record<string, unknown>>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as { [K in keyof T]: Exclude<T[K], null> };

/** A Relay connection from one forward (keyset) page of a service's list. */
export function toConnection<T>(page: { edges: { node: T; cursor: string }[]; hasNextPage: boolean }, after: string | null | undefined) {
  return {
    edges: page.edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: Boolean(after),
      startCursor: page.edges[0]?.cursor ?? null,
      endCursor: page.edges.at(-1)?.cursor ?? null,
    },
  };
}
