import { BaseError } from "../errors.js";

/** The contract refused the call (simulation or mined receipt); `reason` is the decoded custom error or revert reason. */
export class ContractRevertedError extends BaseError {
  readonly code = "CONTRACT_REVERTED";
  override name = "ContractRevertedError";
  constructor(readonly functionName: string, readonly reason: string) {
    super(`${functionName} would revert on chain: ${reason}`);
  }
}
