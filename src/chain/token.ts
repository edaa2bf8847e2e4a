/**
 * Actions on a DataAssetToken: plain functions over `ChainClients`, in viem's style.
 */
import { getAddress, BaseError as ViemBaseError, ContractFunctionRevertedError, type Address, type Hex } from "viem";
import { DataAssetTokenAbi, DataAssetTokenBytecode } from "./generated/DataAssetToken.js";
import type { ChainClients } from "./client.js";
import { ChainUnavailableError } from "../errors.js";

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
  return chain.withSignerLock(async () => {
    const txHash = await chain.walletClient.deployContract({
      abi: DataAssetTokenAbi,
      bytecode: DataAssetTokenBytecode,
      args: [
        params.name,
        params.symbol,
        params.assetId,
        params.contentDigest,
        params.offeringTermsDigest,
        chain.account.address,
      ],
    });
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: txHash });
    if (receipt.status !== "success" || !receipt.contractAddress) {
      throw new ChainUnavailableError(`token deployment ${txHash} reverted`);
    }
    return { address: getAddress(receipt.contractAddress), txHash };
  });
}

/** Sets an address's whitelist flag on the token and waits for the receipt. */
export async function setWhitelisted(
  chain: ChainClients,
  params: { token: Address; account: Address; whitelisted: boolean },
): Promise<{ txHash: Hex }> {
  return chain.withSignerLock(async () => {
    const { request } = await chain.publicClient.simulateContract({
      account: chain.account,
      address: params.token,
      abi: DataAssetTokenAbi,
      functionName: "setWhitelisted",
      args: [params.account, params.whitelisted],
    });
    const txHash = await chain.walletClient.writeContract(request);
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: txHash });
    if (receipt.status !== "success") throw new ChainUnavailableError(`whitelist tx ${txHash} reverted`);
    return { txHash };
  });
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
