/**
 * Ties a database to one chain. Its rows (token addresses, mint transactions, signer nonces,
 * indexer cursors) are only true on the chain they were written on; a gateway pointed at
 * another chain, or at a dev chain that lost its state, would mint into contracts that are not
 * there and wait forever for transactions no one mined. Every entry point calls
 * `checkChainBinding` after connecting and refuses to start on a mismatch. It lives with the
 * indexer, not in chain/: it reads the registry's deployed tokens, and chain/ knows no domain.
 */
import type { Hex } from "viem";
import type { Database } from "../db/index.js";
import { deployedTokens } from "./service.js";
import type { ChainClients } from "../chain/client.js";
import { ChainMismatchError } from "../chain/errors.js";
import { chainBinding } from "../chain/table.js";

/** Recorded tokens whose code is asked for at once (a registry has tens to hundreds). */
const CODE_CHECK_CONCURRENCY = 20;

/**
 * Records the chain on a database's first start; afterwards throws `ChainMismatchError`
 * (naming what differs) unless the chain has the recorded id and genesis block and every
 * recorded token has code on it.
 * @example await checkChainBinding(db, chain); // at start, before serving or minting
 */
export async function checkChainBinding(db: Database, chain: ChainClients): Promise<void> {
  const genesis = await chain.publicClient.getBlock({ blockNumber: 0n });
  const bound = await db.select().from(chainBinding);
  const differences = bound
    .filter((b) => b.chainId !== chain.chainId || b.genesisHash !== genesis.hash)
    .map((b) =>
      b.chainId !== chain.chainId
        ? `chain id: records are on chain ${b.chainId}, the connected chain is ${chain.chainId}`
        : `genesis block: records are on a chain whose block 0 is ${b.genesisHash}, the connected chain's is ${genesis.hash}`,
    );
  differences.push(
    ...(await tokensWithoutCode(db, chain)).map(
      (address) => `token ${address} (a deployed tranche token) has no code on the connected chain`,
    ),
  );
  if (differences.length > 0) throw new ChainMismatchError(differences);
  if (bound.length === 0) {
    // Two processes starting at once on a new database both get here; the first one records.
    await db.insert(chainBinding).values({ chainId: chain.chainId, genesisHash: genesis.hash }).onConflictDoNothing();
  }
}

async function tokensWithoutCode(db: Database, chain: ChainClients): Promise<Hex[]> {
  const tokens = await deployedTokens(db, chain.chainId);
  const missing: Hex[] = [];
  for (let i = 0; i < tokens.length; i += CODE_CHECK_CONCURRENCY) {
    const slice = tokens.slice(i, i + CODE_CHECK_CONCURRENCY);
    const codes = await Promise.all(slice.map((t) => chain.publicClient.getCode({ address: t.address })));
    slice.forEach((t, j) => {
      if (!codes[j] || codes[j] === "0x") missing.push(t.address);
    });
  }
  return missing;
}

/**
 * For entry points (npm start, npm run worker): the check, or its message printed and the
 * process stopped with exit code 2 (no stack: the message names what differs and the remedy)
 * after `cleanup` has closed what was opened.
 */
export async function checkChainBindingOrExit(db: Database, chain: ChainClients, cleanup: () => Promise<unknown>): Promise<void> {
  try {
    await checkChainBinding(db, chain);
  } catch (error) {
    if (!(error instanceof ChainMismatchError)) throw error;
    console.error(error.message);
    await cleanup();
    process.exit(2);
  }
}
