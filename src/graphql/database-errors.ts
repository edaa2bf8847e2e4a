/**
 * A Pothos plugin that turns PostgreSQL refusals of the caller's input (see db/errors.ts) into
 * typed errors on every Query and Mutation field. It sits inside the errors plugin, so a field
 * that lists the error type answers it as a typed result; elsewhere it reaches the client with
 * its stable code. The services validate first; this catches what only the database knows —
 * chiefly a correctly signed token naming an organization that does not exist, which every
 * write would otherwise turn into a foreign-key 500.
 */
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import { typedDatabaseError } from "../db/errors.js";
import { BaseError, NotFoundError, UnauthenticatedError } from "../errors.js";
import type { ServiceContext } from "../context.js";

const ROOT_TYPES = new Set(["Query", "Mutation"]);

/** The typed error for `error` as this caller made it, or `error` itself. */
function typed(error: unknown, ctx: Pick<ServiceContext, "auth">): unknown {
  // A service may have mapped it already (the import does, to tell a row's fault from the rest).
  const mapped: BaseError | undefined = error instanceof BaseError ? error : typedDatabaseError(error);
  if (!mapped) return error;
  // The token names the organization the write is recorded for: its absence is the token's fault.
  if (
    mapped instanceof NotFoundError &&
    mapped.entity === "Organization" &&
    ctx.auth.kind === "actor" &&
    mapped.id === ctx.auth.actor.organizationId
  ) {
    return new UnauthenticatedError(`your token's organization ${mapped.id} does not exist: ask for a new token`, { cause: mapped });
  }
  // typedDatabaseError keeps the driver's error as the cause.
  return mapped;
}

export class DatabaseErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    if (!ROOT_TYPES.has(fieldConfig.parentType)) return resolver;
    return async (parent, args, context, info) => {
      try {
        return await resolver(parent, args, context, info);
      } catch (error) {
        throw typed(error, context as ServiceContext);
      }
    };
  }
}

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      databaseErrors: DatabaseErrorsPlugin<Types>;
    }
  }
}

const pluginName = "databaseErrors";
SchemaBuilder.registerPlugin(pluginName, DatabaseErrorsPlugin);
export default pluginName;
