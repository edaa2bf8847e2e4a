/**
 * Assembles a running gateway from its parts: database, chain, worker and HTTP server.
 * `main.ts` (npm start) and the tests both use it, so tests exercise what runs in production.
 */
import pino, { type Logger } from "pino";
import type { Database } from "./db/index.js";
import type { ChainClients } from "./chain/client.js";
import { startMintWorker, type MintWorker } from "./minting/worker.js";
import { startHttpServer, type HttpServer } from "./http/server.js";
import { startIndexer, type Indexer } from "./indexer/runner.js";

export type GatewayOptions = {
  db: Database;
  chain: ChainClients;
  jwtSecret: string;
  port: number;
  host?: string;
  production?: boolean;
  mintConfirmations?: number;
  workerEnabled?: boolean;
  /** HMAC secret of POST /webhooks/chain (config `WEBHOOK_SECRET`); without it the route answers 404. */
  webhookSecret?: string;
  /** Blocks before an event is final (config `FINALITY_DEPTH`, default 2). */
  finalityDepth?: number;
  /** The built-in poller and the periodic reconciliation (config `INDEXER_*`, `RECONCILE_INTERVAL_SECONDS`). */
  indexer?: { pollerEnabled?: boolean; pollIntervalMs?: number; blockRange?: number; reconcileIntervalSeconds?: number };
  logger?: Logger;
  now?: () => Date;
};

export type Gateway = { url: string; http: HttpServer; worker?: MintWorker; indexer: Indexer; close(): Promise<void> };

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? pino({ level: "info" });
  const worker =
    options.workerEnabled === false
      ? undefined
      : startMintWorker({
          db: options.db,
          chain: options.chain,
          logger,
          confirmations: options.mintConfirmations ?? 1,
          now: options.now,
        });
  const indexer = await startIndexer({
    db: options.db,
    chain: options.chain,
    logger,
    finalityDepth: options.finalityDepth ?? 2,
    ...options.indexer,
  });
  const http = await startHttpServer(
    {
      db: options.db,
      chain: options.chain,
      jwtSecret: options.jwtSecret,
      logger,
      production: options.production ?? false,
      wakeWorker: () => worker?.wake(),
      now: options.now,
      webhook: options.webhookSecret ? { secret: options.webhookSecret, onStored: () => indexer.wake() } : undefined,
    },
    { port: options.port, host: options.host },
  );
  return {
    url: http.url,
    http,
    worker,
    indexer,
    async close() {
      await http.close();
      await indexer.stop();
      await worker?.stop();
    },
  };
}
