/**
 * One HTTP server: /graphql (Apollo, through its executeHTTPGraphQLRequest integration API),
 * /healthz (process is up) and /readyz (database and chain answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import { playgroundHtml, servePlaygroundAsset } from "./playground.js";
import { createMetrics, type GatewayMetrics } from "./metrics.js";
import { WebSocketServer } from "ws";
import { useServer } from "graphql-ws/use/ws";
import type { ChangeFeed } from "../notifications/change-feed.js";
import type { Logger } from "pino";
import { schema } from "../graphql/schema.js";
import type { GraphQLContext } from "../graphql/builder.js";
import { BaseError } from "../errors.js";
import { authenticate } from "../auth/jwt.js";
import { pingDatabase, type Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import type { MintWorkerHealth } from "../minting/worker.js";
import { handleOpenLineageRequest } from "../provenance/openlineage.js";
import { handleChainWebhook } from "../indexer/webhooks.js";

export type HttpServerOptions = {
  db: Database;
  chain: ChainClients;
  jwtSecret: string;
  logger: Logger;
  production: boolean;
  wakeWorker(): void;
  /** The in-process mint worker's state, shown in /readyz and /metrics; absent without one. */
  workerHealth?: () => MintWorkerHealth;
  /** Status changes from Postgres LISTEN, for subscriptions. */
  changes: ChangeFeed;
  now?: () => Date;
  siweDomain?: string;
  maxBodyBytes?: number;
  /** POST /webhooks/chain: the HMAC secret, and what to nudge once a delivery is stored. */
  webhook?: { secret: string; onStored?: () => void };
};

export type HttpServer = { server: Server; url: string; close(options?: { quietMs?: number; maxWaitMs?: number }): Promise<void> };

class BodyTooLargeError extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

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

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * Limits on what one operation may ask for, checked before execution. Depth 20 leaves room
 * for GraphiQL's introspection query (about 14 deep); page sizes are capped by each list field.
 */
export const QUERY_LIMITS = {
  maxDepth: 20,
  maxAliases: 30,
  maxTokens: 5000,
  maxDirectives: 50,
  maxCost: 20_000,
} as const;

function createApollo(options: HttpServerOptions, metrics: GatewayMetrics) {
  const armor = new ApolloArmor({
    // Introspection and __typename count too: a 50-deep `ofType` chain or 1,000 aliased
    // __typename fields are as costly as any other.
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: false },
    maxAliases: { n: QUERY_LIMITS.maxAliases, allowList: [] },
    maxTokens: { n: QUERY_LIMITS.maxTokens },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    costLimit: { maxCost: QUERY_LIMITS.maxCost, ignoreIntrospection: true },
    // Field suggestions help developers but map the schema for attackers: off in production.
    blockFieldSuggestion: { enabled: options.production },
  });
  const protection = armor.protect();
  return new ApolloServer<GraphQLContext>({
    schema,
    introspection: true,
    validationRules: protection.validationRules,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: !options.production,
    // Apollo's own landing page loads from a CDN; we serve GraphiQL ourselves (./playground.ts).
    // graphql-armor types its plugins against Apollo's CJS declarations; the runtime objects are the same.
    plugins: [
      ...(protection.plugins as unknown as ApolloServerPlugin<GraphQLContext>[]),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      noStorePlugin,
      metrics.apolloPlugin,
      requestLogPlugin(options.logger),
    ],
    formatError: (formatted, error) => {
      const original = unwrapResolverError(error);
      // Domain errors that escape a result union still carry their stable code.
      if (original instanceof BaseError) {
        return { message: original.message, path: formatted.path, extensions: { code: original.code } };
      }
      if (formatted.extensions?.code === "INTERNAL_SERVER_ERROR") {
        options.logger.error({ err: original }, "unhandled error in resolver");
        if (options.production) return { message: "Internal server error", path: formatted.path, extensions: { code: "INTERNAL_SERVER_ERROR" } };
      }
      return formatted;
    },
  });
}

/**
 * Starts the gateway's HTTP server.
 * @example const http = await startHttpServer({ db, chain, jwtSecret, logger, production: false, wakeWorker }, { port: 4000 });
 */
export async function startHttpServer(
  options: HttpServerOptions,
  listen: { port: number; host?: string },
): Promise<HttpServer> {
  const metrics = createMetrics(options.db, options.chain, options.workerHealth);
  const apollo = createApollo(options, metrics);
  await apollo.start();
  const maxBodyBytes = options.maxBodyBytes ?? 1_000_000;

  async function handleGraphQL(req: IncomingMessage, res: ServerResponse, requestId: string) {
    let body: unknown;
    if (req.method === "POST") {
      let raw: string;
      try {
        raw = await readBody(req, maxBodyBytes);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          // The rest of the body is never read: close the connection so it is not reused mid-body.
          res.setHeader("connection", "close");
          return sendJson(res, 413, { errors: [{ message: `request body exceeds ${maxBodyBytes} bytes`, extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
        }
        throw error;
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
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "GET").toUpperCase(),
        headers,
        search: new URL(req.url ?? "/", "http://localhost").search,
        body,
      },
      context: async () => ({
        db: options.db,
        chain: options.chain,
        auth: await authenticate(options.jwtSecret, req.headers.authorization),
        now: options.now ?? (() => new Date()),
        wakeWorker: options.wakeWorker,
        siweDomain: options.siweDomain,
        requestId,
        changes: options.changes,
      }),
    });
    res.statusCode = result.status ?? 200;
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.setHeader("x-request-id", requestId);
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

  const server = createServer((req, res) => {
    inFlight++;
    lastRequestAt = Date.now();
    res.on("close", () => inFlight--);
    if (draining) res.setHeader("connection", "close");
    const requestId = (req.headers["x-request-id"] as string | undefined)?.slice(0, 100) ?? randomUUID();
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const handle = async () => {
      if (path === "/graphql" && req.method === "GET" && wantsHtml(req)) {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        return res.end(playgroundHtml());
      }
      if (path === "/graphql") return handleGraphQL(req, res, requestId);
      if (path === "/lineage/openlineage") return handleOpenLineageRequest(req, res, { ...options, maxBodyBytes });
      if (path.startsWith("/playground/") && servePlaygroundAsset(path.slice("/playground/".length), res)) return;
      if (path === "/webhooks/chain" && options.webhook) {
        res.once("finish", () => metrics.webhookAnswered(res.statusCode));
        // Reads the raw bytes itself: the signature covers them, not a re-serialized JSON.
        return handleChainWebhook(req, res, { db: options.db, secret: options.webhook.secret, now: options.now, onStored: options.webhook.onStored });
      }
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") return handleReady(res);
      if (path === "/metrics") {
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
    handle().catch((error) => {
      options.logger.error({ err: error, requestId }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR", requestId } }] });
      else res.end();
    });
  });

  // Subscriptions: graphql-ws on the same port and path. The token comes in connectionParams.
  const wss = new WebSocketServer({ server, path: "/graphql" });
  const ws = useServer<{ authorization?: string }>(
    {
      schema,
      context: async (ctx) => ({
        db: options.db,
        chain: options.chain,
        auth: await authenticate(options.jwtSecret, ctx.connectionParams?.authorization),
        now: options.now ?? (() => new Date()),
        wakeWorker: options.wakeWorker,
        requestId: randomUUID(),
        changes: options.changes,
      }),
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
