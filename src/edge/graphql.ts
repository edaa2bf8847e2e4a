/**
 * The GraphQL side of the edge, the same on every transport (Apollo over HTTP, graphql-ws over
 * WebSocket): the limits an operation must stay within, checked before it runs, and the
 * masking of what an error may tell a client.
 */
import {
  GraphQLError,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  Source,
  TokenKind,
  type GraphQLFormattedError,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { costLimitRule } from "@escape.tech/graphql-armor-cost-limit";
import type { Logger } from "pino";
import { BaseError } from "../errors.js";
import { typedDatabaseError } from "../db/errors.js";

/**
 * Limits on what one operation may ask for; page sizes are capped by each list field.
 * - `maxDepth` bounds selections, introspection (`__schema`) aside;
 * - `maxIntrospectionDepth` bounds everything, introspection included: graphql-js's
 *   `getIntrospectionQuery()` (what GraphiQL, Apollo Sandbox, Postman and graphql-codegen
 *   send) is 21 deep through its `ofType` chain, and 25 leaves room for tools that nest a few
 *   more levels, while a hostile 50-deep `ofType` chain is refused. Introspection is exempt
 *   from the cost limit only; aliases, directives, tokens and nesting bound it like any query;
 * - `maxTokens` and `maxNesting` are checked on the source text before it is parsed: graphql-js
 *   parses recursively and a list literal a few thousand `[` deep overflows its stack.
 */
export const QUERY_LIMITS = {
  maxDepth: 20,
  maxIntrospectionDepth: 25,
  maxAliases: 30,
  maxTokens: 5000,
  maxNesting: 100,
  maxDirectives: 50,
  maxCost: 20_000,
} as const;

/** Each armor rule reports into the validation context (all refusals together, as validation errors) instead of throwing. */
const report = { propagateOnRejection: false, onReject: [(ctx: ValidationContext | null, error: GraphQLError) => ctx?.reportError(error)] };

/**
 * The validation rules of every transport, after graphql-js's own.
 * @example validate(schema, document, [...specifiedRules, ...operationRules({ introspection: false })]);
 */
export function operationRules(settings: { introspection: boolean }): ValidationRule[] {
  const rules: ValidationRule[] = [
    maxDepthRule({ n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, ...report }),
    maxDepthRule({ n: QUERY_LIMITS.maxIntrospectionDepth, ignoreIntrospection: false, ...report }),
    // Aliased __typename counts too: 1,000 of them cost as much as any field.
    maxAliasesRule({ n: QUERY_LIMITS.maxAliases, allowList: [], ...report }),
    maxDirectivesRule({ n: QUERY_LIMITS.maxDirectives, ...report }),
    costLimitRule({ maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true, ...report }),
  ];
  return settings.introspection ? rules : [...rules, NoSchemaIntrospectionCustomRule];
}

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R]);

/**
 * Checks an operation's source against the token and nesting limits before it is parsed,
 * with graphql-js's own lexer (the scan stops at the first token over a limit). Returns the
 * refusal's message, or undefined; a lexing error is left for the parser to report with its position.
 * @example const refused = sourceLimitExceeded(query); // "Syntax Error: Token limit of 5000 exceeded."
 */
export function sourceLimitExceeded(query: string): string | undefined {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  let nesting = 0;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (++tokens > QUERY_LIMITS.maxTokens) return `Syntax Error: Token limit of ${QUERY_LIMITS.maxTokens} exceeded.`;
      if (OPENING.has(token.kind) && ++nesting > QUERY_LIMITS.maxNesting)
        return `Syntax Error: Nesting limit of ${QUERY_LIMITS.maxNesting} exceeded.`;
      if (CLOSING.has(token.kind)) nesting--;
    }
  } catch (error) {
    if (error instanceof GraphQLError) return undefined;
    throw error;
  }
  return undefined;
}

export type MaskOptions = { production: boolean; logger: Logger };

/**
 * What a client may see of a GraphQL error, on every transport (Apollo's `formatError`, the
 * graphql-ws server's onNext/onError). `formatted` carries the transport's `extensions.code`.
 * A typed error (any `BaseError`, thrown by a service or mapped from the database) keeps its
 * message and stable code, in production and in development alike (its cause and details are
 * logged, never answered); an untyped one (`INTERNAL_SERVER_ERROR`) is logged, and in
 * production answered without its message, SQL or stack. Field suggestions map the schema
 * for an attacker: hidden in production.
 */
export function maskError(formatted: GraphQLFormattedError, error: unknown, options: MaskOptions): GraphQLFormattedError {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const where = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
  // A typed error, or a database refusal a nested field met (root fields map theirs already: graphql/database-errors.ts).
  const typed = original instanceof BaseError ? original : typedDatabaseError(original);
  if (typed) {
    // Message and code only: the cause and details are for operators (logged here, with the cause's stack), never for a client.
    if (typed.cause !== undefined || typed.details) {
      options.logger.warn({ err: typed, code: typed.code, details: typed.details }, "typed error with a cause");
    }
    return { message: typed.message, ...where, extensions: { code: typed.code } };
  }
  if (formatted.extensions?.code === "INTERNAL_SERVER_ERROR") {
    options.logger.error({ err: original }, "unhandled error in resolver");
    if (options.production) return { message: "Internal server error", ...where, extensions: { code: "INTERNAL_SERVER_ERROR" } };
    return formatted;
  }
  if (options.production) return { ...formatted, message: formatted.message.replace(/Did you mean ".+"\?/g, "[Suggestion hidden]").trim() };
  return formatted;
}

/** A GraphQLError wrapping a plain exception (a resolver's or a subscription source's failure). */
export const isUntypedFailure = (error: GraphQLError) =>
  error.originalError !== undefined && !(error.originalError instanceof GraphQLError);

/**
 * A graphql-ws error in the terms Apollo gives its errors: `code` (e.g. INTERNAL_SERVER_ERROR
 * for an untyped failure) unless the error names its own, then masked as over HTTP.
 */
export function formatWsError(error: GraphQLError, code: string | undefined, options: MaskOptions): GraphQLFormattedError {
  const formatted = error.toJSON();
  const ownCode = formatted.extensions?.code ?? code;
  return maskError(ownCode ? { ...formatted, extensions: { ...formatted.extensions, code: ownCode } } : formatted, error, options);
}
