import { BaseError, type BaseErrorOptions } from "../errors.js";

/**
 * The contract refused the call (simulation or mined receipt); `reason` is the decoded custom
 * error or revert reason. Not retryable: the same call reverts again until the state changes.
 */
export class ContractRevertedError extends BaseError {
  readonly code = "CONTRACT_REVERTED";
  override name = "ContractRevertedError";
  constructor(
    readonly functionName: string,
    readonly reason: string,
    options?: BaseErrorOptions,
  ) {
    super(`${functionName} would revert on chain: ${reason}`, options);
  }
}

/**
 * A token deployment the chain refused: its simulation reverted, or it was mined and reverted
 * (no contract was created). Not retryable as it is: the same deployment fails the same way.
 */
export class DeployRevertedError extends BaseError {
  readonly code = "DEPLOY_REVERTED";
  override name = "DeployRevertedError";
  constructor(
    readonly reason: string,
    /** The mined transaction, when the revert happened on chain (not in simulation). */
    readonly txHash: string | null,
    options?: BaseErrorOptions,
  ) {
    super(`the token deployment reverted${txHash ? ` in ${txHash}` : ""}: ${reason}`, options);
  }
}

/**
 * The connected chain is not the one this database's rows were written on (another chain id
 * or genesis block, or recorded tokens that have no code there). Starting anyway would send
 * mints to contracts that do not exist and nonces the chain never saw.
 */
export class ChainMismatchError extends BaseError {
  readonly code = "CHAIN_MISMATCH";
  override name = "ChainMismatchError";
  constructor(readonly differences: string[]) {
    super(
      [
        "The connected chain is not the one this database's records were written on:",
        ...differences.map((d) => `  - ${d}`),
        "Remedy: point CHAIN_RPC_URL at the chain the records were written on, or start on a fresh database.",
        "On embedded defaults DATA_DIR holds both the database and the chain's state (DATA_DIR/chain): stop the gateway and delete DATA_DIR to start over.",
      ].join("\n"),
    );
  }
}
