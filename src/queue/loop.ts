/**
 * The one background loop every worker of the gateway runs on: the mint worker, the indexer,
 * the sweep of open chain writes and the scheduled reconciliation. It runs `run` at start,
 * every `intervalMs` and on `wake()`; wakes while a run is going coalesce into one more run;
 * a failing run is logged with its cause and the interval backs off (250 ms doubling, at most
 * `maxBackoffMs`) instead of stopping, while a wake still runs at once; `health()` says what
 * it last met. `stop()` waits
 * for the run in progress.
 */
import type { Logger } from "pino";
import type { Listen } from "../db/index.js";

export type LoopHealth = { ok: boolean; lastError?: string; failingSince?: Date };

export type Loop = {
  /** Runs soon (or once more after the run in progress); resolves when that run is done. */
  wake(): Promise<void>;
  health(): LoopHealth;
  stop(): Promise<void>;
};

export type LoopOptions = {
  /** Named in the logs. */
  name: string;
  logger: Logger;
  run: () => Promise<void>;
  /** How often it runs when not woken; 0 or less: only when woken. */
  intervalMs: number;
  /** The longest pause after failures in a row. */
  maxBackoffMs?: number;
  /** Run once at start (default true). */
  runAtStart?: boolean;
};

/**
 * Starts a loop.
 * @example const loop = startLoop({ name: "indexer", logger, intervalMs: 1000, run: round }); loop.wake();
 */
export function startLoop(options: LoopOptions): Loop {
  const health: LoopHealth = { ok: true };
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;
  let pausedUntil = 0;

  function kick(woken: boolean): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    // While the runs keep failing, the interval waits out the backoff; a wake (new work, an
    // explicit round) is a reason to try now.
    if (!woken && Date.now() < pausedUntil) return Promise.resolve();
    running = options
      .run()
      .then(() => {
        if (!health.ok) options.logger.info({ loop: options.name, after: health.lastError }, `${options.name} recovered`);
        failures = 0;
        Object.assign(health, { ok: true, lastError: undefined, failingSince: undefined });
      })
      .catch((error) => {
        failures++;
        const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
        const delayMs = Math.min(options.maxBackoffMs ?? 10_000, 250 * 2 ** Math.min(failures, 6));
        pausedUntil = Date.now() + delayMs;
        if (health.ok) health.failingSince = new Date();
        Object.assign(health, { ok: false, lastError: message });
        options.logger.error({ loop: options.name, err: message, failures, delayMs }, `${options.name} failed; retrying with backoff`);
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void kick(true);
        }
      });
    return running;
  }

  const timer = options.intervalMs > 0 ? setInterval(() => void kick(false), options.intervalMs) : undefined;
  timer?.unref();
  if (options.runAtStart ?? true) void kick(true);

  return {
    wake: () => kick(true),
    health: () => ({ ...health }),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}

/**
 * A loop that also wakes on the notifications of `wakeOn.channel` whose payload matches (see
 * `wakeOnNotify`); `stop()` stops listening, then the loop.
 * @example const loop = startListeningLoop({ name: "settlement worker", logger, intervalMs: 500, run, listen, wakeOn: { channel: CHANNELS.workReady, matches: (p) => p === "settlement" } });
 */
export function startListeningLoop(
  options: LoopOptions & { listen?: Listen; wakeOn: { channel: string; matches: (payload: string) => boolean } },
): Loop {
  const loop = startLoop(options);
  const unlisten = wakeOnNotify(options.listen, options.wakeOn.channel, options.wakeOn.matches, () => void loop.wake(), options.logger);
  return {
    wake: loop.wake,
    health: loop.health,
    async stop() {
      await unlisten();
      await loop.stop();
    },
  };
}

/**
 * Wakes a worker on the notifications of `channel` whose payload `matches`, whichever process
 * wrote the work (the triggers announce it). Without `listen`, or if LISTEN fails (logged as a
 * warning), the worker finds its work by polling only. Returns what stops listening.
 * @example const unlisten = wakeOnNotify(listen, CHANNELS.workReady, (p) => p === "settlement", () => void loop.wake(), log);
 */
export function wakeOnNotify(
  listen: Listen | undefined,
  channel: string,
  matches: (payload: string) => boolean,
  wake: () => void,
  logger: Logger,
): () => Promise<void> {
  const listening = listen?.(channel, (payload) => {
    if (matches(payload)) wake();
  });
  listening?.catch((error) => logger.warn({ err: (error as Error).message, channel }, "LISTEN failed; finding work by polling only"));
  return async () => {
    await listening?.then((stop) => stop()).catch(() => {});
  };
}
