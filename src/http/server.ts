/**
 * One HTTP server: /graphql (Apollo, through its executeHTTPGraphQLRequest integration API),
 * /healthz (process is up) and /readyz (database and chain answer).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { ApolloServer, HeaderMap } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import type { Logger } from "pino";
import { schema } from "../graphql/schema.js";
import type { GraphQLContext } from "../graphql/builder.js";
import { BaseError } from "../errors.js";
import { authenticate } from "../auth/jwt.js";
import { pingDatabase, type Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import { handleOpenLineageRequest } from "../provenance/openlineage.js";

export type HttpServerOptions = {
  db: Database;
  chain: ChainClients;
  jwtSecret: string;
  logger: Logger;
  production: boolean;
  wakeWorker(): void;
  now?: () => Date;
  maxBodyBytes?: number;
};

export type HttpServer = { server: Server; url: string; close(): Promise<void> };

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

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function createApollo(options: HttpServerOptions) {
  return new ApolloServer<GraphQLContext>({
    schema,
    introspection: true,
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
  const apollo = createApollo(options);
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
        requestId,
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
    const ready = database === "ok" && chain === "ok";
    sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", database, chain });
  }

  const server = createServer((req, res) => {
    const requestId = (req.headers["x-request-id"] as string | undefined)?.slice(0, 100) ?? randomUUID();
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const handle = async () => {
      if (path === "/graphql") return handleGraphQL(req, res, requestId);
      if (path === "/lineage/openlineage") return handleOpenLineageRequest(req, res, { ...options, maxBodyBytes });
      if (path === "/healthz") return sendJson(res, 200, { status: "ok" });
      if (path === "/readyz") return handleReady(res);
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

  await new Promise<void>((resolve) => server.listen(listen.port, listen.host ?? "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await apollo.stop();
    },
  };
}
