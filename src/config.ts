/**
 * The one place that reads the environment. Everything else receives a typed `Config`.
 * A bad variable stops the process at start with a message that names it.
 */
import path from "node:path";
import { z } from "zod";

/** Published in the README: anyone can sign tokens and webhooks with them, so production refuses them. */
export const DEV_JWT_SECRET = "dev-only-jwt-secret-do-not-use-in-production";
export const DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-do-not-use-in-production";

const flag = z.enum(["true", "false"]).transform((v) => v === "true");

/**
 * Every default in one place: the environment's defaults below, and the fallbacks of the
 * modules that take these settings as options (tests and CLIs start them without a Config).
 */
export const DEFAULTS = {
  port: 4000,
  host: "127.0.0.1",
  devChainPort: 8545,
  mintConfirmations: 1,
  // 200 mints to fresh holders use 6.2M gas (31,103 each), a fifth of a 30M block (measured on anvil, 2026-12-03).
  mintBatchSize: 200,
  /** Mint batches sent and not yet settled at once: the next is prepared and signed while one is mined and settled. */
  mintPipelineDepth: 2,
  /** Most items one requestMints call takes (its one transaction holds the tranche locks while it writes them). */
  bulkMintMaxItems: 500,
  mintStuckAfterSeconds: 30,
  workerLeaseSeconds: 30,
  workerPollIntervalMs: 500,
  mintReceiptPollMs: 100,
  siweDomain: "localhost",
  /** An investor's session token (signInWithEthereum): short, as it is a bearer credential held in a browser. */
  investorSessionSeconds: 900,
  kycSweepIntervalMs: 60_000,
  finalityDepth: 2,
  indexerPollIntervalMs: 1000,
  indexerBlockRange: 1000,
  reconcileIntervalSeconds: 300,
  /** Request bodies and WebSocket messages; webhook deliveries (a batch of logs) get more. */
  maxBodyBytes: 1_000_000,
  webhookMaxBodyBytes: 5_000_000,
} as const;

const hexKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex private key");

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
    PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULTS.port),
    HOST: z.string().default(DEFAULTS.host),
    DATABASE_URL: z.string().url().optional(),
    DATA_DIR: z.string().min(1).default(".data"),
    CHAIN_RPC_URL: z.string().url().optional(),
    SIGNER_PRIVATE_KEY: hexKey.optional(),
    DEV_CHAIN_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULTS.devChainPort),
    JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
    MINT_CONFIRMATIONS: z.coerce.number().int().min(1).max(100).default(DEFAULTS.mintConfirmations),
    MINT_BATCH_SIZE: z.coerce.number().int().min(1).max(200).default(DEFAULTS.mintBatchSize),
    MINT_PIPELINE_DEPTH: z.coerce.number().int().min(1).max(8).default(DEFAULTS.mintPipelineDepth),
    MINT_STUCK_AFTER_SECONDS: z.coerce.number().min(1).max(3600).default(DEFAULTS.mintStuckAfterSeconds),
    WORKER_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(DEFAULTS.workerLeaseSeconds),
    WORKER_POLL_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(DEFAULTS.workerPollIntervalMs),
    MINT_RECEIPT_POLL_MS: z.coerce.number().int().min(5).max(60_000).default(DEFAULTS.mintReceiptPollMs),
    WORKER_ENABLED: z
      .enum(["true", "false"])
      .default("true")
      .transform((v) => v === "true"),
    SIWE_DOMAIN: z
      .string()
      .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, "must be a host name, optionally with :port")
      .default(DEFAULTS.siweDomain),
    INVESTOR_SESSION_SECONDS: z.coerce.number().int().min(60).max(86_400).default(DEFAULTS.investorSessionSeconds),
    KYC_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1000).default(DEFAULTS.kycSweepIntervalMs),
    FINALITY_DEPTH: z.coerce.number().int().min(0).max(10_000).default(DEFAULTS.finalityDepth),
    INDEXER_POLLER_ENABLED: z
      .enum(["true", "false"])
      .default("true")
      .transform((v) => v === "true"),
    INDEXER_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(DEFAULTS.indexerPollIntervalMs),
    INDEXER_BLOCK_RANGE: z.coerce.number().int().min(1).max(100_000).default(DEFAULTS.indexerBlockRange),
    RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(31_536_000).default(DEFAULTS.reconcileIntervalSeconds),
    GRAPHQL_INTROSPECTION: flag.optional(),
    PLAYGROUND_ENABLED: flag.optional(),
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine((env, ctx) => {
    if (env.CHAIN_RPC_URL && !env.SIGNER_PRIVATE_KEY) {
      ctx.addIssue({ code: "custom", path: ["SIGNER_PRIVATE_KEY"], message: "is required when CHAIN_RPC_URL is set" });
    }
    if (env.NODE_ENV === "production" && !env.JWT_SECRET) {
      ctx.addIssue({ code: "custom", path: ["JWT_SECRET"], message: "is required when NODE_ENV=production" });
    }
    if (env.NODE_ENV === "production" && !env.WEBHOOK_SECRET) {
      ctx.addIssue({ code: "custom", path: ["WEBHOOK_SECRET"], message: "is required when NODE_ENV=production" });
    }
    if (env.NODE_ENV === "production" && env.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["JWT_SECRET"],
        message: "is the public development secret (in this source and the README); set a secret of your own when NODE_ENV=production",
      });
    }
    if (env.NODE_ENV === "production" && env.WEBHOOK_SECRET === DEV_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["WEBHOOK_SECRET"],
        message: "is the public development secret (in this source and the README); set a secret of your own when NODE_ENV=production",
      });
    }
  });

export type Config = {
  env: "development" | "test" | "production";
  port: number;
  host: string;
  /** PostgreSQL URL, or undefined for embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; `memory://` keeps it in memory (tests). */
  dataDir: string;
  /**
   * An external chain, or the embedded dev chain with its state in `stateFile`
   * (DATA_DIR/chain/state.json; none when DATA_DIR is in memory).
   */
  chain: { kind: "external"; rpcUrl: string; signerPrivateKey: `0x${string}` } | { kind: "embedded"; port: number; stateFile?: string };
  jwtSecret: string;
  webhookSecret: string;
  usingDevSecrets: boolean;
  mintConfirmations: number;
  /**
   * Mint worker tuning: requests per mintBatch, batches in flight at once, when a sent tx counts as stuck, job lease, how
   * often it looks for work when not woken, how often it asks for the receipt of a sent batch
   * that was not mined at once (a dev chain with automine has it at once).
   */
  mintWorker: {
    batchSize: number;
    pipelineDepth: number;
    stuckAfterMs: number;
    leaseSeconds: number;
    pollIntervalMs: number;
    receiptPollMs: number;
  };
  workerEnabled: boolean;
  /** Blocks on top of an event's block before it counts as final (holdings pending until then). */
  finalityDepth: number;
  /** The built-in chain poller (getLogs from a checkpoint); off when an external indexer sends webhooks. */
  indexer: { pollerEnabled: boolean; pollIntervalMs: number; blockRange: number };
  /** Seconds between periodic reconciliations against balanceOf; 0 turns the job off. */
  reconcileIntervalSeconds: number;
  logLevel: string;
  /** The RFC 3986 authority wallets sign Sign-In with Ethereum messages for. */
  siweDomain: string;
  /** How long an investor's session token (signInWithEthereum) is valid. */
  investorSessionSeconds: number;
  /** How often expired KYC is swept off the token whitelists. */
  kycSweepIntervalMs: number;
  /** Schema introspection over GraphQL; default on, off in production. */
  introspection: boolean;
  /** GraphiQL at GET /graphql; default on, off in production. */
  playground: boolean;
  /** When set, /metrics answers only `Authorization: Bearer <token>`; unset, /metrics is open, or absent (404) in production. */
  metricsToken?: string;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses and validates the environment.
 * @example const config = loadConfig(process.env);
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `FOO= npm start` behaves like no FOO.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    chain: e.CHAIN_RPC_URL
      ? { kind: "external", rpcUrl: e.CHAIN_RPC_URL, signerPrivateKey: e.SIGNER_PRIVATE_KEY as `0x${string}` }
      : {
          kind: "embedded",
          port: e.DEV_CHAIN_PORT,
          stateFile: e.DATA_DIR.startsWith("memory://") ? undefined : path.join(e.DATA_DIR, "chain", "state.json"),
        },
    jwtSecret: e.JWT_SECRET ?? DEV_JWT_SECRET,
    webhookSecret: e.WEBHOOK_SECRET ?? DEV_WEBHOOK_SECRET,
    usingDevSecrets: !e.JWT_SECRET,
    mintConfirmations: e.MINT_CONFIRMATIONS,
    mintWorker: {
      batchSize: e.MINT_BATCH_SIZE,
      pipelineDepth: e.MINT_PIPELINE_DEPTH,
      stuckAfterMs: e.MINT_STUCK_AFTER_SECONDS * 1000,
      leaseSeconds: e.WORKER_LEASE_SECONDS,
      pollIntervalMs: e.WORKER_POLL_INTERVAL_MS,
      receiptPollMs: e.MINT_RECEIPT_POLL_MS,
    },
    workerEnabled: e.WORKER_ENABLED,
    finalityDepth: e.FINALITY_DEPTH,
    indexer: { pollerEnabled: e.INDEXER_POLLER_ENABLED, pollIntervalMs: e.INDEXER_POLL_INTERVAL_MS, blockRange: e.INDEXER_BLOCK_RANGE },
    reconcileIntervalSeconds: e.RECONCILE_INTERVAL_SECONDS,
    logLevel: e.LOG_LEVEL,
    siweDomain: e.SIWE_DOMAIN,
    investorSessionSeconds: e.INVESTOR_SESSION_SECONDS,
    kycSweepIntervalMs: e.KYC_SWEEP_INTERVAL_MS,
    // Both map the schema for anyone: closed in production unless asked for.
    introspection: e.GRAPHQL_INTROSPECTION ?? e.NODE_ENV !== "production",
    playground: e.PLAYGROUND_ENABLED ?? e.NODE_ENV !== "production",
    metricsToken: e.METRICS_TOKEN,
  };
}

/**
 * For entry points (npm start, the worker, CLIs): the configuration, or the bad variables
 * printed and exit code 2.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}
