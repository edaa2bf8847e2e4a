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
import { startLoop } from "../queue/loop.js";
import { DEFAULTS } from "../config.js";

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
        const result = await pollOnce(deps, { blockRange: options.blockRange ?? DEFAULTS.indexerBlockRange });
        if (result.scannedTo === undefined || result.scannedTo >= result.head) break;
      }
    }
  }

  // Rounds and reconciliations run on the shared loop: woken by each stored delivery, on every
  // tick as a safety net, backing off while the database or chain keeps failing them.
  const rounds = startLoop({
    name: "indexer round",
    logger: log,
    intervalMs: options.pollIntervalMs ?? DEFAULTS.indexerPollIntervalMs,
    run: round,
  });
  const reconciliations =
    options.reconcileIntervalSeconds && options.reconcileIntervalSeconds > 0
      ? startLoop({
          name: "scheduled reconciliation",
          logger: log,
          intervalMs: options.reconcileIntervalSeconds * 1000,
          runAtStart: false,
          run: async () => {
            await reconcile(deps, "SCHEDULED");
          },
        })
      : undefined;

  return {
    wake: () => void rounds.wake(),
    async runOnce() {
      await rounds.wake();
      // A round that was already running may have started before the caller's change: run one more.
      await rounds.wake();
    },
    async stop() {
      stopped = true;
      await Promise.all([rounds.stop(), reconciliations?.stop()]);
    },
  };
}
