/**
 * The indexer inside a gateway process: applies the webhook inbox (woken by each stored
 * delivery, and on every tick as a safety net), runs the poller when enabled, and the
 * periodic reconciliation. `stop()` waits for the round in progress.
 */
import type { Logger } from "pino";
import type { Database } from "../db/index.js";
import type { ChainClients } from "../chain/client.js";
import { announceIndexer, applyPendingDeliveries, pruneDeliveries, type FinalEventsHandler, type IndexerDeps } from "./service.js";
import { pollOnce } from "./poller.js";
import { reconcile } from "./reconcile.js";

/** Applied webhook deliveries (and so their replay keys) are kept a day. */
const DELIVERY_RETENTION_SECONDS = 24 * 3600;

export type IndexerOptions = {
  db: Database;
  chain: ChainClients;
  logger: Logger;
  finalityDepth: number;
  /** Run the built-in poller (default true). */
  pollerEnabled?: boolean;
  pollIntervalMs?: number;
  blockRange?: number;
  /** Seconds between reconciliations; 0 or undefined: none. */
  reconcileIntervalSeconds?: number;
  /** The domains that settle their transactions from final events (the gateway passes minting's). */
  onFinalEvents?: readonly FinalEventsHandler[];
};

export type Indexer = {
  /** Applies the inbox soon (called after a webhook delivery is stored). */
  wake(): void;
  /** Runs one full round now (inbox, then poller) and resolves when it is done. */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Starts the indexer loop.
 * @example const indexer = await startIndexer({ db, chain, logger, finalityDepth: 2 });
 */
export async function startIndexer(options: IndexerOptions): Promise<Indexer> {
  const log = options.logger.child({ component: "indexer" });
  const deps: IndexerDeps = {
    db: options.db,
    chain: options.chain,
    finalityDepth: options.finalityDepth,
    logger: log,
    onFinalEvents: options.onFinalEvents,
  };
  await announceIndexer(options.db, options.chain.chainId, options.finalityDepth);
  const pollerEnabled = options.pollerEnabled ?? true;
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let lastPrune = 0;

  async function round() {
    while ((await applyPendingDeliveries(deps)) > 0 && !stopped);
    if (Date.now() - lastPrune > 60_000) {
      lastPrune = Date.now();
      await pruneDeliveries(options.db, DELIVERY_RETENTION_SECONDS);
    }
    if (pollerEnabled && !stopped) {
      // Catch up in bounded ranges until the head is reached.
      for (let i = 0; i < 100 && !stopped; i++) {
        const result = await pollOnce(deps, { blockRange: options.blockRange ?? 1000 });
        if (result.scannedTo === undefined || result.scannedTo >= result.head) break;
      }
    }
  }

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = round()
      .catch((error) => log.warn({ err: error instanceof Error ? error.message : String(error) }, "indexer round failed; will retry"))
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void kick();
        }
      });
    return running;
  }

  const timer = setInterval(() => void kick(), options.pollIntervalMs ?? 1000);
  timer.unref();
  let reconciling: Promise<unknown> | undefined;
  const reconcileTimer =
    options.reconcileIntervalSeconds && options.reconcileIntervalSeconds > 0
      ? setInterval(() => {
          if (reconciling || stopped) return;
          reconciling = reconcile(deps, "SCHEDULED")
            .catch((error) => log.warn({ err: String(error) }, "scheduled reconciliation failed"))
            .finally(() => (reconciling = undefined));
        }, options.reconcileIntervalSeconds * 1000)
      : undefined;
  reconcileTimer?.unref();
  void kick();

  return {
    wake: () => void kick(),
    async runOnce() {
      await kick();
      // A round that was already running may have started before the caller's change: run one more.
      await kick();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (reconcileTimer) clearInterval(reconcileTimer);
      await running;
      await reconciling;
    },
  };
}
