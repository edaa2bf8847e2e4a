/**
 * Actions on a DataAssetToken: plain functions over `ChainClients`, in viem's style.
 */
import {
  BaseError as ViemBaseError,
  ExecutionRevertedError,
  encodeDeployData,
  encodeFunctionData,
  getAddress,
  zeroAddress,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hex,
} from "viem";
import { DataAssetTokenAbi, DataAssetTokenBytecode } from "./generated/DataAssetToken.js";
import type { ChainClients } from "./client.js";
import { ChainUnavailableError } from "../errors.js";
import { ContractRevertedError, DeployRevertedError } from "./errors.js";
import { decodeRevert } from "./revert.js";
import { NO_OWNER, resumeWrite, sendWrite, type ChainWrite, type WriteOwner } from "./writes.js";

export { decodeRevert };

export { DataAssetTokenAbi };

export type DeployTokenParameters = {
  name: string;
  symbol: string;
  assetId: string;
  contentDigest: Hex;
  offeringTermsDigest: Hex;
  /** The DvP settlement contract, granted the AGENT role (it mints against payment); zero address: none. */
  settlement?: Address;
};

/** The deployment calldata of a tranche token whose admin and AGENT is the chain's signer. */
export function deployTokenData(chain: ChainClients, params: DeployTokenParameters): Hex {
  return encodeDeployData({
    abi: DataAssetTokenAbi,
    bytecode: DataAssetTokenBytecode,
    args: [
      params.name,
      params.symbol,
      params.assetId,
      params.contentDigest,
      params.offeringTermsDigest,
      chain.account.address,
      params.settlement ?? zeroAddress,
    ],
  });
}

/**
 * Deploys a tranche token; the signer becomes its admin and AGENT. A deployment the chain
 * refuses (in simulation or mined) answers DeployRevertedError, which is not retryable.
 * @example const { address } = await deployToken(chain, { name: "Senior", symbol: "SNR", assetId, contentDigest, offeringTermsDigest });
 */
export async function deployToken(
  chain: ChainClients,
  params: DeployTokenParameters,
  options: WriteOptions = {},
): Promise<{ address: Address; txHash: Hex }> {
  let settled;
  try {
    settled = await sendSignerTransaction(chain, { data: deployTokenData(chain, params) }, { kind: "DEPLOY_TOKEN", ...options });
  } catch (error) {
    // The node ran the deployment and it reverted (a refused constructor); anything else (the node unreachable) stays as it is.
    const reverted =
      error instanceof ViemBaseError ? (error.walk((e) => e instanceof ExecutionRevertedError) as ExecutionRevertedError | null) : null;
    if (reverted) throw new DeployRevertedError(reverted.details || reverted.shortMessage, null, { cause: error });
    throw error;
  }
  if (settled.status === "REVERTED" || !settled.contractAddress) {
    const details = { name: params.name, symbol: params.symbol, assetId: params.assetId };
    throw new DeployRevertedError(settled.revertReason ?? "no contract was created", settled.minedTxHash, { details });
  }
  return { address: getAddress(settled.contractAddress), txHash: settled.minedTxHash as Hex };
}

/** Sets an address's whitelist flag on the token and waits for the receipt. */
export async function setWhitelisted(
  chain: ChainClients,
  params: { token: Address; account: Address; whitelisted: boolean },
): Promise<{ txHash: Hex }> {
  return callToken(chain, { token: params.token, functionName: "setWhitelisted", args: [params.account, params.whitelisted] });
}

/**
 * Whitelists a wallet with the country (ISO 3166-1 alpha-2, as bytes2) and investor class
 * (CLASS_* of the token) its circulation rules read, in one transaction, and waits for the receipt.
 */
export async function whitelistIdentity(
  chain: ChainClients,
  params: { token: Address; account: Address; country: Hex; investorClass: number },
): Promise<{ txHash: Hex }> {
  return callToken(chain, {
    token: params.token,
    functionName: "whitelistIdentity",
    args: [params.account, params.country, params.investorClass],
  });
}

/** How a write is named in the pipeline and who settles it if its caller is gone before the outcome. */
export type WriteOptions = { kind?: string; subject?: Record<string, unknown>; owner?: WriteOwner };

/**
 * Sends a transaction of the gateway's signer through the chain-write pipeline (recorded
 * before broadcast under the signer_nonce lock, resumed by hash, fee-bumped when stuck) and
 * waits for its outcome: the settled write, CONFIRMED or REVERTED. A write the pipeline had
 * to give up on (a foreign transaction took its nonce) answers ChainUnavailableError, as does
 * one still open after the wait (it stays recorded, and a worker's sweep settles it later).
 * Without a database attached (a bare client), the node picks the nonce and nothing is recorded.
 */
export async function sendSignerTransaction(
  chain: ChainClients,
  request: { to?: Address; data: Hex },
  options: WriteOptions = {},
): Promise<Pick<ChainWrite, "status" | "minedTxHash" | "contractAddress" | "revertReason">> {
  const db = chain.nonceStore;
  if (!db) {
    const hash = await chain.withSignerLock(() => chain.walletClient.sendTransaction(request));
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash });
    return {
      status: receipt.status === "success" ? "CONFIRMED" : "REVERTED",
      minedTxHash: hash,
      contractAddress: receipt.contractAddress ?? null,
      revertReason: null,
    };
  }
  const ctx = { db, chain, logger: chain.logger };
  const gas = await chain.publicClient.estimateGas({ account: chain.account.address, to: request.to, data: request.data });
  const sent = await sendWrite(ctx, {
    kind: options.kind ?? "TOKEN_CALL",
    to: request.to,
    data: request.data,
    gas,
    subject: options.subject,
  });
  const settled = await resumeWrite(ctx, sent.write.id, options.owner ?? NO_OWNER, sent);
  if (settled.status === "DROPPED") {
    throw new ChainUnavailableError(
      `transaction at nonce ${settled.nonce} was replaced by another transaction of the signer (${settled.minedTxHash}); try again`,
    );
  }
  return settled;
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
    if (reason) throw new ContractRevertedError(params.functionName, reason, { cause: error });
    throw new ChainUnavailableError(`could not simulate ${params.functionName}: ${(error as Error).message.split("\n")[0]}`, {
      cause: error,
    });
  }
  const settled = await sendSignerTransaction(chain, { to: params.token, data: encodeCall(request) });
  if (settled.status !== "CONFIRMED") throw new ContractRevertedError(params.functionName, settled.revertReason ?? "reverted");
  return { txHash: settled.minedTxHash as Hex };
}

function encodeCall(request: { abi: any; functionName: string; args?: readonly unknown[] }): Hex {
  return encodeFunctionData({ abi: request.abi, functionName: request.functionName, args: request.args } as any);
}
