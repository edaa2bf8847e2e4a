/**
 * The embedded dev chain: Hardhat 3's in-process EDR, served as JSON-RPC over HTTP on
 * loopback so the gateway, tests and outside tools (indexers, wallets) all speak to it
 * the same way they would speak to a real node. State lives in memory: contracts are
 * redeployed at each start.
 */
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";

/** Chain id of the embedded chain (Hardhat's default). */
export const DEV_CHAIN_ID = 31337;

/** The public test mnemonic the embedded chain funds; its keys guard nothing of value. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Private key of the dev chain's funded account `index` (0–19). */
export function devChainSignerKey(index = 0): `0x${string}` {
  return toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);
}

export type DevChain = { rpcUrl: string; close(): Promise<void> };

/**
 * Starts the dev chain on 127.0.0.1:`port` (0 picks a free port).
 * @example const chain = await startDevChain({ port: 8545 }); // chain.rpcUrl
 */
export async function startDevChain(options: { port: number; host?: string }): Promise<DevChain> {
  const hre = await createHardhatRuntimeEnvironment({
    networks: { dev: { type: "edr-simulated", chainId: DEV_CHAIN_ID } },
  });
  const server = await hre.network.createServer("dev", options.host ?? "127.0.0.1", options.port);
  const { address, port } = await server.listen();
  return { rpcUrl: `http://${address}:${port}`, close: () => server.close() };
}
