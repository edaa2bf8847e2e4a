/**
 * Assembles a running gateway from its parts: database, chain, worker and HTTP server.
 * `main.ts` (npm start) and the tests both use it, so tests exercise what runs in production.
 */
import pino, { type Logger } from "pino";
import type { Database } from "./db/index.js";
import { attachNonceStore, type ChainClients } from "./chain/client.js";
import { startMintWorker, type MintWorker, type MintWorkerOptions } from "./minting/worker.js";
import { startHttpServer, type HttpServer } from "./http/server.js";

export type GatewayOptions = {
  db: Database;
  chain: ChainClients;
  jwtSecret: string;
  port: number;
  host?: string;
  production?: boolean;
  mintConfirmations?: number;
  workerEnabled?: boolean;
  mintWorker?: Pick<MintWorkerOptions, "batchSize" | "stuckAfterMs" | "leaseSeconds">;
  logger?: Logger;
  now?: () => Date;
};

export type Gateway = { url: string; http: HttpServer; worker?: MintWorker; close(): Promise<void> };

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? pino({ level: "info" });
  // Every signer transaction of this process takes its nonce under the database lock.
  attachNonceStore(options.chain, options.db);
  const worker =
    options.workerEnabled === false
      ? undefined
      : startMintWorker({
          db: options.db,
          chain: options.chain,
          logger,
          confirmations: options.mintConfirmations ?? 1,
          now: options.now,
          ...options.mintWorker,
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
    },
    { port: options.port, host: options.host },
  );
  return {
    url: http.url,
    http,
    worker,
    async close() {
      await http.close();
      await worker?.stop();
    },
  };
}
