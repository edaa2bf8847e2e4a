/**
 * Actions on a DataAssetToken: plain functions over `ChainClients`, in viem's style.
 */
import {
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  BaseError as ViemBaseError,
  ContractFunctionRevertedError,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
} from "viem";
import { DataAssetTokenAbi, DataAssetTokenBytecode } from "./generated/DataAssetToken.js";
import type { ChainClients } from "./client.js";
import { ChainUnavailableError } from "../errors.js";
import { ContractRevertedError } from "./errors.js";
import { withNextNonce } from "./nonce.js";

export { DataAssetTokenAbi };

export type DeployTokenParameters = {
  name: string;
  symbol: string;
  assetId: string;
  contentDigest: Hex;
  offeringTermsDigest: Hex;
};

/**
 * Deploys a tranche token; the signer becomes its admin and AGENT.
 * @example const { address } = await deployToken(chain, { name: "Senior", symbol: "SNR", assetId, contentDigest, offeringTermsDigest });
 */
export async function deployToken(
  chain: ChainClients,
  params: DeployTokenParameters,
): Promise<{ address: Address; txHash: Hex }> {
  const data = encodeDeployData({
    abi: DataAssetTokenAbi,
    bytecode: DataAssetTokenBytecode,
    args: [params.name, params.symbol, params.assetId, params.contentDigest, params.offeringTermsDigest, chain.account.address],
  });
  const txHash = await sendSignerTransaction(chain, { data });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success" || !receipt.contractAddress) {
    throw new ChainUnavailableError(`token deployment ${txHash} reverted`);
  }
  return { address: getAddress(receipt.contractAddress), txHash };
}

/** Sets an address's whitelist flag on the token and waits for the receipt. */
export async function setWhitelisted(
  chain: ChainClients,
  params: { token: Address; account: Address; whitelisted: boolean },
): Promise<{ txHash: Hex }> {
  return callToken(chain, { token: params.token, functionName: "setWhitelisted", args: [params.account, params.whitelisted] });
}

/**
 * Broadcasts a transaction of the gateway's signer with the next nonce: taken under the
 * database's signer_nonce lock when a nonce store is attached (cross-process safe), else
 * from the node. Alone among this process's signer transactions either way.
 */
export async function sendSignerTransaction(chain: ChainClients, request: { to?: Address; data: Hex }): Promise<Hex> {
  return chain.withSignerLock(async () => {
    const db = chain.nonceStore;
    if (!db) return chain.walletClient.sendTransaction(request);
    // Broadcast while the row is locked: the node's pending count then covers it before the lock is released.
    return withNextNonce(db, chain, (_tx, nonce) => chain.walletClient.sendTransaction({ ...request, nonce }));
  });
}

type WriteName = ContractFunctionName<typeof DataAssetTokenAbi, "nonpayable">;

/**
 * Simulates an AGENT call on a token (a revert answers `ContractRevertedError` with the
 * decoded custom error), sends it and waits for a successful receipt.
 * @example await callToken(chain, { token, functionName: "pause", args: [] });
 */
export async function callToken<F extends WriteName>(
  chain: ChainClients,
  params: { token: Address; functionName: F; args: ContractFunctionArgs<typeof DataAssetTokenAbi, "nonpayable", F> },
): Promise<{ txHash: Hex }> {
  let request;
  try {
    ({ request } = await chain.publicClient.simulateContract({
      account: chain.account,
      address: params.token,
      abi: DataAssetTokenAbi,
      functionName: params.functionName,
      args: params.args,
    } as any));
  } catch (error) {
    const reason = decodeRevert(error);
    if (reason) throw new ContractRevertedError(params.functionName, reason);
    throw new ChainUnavailableError(`could not simulate ${params.functionName}: ${(error as Error).message.split("\n")[0]}`);
  }
  const txHash = await sendSignerTransaction(chain, { to: params.token, data: encodeCall(request) });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") throw new ChainUnavailableError(`${params.functionName} tx ${txHash} reverted`);
  return { txHash };
}

function encodeCall(request: { abi: any; functionName: string; args?: readonly unknown[] }): Hex {
  return encodeFunctionData({ abi: request.abi, functionName: request.functionName, args: request.args } as any);
}

/** The name of a contract custom error (or the revert reason) inside a viem error, if any. */
export function decodeRevert(error: unknown): string | undefined {
  if (!(error instanceof ViemBaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    return reverted.data?.errorName ?? reverted.reason ?? reverted.shortMessage;
  }
  return undefined;
}
