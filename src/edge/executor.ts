/**
 * The executor of Apollo's HTTP operations: graphql-jit compiles each operation once into a
 * plain function, instead of graphql-js walking the document on every request (an argument
 * object, an info object and a promise-or-value check for every field of every row; on a
 * 50-asset catalogue page, thousands per request, and most of the garbage the gateway collects).
 *
 * Apollo Server 5 has no executor option; its `gateway` option is the one way to give it one
 * (apollographql/apollo-server#7981, graphql-jit#219). Apollo still parses, validates (the
 * same rules, with its document cache) and formats errors; only execution changes here.
 *
 * What graphql-js still runs, so that its answer stays exactly as before: subscriptions,
 * operations graphql-jit refuses to compile, and variables graphql-js refuses (its coercion
 * runs first; graphql-jit's own words its refusals differently). graphql-jit's errors are
 * turned back into graphql-js GraphQLErrors, which Apollo's formatting and our masking expect.
 */
import type { ApolloServerOptionsWithGateway } from "@apollo/server";
import {
  execute,
  getVariableValues,
  GraphQLError,
  printSchema,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from "graphql";
import { compileQuery, isCompiledQuery, type CompiledQuery } from "graphql-jit";

type Gateway = ApolloServerOptionsWithGateway<never>["gateway"];
type Executor = NonNullable<Awaited<ReturnType<Gateway["load"]>>["executor"]>;

/** Compiled operations kept; each is a few kilobytes of generated code. Clients send a handful of shapes. */
const COMPILED_OPERATIONS = 1000;

/**
 * A least-recently-used map: a Map iterates in insertion order, so a hit is moved to the end
 * and the first key is the one to drop.
 */
class Lru<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: K, value: V) {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as K);
  }
}

/** What graphql-jit made of an operation: its function, or graphql-js for this one (`null`). */
type Compiled = CompiledQuery | null;

/**
 * graphql-jit's GraphQLError shares graphql-js's prototype but not its shape (no `extensions`
 * object, no `nodes`): Apollo reads `extensions.code` of every error and would fail on it.
 * The same error as graphql-js makes it: message, path, original error (its `extensions`, its stack).
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const made = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
  // graphql-js computes locations from AST nodes, which graphql-jit does not keep; it kept the locations.
  (made as { locations?: GraphQLError["locations"] }).locations = error.locations;
  return made;
}

/**
 * The gateway that hands Apollo the schema and the executor.
 * @example new ApolloServer({ gateway: compiledExecution(schema), validationRules, formatError });
 */
export function compiledExecution(schema: GraphQLSchema): Gateway {
  const compiled = new Lru<string, Compiled>(COMPILED_OPERATIONS);

  function compile(document: DocumentNode, operationName: string | undefined, queryHash: string): Compiled {
    // The hash is of the source text; the same text may be run as any of its operations.
    const key = `${queryHash}:${operationName ?? ""}`;
    const known = compiled.get(key);
    if (known !== undefined) return known;
    let result: Compiled = null;
    try {
      const made = compileQuery(schema, document, operationName);
      if (isCompiledQuery(made)) result = made;
    } catch {
      // Anything graphql-jit cannot compile runs on graphql-js, which gives its own answer.
    }
    compiled.set(key, result);
    return result;
  }

  const executor: Executor = async (request) => {
    const { document, operation, queryHash } = request;
    const { variables, operationName } = request.request;
    const contextValue = request.context;
    const graphqlJs = () =>
      execute({ schema, document, contextValue, variableValues: variables, operationName }) as Promise<ExecutionResult> | ExecutionResult;
    // No operation (an unknown operationName): graphql-js words the refusal Apollo answers.
    if (!operation || operation.operation === "subscription") return graphqlJs();
    const jit = compile(document, operationName, queryHash);
    if (!jit || !variablesAccepted(schema, operation, variables)) return graphqlJs();
    const result = await jit.query(undefined, contextValue, variables);
    // A request error (no data at all) after graphql-js accepted the variables: graphql-js answers it.
    if (!("data" in result)) return graphqlJs();
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  };

  return {
    async load() {
      return { executor };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}

/** Whether graphql-js coerces these variables (as its execute would before running anything). */
function variablesAccepted(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined) {
  const definitions = operation.variableDefinitions ?? [];
  if (definitions.length === 0) return true;
  return !("errors" in getVariableValues(schema, definitions, variables ?? {}, { maxErrors: 50 }));
}
