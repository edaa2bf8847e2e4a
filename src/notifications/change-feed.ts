/**
 * Fans Postgres notifications out to GraphQL subscriptions. Each process LISTENs once per
 * channel (the triggers in migrations/*_status_notifications announce every status change,
 * whichever process made it) and hands each event to the subscribers waiting for that id.
 * Shared infrastructure: it knows channels and ids, not domains; each domain declares its own
 * subscription field over `statusStream` (minting/graphql.ts, assets/graphql.ts).
 */
import type { Listen } from "../db/index.js";

export type StatusChange = { id: string; status: string };
/**
 * `workReady` is not a status feed: its payload is the name of the worker that has new work
 * ("settlement" | "distribution"), announced by the triggers of migrations/*_worker_wake_notify.
 */
export const CHANNELS = { mintStatus: "mint_status_changed", assetStatus: "asset_status_changed", workReady: "work_ready" } as const;

type Subscriber = (change: StatusChange) => void;

export type ChangeFeed = {
  /** Events for one entity id on one channel, as an async iterator a subscription can return. */
  subscribe(channel: string, id: string): AsyncIterableIterator<StatusChange> & { ready: Promise<unknown> };
  close(): Promise<void>;
};

export function createChangeFeed(listen: Listen): ChangeFeed {
  const subscribers = new Map<string, Set<Subscriber>>(); // key: channel + id
  const listening = new Map<string, Promise<() => Promise<void>>>();

  const ensureListening = (channel: string) => {
    if (!listening.has(channel)) {
      listening.set(
        channel,
        listen(channel, (payload) => {
          let change: StatusChange;
          try {
            change = JSON.parse(payload);
          } catch {
            return;
          }
          for (const deliver of subscribers.get(`${channel}:${change.id}`) ?? []) deliver(change);
        }),
      );
    }
    return listening.get(channel)!;
  };

  return {
    subscribe(channel, id) {
      const key = `${channel}:${id}`;
      const queue: StatusChange[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const deliver: Subscriber = (change) => {
        queue.push(change);
        wake?.();
      };
      const set = subscribers.get(key) ?? new Set();
      set.add(deliver);
      subscribers.set(key, set);
      const ready = ensureListening(channel);
      const finish = () => {
        done = true;
        set.delete(deliver);
        if (set.size === 0) subscribers.delete(key);
        wake?.();
      };
      const iterator: AsyncIterableIterator<StatusChange> & { ready: Promise<unknown> } = {
        ready,
        [Symbol.asyncIterator]() {
          return iterator;
        },
        async next() {
          await ready;
          while (queue.length === 0 && !done) await new Promise<void>((resolve) => (wake = resolve));
          if (queue.length > 0) return { value: queue.shift()!, done: false };
          return { value: undefined, done: true };
        },
        async return() {
          finish();
          return { value: undefined, done: true };
        },
      };
      return iterator;
    },
    async close() {
      for (const unlisten of listening.values()) await (await unlisten)();
      listening.clear();
    },
  };
}

/**
 * The entity's current state, then its state after each status change. Listening starts
 * before the first read, so a change made in between is not missed.
 * @example subscribe: (_root, args, ctx) => statusStream(ctx.changes, CHANNELS.assetStatus, args.assetId, () => getDataAsset(ctx, args.assetId)),
 */
export async function* statusStream<T extends { status: string }>(
  feed: ChangeFeed,
  channel: string,
  id: string,
  load: () => Promise<T>,
): AsyncGenerator<T> {
  const changes = feed.subscribe(channel, id);
  try {
    await changes.ready;
    let current = await load(); // also checks the caller may see it
    yield current;
    for await (const change of changes) {
      if (change.status === current.status) continue;
      current = await load();
      yield current;
    }
  } finally {
    await changes.return?.();
  }
}
