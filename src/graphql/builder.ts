/**
 * The one Pothos builder. Plugins: errors (domain errors become typed union members a
 * client branches on), scope-auth (who may call what is declared on each field), relay
 * (connections), databaseErrors (PostgreSQL refusals of the caller's input become typed
 * errors). Each domain folder adds its own types to this builder in its graphql.ts.
 */
import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import RelayPlugin from "@pothos/plugin-relay";
import DatabaseErrorsPlugin from "./database-errors.js";
import type { ServiceContext } from "../context.js";
import type { ChangeFeed } from "../notifications/change-feed.js";
import { rolesOf, type CallerRole } from "../auth/roles.js";
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from "../errors.js";

export type GraphQLContext = ServiceContext & { requestId: string; changes: ChangeFeed };

/** Scopes whose check reads a domain's tables: the owning domain provides the check (provideScopeCheck). */
type ScopeChecks = { issuerOfTranche: (ctx: GraphQLContext, trancheId: string) => Promise<boolean> };
const scopeChecks: Partial<ScopeChecks> = {};

/**
 * Hands the builder a scope check that reads a domain's tables, so this shared module imports
 * no domain. Called once by the owning domain's graphql.ts, which the schema loads before any request.
 * @example provideScopeCheck("issuerOfTranche", isIssuerOfTranche);
 */
export function provideScopeCheck<K extends keyof ScopeChecks>(name: K, check: ScopeChecks[K]): void {
  scopeChecks[name] = check;
}

function scopeCheck<K extends keyof ScopeChecks>(name: K): ScopeChecks[K] {
  const check = scopeChecks[name];
  if (!check) throw new Error(`auth scope ${name} has no check: its domain's graphql.ts was not loaded`);
  return check;
}

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  /**
   * authenticated: a member of an organization (a staff token; a signed-in investor is not: a
   * field open to investors names INVESTOR in anyRole). issuerOfTranche: the caller is an ISSUER
   * of the organization issuing that tranche's offering.
   */
  AuthScopes: { authenticated: boolean; anyRole: CallerRole[]; issuerOfTranche: string };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  // errors must wrap scope-auth, so an authorization failure becomes a typed Forbidden/Unauthenticated result;
  // and wrap databaseErrors, so a database refusal it maps becomes a typed result too.
  plugins: [ErrorsPlugin, DatabaseErrorsPlugin, ScopeAuthPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({
      authenticated: ctx.auth.kind === "actor",
      anyRole: (roles: CallerRole[]) => roles.some((r) => rolesOf(ctx.auth).includes(r)),
      issuerOfTranche: (trancheId: string) => scopeCheck("issuerOfTranche")(ctx, trancheId),
    }),
    unauthorizedError: (_parent, ctx) => {
      if (ctx.auth.kind === "actor" || ctx.auth.kind === "investor") return new ForbiddenError("your roles do not allow this operation");
      return new UnauthenticatedError(ctx.auth.kind === "invalid" ? ctx.auth.reason : "authentication required");
    },
  },
  errors: {
    defaultTypes: [ValidationError, NotFoundError, UnauthenticatedError, ForbiddenError, ConflictError],
    directResult: true,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
