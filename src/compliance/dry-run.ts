/**
 * dryRunMint: what a mint would do, sending nothing. The compliance report a mint is gated on,
 * the exact calldata the worker would send (`mint(recipient, amount)` on the tranche token),
 * and the chain's gas estimate for it from the gateway's signer, or the revert the chain
 * predicts when it would fail.
 */
import { z } from "zod";
import { encodeFunctionData, type Address, type Hex } from "viem";
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor, requireSameOrganization } from "../context.js";
import { baseUnitAmountSchema, parseInput, uuidSchema } from "../validation.js";
import { getTranche } from "../offerings/service.js";
import { getInvestor } from "../investors/service.js";
import { DataAssetTokenAbi, decodeRevert } from "../chain/token.js";
import { evaluateForMint, type ComplianceReport } from "./service.js";

export type MintDryRun = {
  report: ComplianceReport;
  /** The token contract the mint goes to; null while the tranche has no deployed token. */
  to: Address | null;
  from: Address;
  recipient: Address;
  amount: string;
  calldata: Hex;
  /** Gas units the chain estimates for the call; null when it would revert or there is no token. */
  gasEstimate: bigint | null;
  /** Why there is no estimate: the decoded revert (e.g. NotWhitelisted) or the missing token. */
  simulationError: string | null;
};

const dryRunSchema = z.object({ trancheId: uuidSchema, investorId: uuidSchema, amount: baseUnitAmountSchema });

/**
 * Evaluates a mint without sending it: compliance report, calldata and gas estimate.
 * @example const { report, calldata, gasEstimate } = await dryRunMint(ctx, { trancheId, investorId, amount: "1000" });
 */
export async function dryRunMint(ctx: ServiceContext, input: z.input<typeof dryRunSchema>): Promise<MintDryRun> {
  const actor = requireActor(ctx);
  const params = parseInput(dryRunSchema, input);
  const { tranche, offering } = await getTranche(ctx.db, params.trancheId);
  // An issuer previews only its own offerings' mints; compliance reviews any.
  if (!hasRole(ctx, "COMPLIANCE_OFFICER")) requireSameOrganization(actor, offering.issuerOrgId, "offering");
  const inv = await getInvestor(ctx, params.investorId);
  const report = await evaluateForMint(ctx.db, { trancheId: tranche.id, investorId: inv.id }, ctx.now());
  const recipient = inv.walletAddress as Address;
  const amount = BigInt(params.amount);
  const calldata = encodeFunctionData({ abi: DataAssetTokenAbi, functionName: "mint", args: [recipient, amount] });
  const base = { report, from: ctx.chain.account.address, recipient, amount: params.amount, calldata };
  if (!tranche.tokenAddress) {
    return { ...base, to: null, gasEstimate: null, simulationError: "the tranche has no deployed token yet" };
  }
  const to = tranche.tokenAddress as Address;
  try {
    const gasEstimate = await ctx.chain.publicClient.estimateContractGas({
      address: to,
      abi: DataAssetTokenAbi,
      functionName: "mint",
      args: [recipient, amount],
      account: ctx.chain.account,
    });
    return { ...base, to, gasEstimate, simulationError: null };
  } catch (error) {
    const reason = decodeRevert(error) ?? (error instanceof Error ? error.message.split("\n")[0]! : String(error));
    return { ...base, to, gasEstimate: null, simulationError: reason };
  }
}
