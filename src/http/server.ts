/**
 * One HTTP server: /graphql (Apollo, through its executeHTTPGraphQLRequest integration API,
 * and graphql-ws subscriptions on the same path), /lineage/openlineage, /webhooks/chain,
 * /metrics, /healthz (process is up) and /readyz (database and chain answer). Every route
 * goes through the one edge (src/edge/): one context factory, one body reader with its
 * limit, one reply and status map, the same operation limits and masking on HTTP and WebSocket.
 *
 * It stays on node:http rather than Fastify or Hono: the routing is this one file, the
 * draining below is our own either way, and Apollo 5's integrations for those frameworks are
 * separate packages that would replace nothing here but a few `if (path === …)` lines.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { GraphQLError, parse, specifiedRules, validate, type ExecutionArgs, type GraphQLSchema } from "graphql";
import { playgroundHtml, servePlaygroundAsset } from "./playground.js";
import { createMetrics, type GatewayMetrics, type RegisterGauges } from "./metrics.js";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { ChangeFeed } from "../notifications/change-feed.js";
import type { Logger } from "pino";
import type { GraphQLContext } from "../graphql/builder.js";
import { pingDatabase, type Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import type { ErrorCode } from "../errors.js";
import { createContextFactory } from "../edge/context.js";
import { PayloadTooLargeError, readBody, sendError, sendJson } from "../edge/http.js";
import { formatWsError, isUntypedFailure, maskError, operationRules, sourceLimitExceeded, type MaskOptions } from "../edge/graphql.js";
import { compiledExecution } from "../edge/executor.js";
import { DEFAULTS } from "../config.js";

/** What a worker in this process reports for /readyz and /metrics (the mint worker's health). */
export type WorkerHealth = { ok: boolean; lastError?: string; failingSince?: Date; lostLeases: number };

/**
 * A route the composition root (gateway.ts) mounts: the server reads no domain, so the
 * OpenLineage intake and the chain webhook come in as these. `context` is the edge's one
 * context factory for this request; `answered` sees each answer's status (for metrics).
 */
export type HttpRoute = {
  path: string;
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    edge: { requestId: string; context(authorization?: string): Promise<GraphQLContext> },
  ): Promise<void>;
  answered?(status: number, metrics: GatewayMetrics): void;
};

export type HttpServerOptions = {
  /** The composed GraphQL schema (graphql/schema.ts). */
  schema: GraphQLSchema;
  /** Routes besides /graphql, /healthz, /readyz, /metrics and the playground. */
  routes?: HttpRoute[];
  /** Gauges the domains register on /metrics (e.g. the reconciliation's drift). */
  gauges?: RegisterGauges[];
  db: Database;
  chain: ChainClients;
  jwtSecret: string;
  logger: Logger;
  production: boolean;
  wakeWorker(worker?: string): void;
  /** The in-process mint worker's state, shown in /readyz and /metrics; absent without one. */
  workerHealth?: () => WorkerHealth;
  /** Status changes from Postgres LISTEN, for subscriptions. */
  changes: ChangeFeed;
  now?: () => Date;
  siweDomain?: string;
  investorSessionSeconds?: number;
  /** The byte limit of a request body and of a WebSocket message (default 1 MB). */
  maxBodyBytes?: number;
  /** Schema introspection (config `GRAPHQL_INTROSPECTION`); default: on except in production. */
  introspection?: boolean;
  /** GraphiQL at GET /graphql and /playground/* (config `PLAYGROUND_ENABLED`); default: on except in production. */
  playground?: boolean;
  /**
   * /metrics answers only `Authorization: Bearer <metricsToken>` when set (config `METRICS_TOKEN`);
   * unset, it is open in development and closed (404) in production.
   */
  metricsToken?: string;
};

export type HttpServer = { server: Server; url: string; close(options?: { quietMs?: number; maxWaitMs?: number }): Promise<void> };

/** One JSON log line per GraphQL operation, carrying the request id the client also sees. */
function requestLogPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = performance.now();
      return {
        async willSendResponse(ctx) {
          logger.info(
            {
              requestId: contextValue.requestId,
              operation: ctx.operationName ?? "anonymous",
              errors: ctx.errors?.map((e) => e.extensions?.code ?? e.message),
              ms: Math.round(performance.now() - started),
            },
            "graphql request",
          );
        },
      };
    },
  };
}

/**
 * Every GraphQL answer says `cache-control: no-store`, as Apollo's cache-control plugin did:
 * the schema declares no cache hints, so that plugin could only ever answer no-store, yet it
 * hooked every resolved field (willResolveField) of every request, the largest per-field cost
 * of a catalogue page. It is disabled and this sets the same header once per response.
 */
const noStorePlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has("cache-control")) response.http.headers.set("cache-control", "no-store");
      },
    };
  },
};

/** A browser navigating to /graphql (not a GraphQL GET request) gets the playground. */
function wantsHtml(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  const search = new URL(req.url ?? "/", "http://localhost").searchParams;
  return accept.includes("text/html") && !search.has("query");
}

/** A graphql-ws refusal before execution, as a GraphQL error with its code (as Apollo labels its own). */
function requestError(error: GraphQLError | string, code: ErrorCode): GraphQLError {
  const e = typeof error === "string" ? new GraphQLError(error) : error;
  return new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { ...e.extensions, code } });
}

function createApollo(options: HttpServerOptions & { introspection: boolean }, metrics: GatewayMetrics, mask: MaskOptions) {
  return new ApolloServer<GraphQLContext>({
    // Executed by graphql-jit (edge/executor.ts); WebSocket operations below stay on graphql-js.
    gateway: compiledExecution(options.schema),
    // The shared rules close introspection when configured (over WebSocket too); Apollo's own switch would refuse it twice.
    introspection: true,
    validationRules: operationRules(options),
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: !options.production,
    // Apollo's own landing page loads from a CDN; we serve GraphiQL ourselves (./playground.ts).
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      noStorePlugin,
      metrics.apolloPlugin,
      requestLogPlugin(options.logger),
    ],
    formatError: (formatted, error) => maskError(formatted, error, mask),
  });
}

/**
 * Starts the gateway's HTTP server.
 * @example const http = await startHttpServer({ db, chain, jwtSecret, logger, production: false, wakeWorker }, { port: 4000 });
 */
export async function startHttpServer(options: HttpServerOptions, listen: { port: number; host?: string }): Promise<HttpServer> {
  const production = options.production;
  const introspection = options.introspection ?? !production;
  const playground = options.playground ?? !production;
  const mask: MaskOptions = { production, logger: options.logger };
  const metrics = createMetrics(options.db, options.chain, options.workerHealth, options.gauges);
  const { schema } = options;
  const routes = new Map((options.routes ?? []).map((r) => [r.path, r]));
  const apollo = createApollo({ ...options, introspection }, metrics, mask);
  await apollo.start();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  const contextFor = createContextFactory({
    db: options.db,
    chain: options.chain,
    jwtSecret: options.jwtSecret,
    now: options.now,
    wakeWorker: options.wakeWorker,
    siweDomain: options.siweDomain,
    investorSessionSeconds: options.investorSessionSeconds,
    changes: options.changes,
  });

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, requestId: string) {
    let body: unknown;
    if (req.method === "POST") {
      let raw: string;
      try {
        raw = (await readBody(req, maxBodyBytes)).toString("utf8");
      } catch (error) {
        if (!(error instanceof PayloadTooLargeError)) throw error;
        return sendJson(res, 413, { errors: [{ message: error.message, extensions: { code: error.code } }] });
      }
      const contentType = req.headers["content-type"] ?? "";
      if (contentType.includes("json")) {
        try {
          body = raw.length > 0 ? JSON.parse(raw) : undefined;
        } catch {
          return sendJson(res, 400, { errors: [{ message: "request body is not valid JSON", extensions: { code: "BAD_REQUEST" } }] });
        }
      } else {
        body = raw;
      }
    }
    // The token and nesting limits, before Apollo parses: graphql-js parses recursively (a deep
    // list literal overflows its stack) and an Apollo plugin that refuses at parsingDidStart answers 500.
    const search = new URL(req.url ?? "/", "http://localhost").search;
    const query = req.method === "POST" ? (body as { query?: unknown } | undefined)?.query : new URLSearchParams(search).get("query");
    const refused = typeof query === "string" ? sourceLimitExceeded(query) : undefined;
    if (refused) return sendJson(res, 400, { errors: [{ message: refused, extensions: { code: "GRAPHQL_PARSE_FAILED" } }] });
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "GET").toUpperCase(),
        headers,
        search,
        body,
      },
      context: () => contextFor({ authorization: req.headers.authorization }, requestId),
    });
    res.statusCode = result.status ?? 200;
    for (const [key, value] of result.headers) res.setHeader(key, value);
    if (result.body.kind === "complete") {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  async function handleReady(res: ServerResponse) {
    const check = async (fn: () => Promise<unknown>) => {
      try {
        await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000))]);
        return "ok";
      } catch (error) {
        return `unavailable: ${error instanceof Error ? error.message : String(error)}`;
      }
    };
    const [database, chain] = await Promise.all([
      check(() => pingDatabase(options.db)),
      check(() => options.chain.publicClient.getBlockNumber({ cacheTime: 0 })),
    ]);
    const ready = database === "ok" && chain === "ok" && !draining;
    // The worker's own view: a loop failing on the database or chain says why, without a probe of its own.
    const health = options.workerHealth?.();
    const worker = health ? (health.ok ? "ok" : `failing since ${health.failingSince?.toISOString()}: ${health.lastError}`) : undefined;
    sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : draining ? "draining" : "not ready", database, chain, worker });
  }

  // Draining: on close, readiness fails (a load balancer stops sending), responses ask
  // clients to reconnect elsewhere, and the server stops only once nothing is in flight.
  let draining = false;
  let inFlight = 0;
  let lastRequestAt = Date.now();

  // Production without METRICS_TOKEN: /metrics does not exist (404) rather than show the process to anyone.
  const metricsServed = Boolean(options.metricsToken) || !production;

  const server = createServer((req, res) => {
    inFlight++;
    lastRequestAt = Date.now();
    res.on("close", () => inFlight--);
    if (draining) res.setHeader("connection", "close");
    const requestId = (req.headers["x-request-id"] as string | undefined)?.slice(0, 100) ?? randomUUID();
    // Every answer names its request, whichever route or refusal it comes from.
    res.setHeader("x-request-id", requestId);
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const handle = async () => {
      if (path === "/graphql" && req.method === "GET" && playground && wantsHtml(req)) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        return res.end(playgroundHtml());
      }
      if (path === "/graphql") return handleGraphQL(req, res, requestId);
      const route = routes.get(path);
      if (route) {
        if (route.answered) res.once("finish", () => route.answered!(res.statusCode, metrics));
        return route.handle(req, res, { requestId, context: (authorization) => contextFor({ authorization }, requestId) });
      }
      if (playground && path.startsWith("/playground/") && servePlaygroundAsset(path.slice("/playground/".length), res)) return;
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") return handleReady(res);
      if (path === "/metrics" && metricsServed) {
        if (options.metricsToken && !bearerIs(req, options.metricsToken)) {
          return sendJson(
            res,
            401,
            { error: { code: "UNAUTHENTICATED", message: "/metrics needs Authorization: Bearer <METRICS_TOKEN>" } },
            { "www-authenticate": "Bearer" },
          );
        }
        const body = await metrics.registry.metrics();
        res.writeHead(200, { "content-type": metrics.registry.contentType });
        return res.end(body);
      }
      if (path === "/") {
        res.writeHead(302, { location: "/graphql" });
        return res.end();
      }
      sendJson(res, 404, { error: "not found" });
    };
    handle().catch((error) => sendError(res, error, { logger: options.logger, requestId }));
  });

  // Subscriptions (and any operation) over graphql-ws on the same port and path, within the
  // same limits as HTTP: a message is at most one body's bytes, the same source limits and
  // validation rules run before execution, and errors are masked as Apollo's formatError does.
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: maxBodyBytes });
  const rules = [...specifiedRules, ...operationRules({ introspection })];
  const ws = useServer<{ authorization?: unknown }>(
    {
      schema,
      isProd: production,
      async onSubscribe(ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> {
        const refused = sourceLimitExceeded(payload.query);
        if (refused) return [requestError(refused, "GRAPHQL_PARSE_FAILED")];
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          if (error instanceof GraphQLError) return [requestError(error, "GRAPHQL_PARSE_FAILED")];
          throw error;
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0) return errors.map((e) => requestError(e, "GRAPHQL_VALIDATION_FAILED"));
        const authorization = ctx.connectionParams?.authorization;
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          // Anything but a string is no header a client could send: refused as an invalid one.
          contextValue: await contextFor({ authorization: authorization == null ? undefined : String(authorization) }),
        };
      },
      // Execution errors: a field's untyped failure is internal; one without a path is the client's variables.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors && {
          ...result,
          errors: result.errors.map((e) =>
            formatWsError(e, e.path ? (isUntypedFailure(e) ? "INTERNAL_SERVER_ERROR" : undefined) : "BAD_USER_INPUT", mask),
          ),
        },
      // Refusals from onSubscribe carry their code; anything else here is a subscription source failing.
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatWsError(e, "INTERNAL_SERVER_ERROR", mask)),
    },
    wss,
  );

  await new Promise<void>((resolve) => server.listen(listen.port, listen.host ?? "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    /**
     * Drains, then stops: waits until no request is in flight and none has arrived for
     * `quietMs` (requests already sent by clients keep arriving for a moment), at most `maxWaitMs`.
     */
    async close({ quietMs = 500, maxWaitMs = 15_000 }: { quietMs?: number; maxWaitMs?: number } = {}) {
      draining = true;
      const giveUpAt = Date.now() + maxWaitMs;
      // Several quiet checks in a row, each after an I/O phase: after a stalled event loop the
      // timer fires before pending connections are read, so one quiet observation is not enough.
      let quietChecks = 0;
      while (Date.now() < giveUpAt && quietChecks < 4) {
        await new Promise((r) => setTimeout(r, 25));
        await new Promise((r) => setImmediate(r));
        quietChecks = inFlight === 0 && Date.now() - lastRequestAt >= quietMs ? quietChecks + 1 : 0;
      }
      metrics.dispose();
      await ws.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await apollo.stop();
    },
  };
}

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
function bearerIs(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.headers.authorization?.trim() ?? "")?.[1] ?? "");
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
