/**
 * Starts a real gateway for a test file: its own database (in-memory PGlite, or a fresh
 * database on the PostgreSQL server named by TEST_DATABASE_URL), the shared dev chain over
 * HTTP, the mint worker, and the HTTP server on a free port. Nothing is mocked.
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import pino from "pino";
import postgres from "postgres";
import { openDatabase, type DatabaseHandle } from "../../src/db/index.js";
import { connectChain, type ChainClients } from "../../src/chain/client.js";
import { devChainSignerKey } from "../../src/chain/dev-chain.js";
import { checkChainBinding } from "../../src/indexer/binding.js";
import { startGateway, type Gateway, type GatewayOptions } from "../../src/gateway.js";
import { insertOrganization } from "../../src/organizations/service.js";
import { issueToken } from "../../src/auth/jwt.js";

export const TEST_JWT_SECRET = "test-secret-0123456789abcdef0123456789";

/** A database for one test file: PGlite in memory, or a fresh PostgreSQL database dropped afterwards. */
export async function openTestDatabase(onQuery?: (q: string) => void): Promise<DatabaseHandle & { url?: string }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return openDatabase({ dataDir: "memory://", onQuery });
  const name = `dag_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), onQuery, maxConnections: 5 });
  return {
    ...handle,
    url: url.toString(),
    async close() {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export type GraphQLResponse<T = any> = { status: number; data?: T; errors?: { message: string; extensions?: { code?: string } }[] };

export type TestGateway = {
  url: string;
  /** The signer this gateway deploys and mints with (another process acting for it needs the same key). */
  signerKey: `0x${string}`;
  database: DatabaseHandle & { url?: string };
  chain: ChainClients;
  gateway: Gateway;
  adminToken: string;
  gql<T = any>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  tokenFor(roles: string[], organizationId: string, subject?: string): Promise<string>;
  close(): Promise<void>;
};

/** The pool's signer on the shared chain: accounts 1–19, one per vitest worker (account 0 is npm start's). */
export function poolSignerKey(): `0x${string}` {
  const poolId = Number(process.env.VITEST_POOL_ID ?? "1");
  return devChainSignerKey(1 + ((poolId - 1) % 19));
}

export type TestGatewayOptions = {
  now?: () => Date;
  /** Another chain (e.g. a private dev chain for reorgs); default the shared test chain. */
  rpcUrl?: string;
  signerKey?: `0x${string}`;
  /** Further gateway settings (webhooks, indexer, worker). */
  gateway?: Partial<
    Pick<
      GatewayOptions,
      | "webhookSecret"
      | "finalityDepth"
      | "indexer"
      | "mintConfirmations"
      | "workerEnabled"
      | "production"
      | "introspection"
      | "playground"
      | "metricsToken"
      | "siweDomain"
      | "kycSweepIntervalMs"
      | "mintWorker"
    >
  >;
  /** Statement logger (drizzle), for tests that count SQL statements. */
  onQuery?: (q: string) => void;
};

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const database = await openTestDatabase(options.onQuery);
  const signerKey = options.signerKey ?? poolSignerKey();
  const chain = await connectChain({ rpcUrl: options.rpcUrl ?? inject("rpcUrl"), signerPrivateKey: signerKey });
  // As npm start does: it records the chain on this new database.
  await checkChainBinding(database.db, chain);
  const gateway = await startGateway({
    db: database.db,
    listen: database.listen,
    chain,
    jwtSecret: TEST_JWT_SECRET,
    port: 0,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
    now: options.now,
    ...options.gateway,
  });
  const operator = await insertOrganization(database.db, { name: "Operator", kind: "VENUE", jurisdiction: "HK", licenses: [] });
  const tokenFor = (roles: string[], organizationId: string, subject = "tester") =>
    issueToken(TEST_JWT_SECRET, { subject, organizationId, roles: roles as any });
  const adminToken = await tokenFor(["ADMIN"], operator.id, "admin");
  return {
    url: gateway.url,
    signerKey,
    database,
    chain,
    gateway,
    adminToken,
    tokenFor,
    async gql(query, variables, token) {
      const res = await fetch(`${gateway.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as any;
      return { status: res.status, data: body.data, errors: body.errors };
    },
    async close() {
      await gateway.close();
      await database.close();
    },
  };
}
