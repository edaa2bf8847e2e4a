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
  type PublicClient,
  type WalletClient,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Database } from "../db/index.js";

export type ChainClients = {
  chain: Chain;
  chainId: number;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  account: Account;
  /** Runs `fn` alone among this process's signer transactions. */
  withSignerLock<T>(fn: () => Promise<T>): Promise<T>;
  /** The database holding the signer's nonce row, once attached (see `attachNonceStore`). */
  nonceStore?: Database;
};

/**
 * Makes every later signer transaction of `chain` take its nonce under the database's
 * `signer_nonce` row lock (cross-process), instead of trusting the node's pending count alone.
 */
export function attachNonceStore(chain: ChainClients, db: Database): void {
  chain.nonceStore = db;
}

/**
 * Connects to a JSON-RPC endpoint and reads its chain id.
 * @example const chain = await connectChain({ rpcUrl: "http://127.0.0.1:8545", signerPrivateKey: "0x…" });
 */
export async function connectChain(options: { rpcUrl: string; signerPrivateKey: `0x${string}` }): Promise<ChainClients> {
  const transport = http(options.rpcUrl, { retryCount: 2, timeout: 15_000 });
  const probe = createPublicClient({ transport });
  const chainId = await probe.getChainId();
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
    withSignerLock<T>(fn: () => Promise<T>): Promise<T> {
      const run = tail.then(fn, fn);
      tail = run.catch(() => {});
      return run;
    },
  };
}
