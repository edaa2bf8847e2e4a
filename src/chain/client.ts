/**
 * viem clients for one chain and one signer. Every transaction the gateway signs goes
 * through `withSignerLock` (one at a time inside this process) and, once a database is
 * attached with `attachNonceStore`, takes its nonce from the `signer_nonce` row lock, so
 * processes sharing the database never reuse a nonce either.
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type LocalAccount,
  type PublicClient,
  type WalletClient,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import pino, { type Logger } from "pino";
import type { Database } from "../db/index.js";

/** Told of every JSON-RPC call: method, duration in seconds, whether it succeeded. */
export type RpcObserver = (method: string, seconds: number, ok: boolean) => void;

export type ChainClients = {
  chain: Chain;
  chainId: number;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  /** The signer's key lives in this process, so it can sign without asking the node anything. */
  account: LocalAccount;
  /** Runs `fn` alone among this process's signer transactions. */
  withSignerLock<T>(fn: () => Promise<T>): Promise<T>;
  /** The database holding the signer's nonce row and the chain-write records, once attached (see `attachNonceStore`). */
  nonceStore?: Database;
  /** Where the chain-write pipeline reports replacements and refused broadcasts (silent until attached). */
  logger: Logger;
  /** Observers of JSON-RPC latency (metrics); add and remove freely. */
  rpcObservers: Set<RpcObserver>;
};

/**
 * Makes every later signer transaction of `chain` go through the chain-write pipeline on `db`:
 * its nonce under the `signer_nonce` row lock (cross-process), its bytes recorded before broadcast.
 */
export function attachNonceStore(chain: ChainClients, db: Database, logger?: Logger): void {
  chain.nonceStore = db;
  if (logger) chain.logger = logger.child({ component: "chain-writes" });
}

/** An `onUnreachable` that logs each failed attempt to reach the chain at start. */
export function logChainUnreachable(logger: Logger): (error: Error, attempt: number, retryInMs: number) => void {
  return (error, attempt, retryInMs) =>
    logger.warn({ err: error.message.split("\n")[0], attempt, retryInMs }, "chain unreachable at start; retrying");
}

/** The longest wait between two attempts to reach a chain that is down at start. */
const MAX_CONNECT_BACKOFF_MS = 10_000;

/**
 * Connects to a JSON-RPC endpoint and reads its chain id. With `untilReachable`, a chain that
 * is down is asked again with backoff (each failure reported to `onUnreachable`) until it
 * answers, so a process started during an RPC outage waits for it instead of exiting.
 * @example const chain = await connectChain({ rpcUrl: "http://127.0.0.1:8545", signerPrivateKey: "0x…" });
 */
export async function connectChain(options: {
  rpcUrl: string;
  signerPrivateKey: `0x${string}`;
  untilReachable?: boolean;
  onUnreachable?: (error: Error, attempt: number, retryInMs: number) => void;
}): Promise<ChainClients> {
  const rpcObservers = new Set<RpcObserver>();
  const transport = observedTransport(http(options.rpcUrl, { retryCount: 2, timeout: 15_000 }), rpcObservers);
  const probe = createPublicClient({ transport });
  let chainId: number;
  for (let attempt = 1; ; attempt++) {
    try {
      chainId = await probe.getChainId();
      break;
    } catch (error) {
      if (!options.untilReachable) throw error;
      const retryInMs = Math.min(MAX_CONNECT_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 6));
      options.onUnreachable?.(error as Error, attempt, retryInMs);
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
  const chain = defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  const account = privateKeyToAccount(options.signerPrivateKey);
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 100 });
  const walletClient = createWalletClient({ chain, transport, account });
  let tail: Promise<unknown> = Promise.resolve();
  return {
    chain,
    chainId,
    publicClient,
    walletClient,
    account,
    rpcObservers,
    logger: pino({ level: "silent" }),
    withSignerLock<T>(fn: () => Promise<T>): Promise<T> {
      const run = tail.then(fn, fn);
      tail = run.catch(() => {});
      return run;
    },
  };
}

/** Wraps a transport so each request (retries included) is timed and reported to `observers`. */
function observedTransport(base: Transport, observers: Set<RpcObserver>): Transport {
  return (params) => {
    const inner = base(params);
    const request = (async (args: Parameters<typeof inner.request>[0]) => {
      const started = performance.now();
      let ok = false;
      try {
        const result = await inner.request(args);
        ok = true;
        return result;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        for (const observe of observers) observe(args.method, seconds, ok);
      }
    }) as typeof inner.request;
    return { ...inner, request };
  };
}
