/**
 * Assembles a running gateway from its parts: database, chain, worker and HTTP server.
 * `main.ts` (npm start) and the tests both use it, so tests exercise what runs in production.
 */
import pino, { type Logger } from "pino";
import type { Database, Listen } from "./db/index.js";
import { createChangeFeed } from "./notifications/change-feed.js";
import { attachNonceStore, type ChainClients } from "./chain/client.js";
import { startMintWorker, type MintWorker, type MintWorkerOptions } from "./minting/worker.js";
import { startHttpServer, type HttpRoute, type HttpServer } from "./http/server.js";
import { schema } from "./graphql/schema.js";
import { handleOpenLineageRequest } from "./provenance/openlineage.js";
import { handleChainWebhook } from "./indexer/webhooks.js";
import { handleRevenueWebhook } from "./distribution/webhook.js";
import { reconciliationGauges } from "./indexer/metrics.js";
import { startWhitelistSweeper } from "./investors/whitelist-sync.js";
import { startIndexer, type Indexer } from "./indexer/runner.js";
import { confirmMintsFromEvents } from "./minting/chain-events.js";
import { WRITE_OWNERS } from "./write-owners.js";
import { startSettlementWorker, type SettlementWorker } from "./settlement/worker.js";
import { startDistributionWorker, type DistributionWorker } from "./distribution/worker.js";
import { DEFAULTS } from "./config.js";

export type GatewayOptions = {
  db: Database;
  /** LISTEN on the same database (DatabaseHandle.listen), for subscriptions. */
  listen: Listen;
  chain: ChainClients;
  jwtSecret: string;
  port: number;
  host?: string;
  production?: boolean;
  mintConfirmations?: number;
  workerEnabled?: boolean;
  mintWorker?: Pick<
    MintWorkerOptions,
    "batchSize" | "pipelineDepth" | "stuckAfterMs" | "leaseSeconds" | "pollIntervalMs" | "receiptPollMs"
  >;
  /** HMAC secret of POST /webhooks/chain (config `WEBHOOK_SECRET`); without it the route answers 404. */
  webhookSecret?: string;
  /** Blocks before an event is final (config `FINALITY_DEPTH`, default 2). */
  finalityDepth?: number;
  /** The built-in poller and the periodic reconciliation (config `INDEXER_*`, `RECONCILE_INTERVAL_SECONDS`). */
  indexer?: { pollerEnabled?: boolean; pollIntervalMs?: number; blockRange?: number; reconcileIntervalSeconds?: number };
  logger?: Logger;
  now?: () => Date;
  /** The domain wallets sign Sign-In with Ethereum messages for (default "localhost"). */
  siweDomain?: string;
  /** How long an investor's session token is valid (config INVESTOR_SESSION_SECONDS, default 900). */
  investorSessionSeconds?: number;
  /** How often expired KYC is swept off token whitelists (default 60 s). */
  kycSweepIntervalMs?: number;
  /** Config `GRAPHQL_INTROSPECTION`, `PLAYGROUND_ENABLED`, `METRICS_TOKEN` (defaults: see HttpServerOptions). */
  introspection?: boolean;
  playground?: boolean;
  metricsToken?: string;
};

export type Gateway = { url: string; http: HttpServer; worker?: MintWorker; indexer: Indexer; close(): Promise<void> };

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const logger = options.logger ?? pino({ level: "info" });
  // Every signer transaction of this process takes its nonce under the database lock.
  attachNonceStore(options.chain, options.db, logger);
  const worker =
    options.workerEnabled === false
      ? undefined
      : // No LISTEN here: requestMint in this process wakes it directly (wakeWorker below).
        startMintWorker({
          db: options.db,
          chain: options.chain,
          logger,
          confirmations: options.mintConfirmations ?? DEFAULTS.mintConfirmations,
          now: options.now,
          writeOwners: WRITE_OWNERS,
          ...options.mintWorker,
        });
  // Subscriptions and redemptions settled by DvP: the same switch and settings as the mint worker,
  // and no LISTEN either (the services in this process wake it through wakeWorker).
  const settlementWorker: SettlementWorker | undefined =
    options.workerEnabled === false
      ? undefined
      : startSettlementWorker({
          db: options.db,
          chain: options.chain,
          logger,
          confirmations: options.mintConfirmations ?? DEFAULTS.mintConfirmations,
          now: options.now,
          batchSize: options.mintWorker?.batchSize,
          stuckAfterMs: options.mintWorker?.stuckAfterMs,
          receiptPollMs: options.mintWorker?.receiptPollMs,
          pollIntervalMs: options.mintWorker?.pollIntervalMs,
        });
  // Revenue distributions paid from the treasury: the same switch and settings again (no LISTEN).
  const distributionWorker: DistributionWorker | undefined =
    options.workerEnabled === false
      ? undefined
      : startDistributionWorker({
          db: options.db,
          chain: options.chain,
          logger,
          confirmations: options.mintConfirmations ?? DEFAULTS.mintConfirmations,
          stuckAfterMs: options.mintWorker?.stuckAfterMs,
          receiptPollMs: options.mintWorker?.receiptPollMs,
          pollIntervalMs: options.mintWorker?.pollIntervalMs,
        });
  const changes = createChangeFeed(options.listen);
  // Expired KYC removes the wallet from the whitelists, on chain too (revocations do it at once).
  const sweeper = startWhitelistSweeper({
    db: options.db,
    chain: options.chain,
    now: options.now,
    intervalMs: options.kycSweepIntervalMs ?? DEFAULTS.kycSweepIntervalMs,
    logger,
  });
  const indexer = await startIndexer({
    db: options.db,
    chain: options.chain,
    logger,
    finalityDepth: options.finalityDepth ?? DEFAULTS.finalityDepth,
    onFinalEvents: [confirmMintsFromEvents],
    ...options.indexer,
  });
  const routes: HttpRoute[] = [
    {
      path: "/lineage/openlineage",
      handle: (req, res, edge) =>
        handleOpenLineageRequest(req, res, { context: () => edge.context(req.headers.authorization), maxBodyBytes: DEFAULTS.maxBodyBytes }),
    },
  ];
  const webhookSecret = options.webhookSecret;
  // Without a secret the route is not mounted (404): an unsigned intake would accept anything.
  if (webhookSecret) {
    routes.push({
      path: "/webhooks/chain",
      // Signed by HMAC, not a bearer token: the context carries no caller.
      handle: async (req, res, edge) =>
        handleChainWebhook(req, res, {
          ctx: await edge.context(undefined),
          secret: webhookSecret,
          maxBodyBytes: DEFAULTS.webhookMaxBodyBytes,
          onStored: () => indexer.wake(),
        }),
      answered: (status, metrics) => metrics.webhookAnswered(status),
    });
    routes.push({
      path: "/webhooks/revenue",
      // The data exchange's revenue intake, signed the same way.
      handle: async (req, res, edge) =>
        handleRevenueWebhook(req, res, { ctx: await edge.context(undefined), secret: webhookSecret, maxBodyBytes: DEFAULTS.maxBodyBytes }),
      answered: (status, metrics) => metrics.webhookAnswered(status),
    });
  }
  const http = await startHttpServer(
    {
      schema,
      routes,
      gauges: [reconciliationGauges(options.db, options.chain)],
      db: options.db,
      chain: options.chain,
      jwtSecret: options.jwtSecret,
      logger,
      production: options.production ?? false,
      // Only the worker whose work was enqueued: waking all of them cost each mint the other workers' empty rounds.
      wakeWorker: (which?: string) => {
        if (!which || which === "mint") worker?.wake();
        if (!which || which === "settlement") settlementWorker?.wake();
        if (!which || which === "distribution") distributionWorker?.wake();
      },
      workerHealth: worker ? () => worker.health() : undefined,
      changes,
      now: options.now,
      siweDomain: options.siweDomain,
      investorSessionSeconds: options.investorSessionSeconds,
      introspection: options.introspection,
      playground: options.playground,
      metricsToken: options.metricsToken,
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
      await sweeper.stop();
      await indexer.stop();
      await worker?.stop();
      await settlementWorker?.stop();
      await distributionWorker?.stop();
      await changes.close();
    },
  };
}
