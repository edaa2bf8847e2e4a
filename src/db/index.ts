/**
 * Opens the database: embedded PGlite by default, PostgreSQL (postgres.js) when a URL
 * is given. Everything above this module sees one type, `Database`, and runs the same code.
 */
import { mkdirSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PgAsyncDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import * as schema from "./schema.js";

/** The shared database type for both drivers (a union of driver types breaks typing). */
export type Database = PgAsyncDatabase<PgQueryResultHKT>;
/** A transaction handle: the same query API as `Database`. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];
export { schema };

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../migrations");

/** Subscribes to a Postgres NOTIFY channel; resolves to an unsubscribe function. */
export type Listen = (channel: string, onPayload: (payload: string) => void) => Promise<() => Promise<void>>;

export type DatabaseHandle = {
  db: Database;
  driver: "pglite" | "postgres";
  /** LISTEN on a channel: with PostgreSQL, notifications from every process arrive here. */
  listen: Listen;
  close(): Promise<void>;
};

export type OpenDatabaseOptions = {
  /** PostgreSQL URL; when absent, PGlite is used. */
  url?: string;
  /** PGlite data directory, or "memory://" for an in-memory database. */
  dataDir?: string;
  /** Statement logger, for tests that count SQL. */
  onQuery?: (query: string) => void;
  /** postgres.js pool size. */
  maxConnections?: number;
};

/**
 * postgres.js's `socket` option (missing from its types): TCP_NODELAY, as libpq sets it, since
 * postgres.js leaves Nagle's algorithm on. Without it a small message written while the previous
 * one is unacknowledged (the end of a COPY, a statement pipelined behind another) waits for the
 * server's delayed ACK, ~40 ms each time. postgres.js starts the protocol on a custom socket at
 * once (writes are queued until it connects). A unix socket has no Nagle delay.
 */
const noDelaySocket = {
  socket: ({ host, port, path }: { host: string[]; port: number[]; path?: string }) =>
    path ? connect(path) : connect({ host: host[0], port: port[0]!, noDelay: true }),
};

/**
 * Opens the database and applies every pending migration from `migrations/`.
 * @example const { db, close } = await openDatabase({ dataDir: "memory://" });
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const logger = options.onQuery ? { logQuery: (query: string) => options.onQuery!(query) } : undefined;
  // Each driver is loaded only when used: a short-lived process (the import CLI) should not
  // pay for loading the other one.
  if (options.url) {
    const [{ default: postgres }, { drizzle: drizzlePostgres }, { migrate: migratePostgres }] = await Promise.all([
      import("postgres"),
      import("drizzle-orm/postgres-js"),
      import("drizzle-orm/postgres-js/migrator"),
    ]);
    const client = postgres(options.url, { max: options.maxConnections ?? 10, onnotice: () => {}, ...noDelaySocket });
    // jit: drizzle compiles one row mapper per query shape instead of walking every column of
    // every row generically; mapping rows was the largest cost of a catalogue page after GraphQL.
    const db = drizzlePostgres({ client, logger, jit: true });
    await migratePostgres(db, { migrationsFolder: MIGRATIONS_DIR });
    return {
      db: db as unknown as Database,
      driver: "postgres",
      async listen(channel, onPayload) {
        const { unlisten } = await client.listen(channel, onPayload);
        return unlisten;
      },
      close: () => client.end({ timeout: 5 }),
    };
  }
  const [{ PGlite }, { drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("drizzle-orm/pglite/migrator"),
  ]);
  const dataDir = options.dataDir ?? "memory://";
  if (!dataDir.startsWith("memory://")) mkdirSync(path.dirname(path.resolve(dataDir)), { recursive: true });
  const client = await PGlite.create(dataDir.startsWith("memory://") ? undefined : dataDir);
  const db = drizzlePglite({ client, logger, jit: true });
  await migratePglite(db, { migrationsFolder: MIGRATIONS_DIR });
  return {
    db: db as unknown as Database,
    driver: "pglite",
    listen: async (channel, onPayload) => {
      const unlisten = await client.listen(channel, onPayload);
      return () => unlisten();
    },
    close: () => client.close(),
  };
}

/** Cheap liveness probe for /readyz. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`select 1`);
}
