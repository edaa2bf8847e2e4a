/**
 * Reading why a call reverted: the name of the token's custom error (NotWhitelisted,
 * EnforcedPause…) where the revert data carries one, else the node's reason.
 */
import { BaseError as ViemBaseError, ContractFunctionRevertedError, decodeErrorResult, type Hex } from "viem";
import { DataAssetTokenAbi } from "./generated/DataAssetToken.js";

/** The name of a contract custom error (or the revert reason) inside a viem error from a contract call, if any. */
export function decodeRevert(error: unknown): string | undefined {
  if (!(error instanceof ViemBaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    return reverted.data?.errorName ?? reverted.reason ?? reverted.shortMessage;
  }
  return undefined;
}

/** The raw revert data inside a viem error from a contract call, if it carries any. */
export function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof ViemBaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.raw : undefined;
}

/**
 * The reason inside the error of a raw `eth_call` (no ABI attached): the revert data decoded
 * against the token's ABI, or the node's own message.
 */
export function decodeRawRevert(error: unknown): string | undefined {
  if (!(error instanceof ViemBaseError)) return undefined;
  const withData = error.walk((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | null;
  if (withData?.data && withData.data !== "0x") {
    try {
      return decodeErrorResult({ abi: DataAssetTokenAbi, data: withData.data }).errorName;
    } catch {
      // Not one of the token's errors: the node's message below says what it can.
    }
  }
  return error.details || error.shortMessage;
}
