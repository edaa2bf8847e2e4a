/**
 * Token controls for the issuer acting as AGENT of its tranche tokens: pause/unpause,
 * freeze/unfreeze an address, forced transfer (wallet recovery). Each is validated,
 * checked against compliance where that makes sense, executed on chain (simulated first,
 * so a refusal names the contract's error), then recorded: the tranche's state as the
 * chain now has it, and an audit row naming who did what with which transaction.
 */
import { and, asc, desc, eq } from "drizzle-orm";
import { z } from "zod";
import type { Address } from "viem";
import type { ServiceContext } from "../context.js";
import { requireActor, requireSameOrganization } from "../context.js";
import type { Database, Transaction } from "../db/index.js";
import { ConflictError } from "../errors.js";
import { addressSchema } from "../chain/address.js";
import { baseUnitAmountSchema, nonEmpty, parseInput, uuidSchema } from "../validation.js";
import { getTranche, type Tranche } from "../offerings/service.js";
import { getInvestor } from "../investors/service.js";
import { auditedReport, evaluateForMint } from "../compliance/service.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { DataAssetTokenAbi, callToken } from "../chain/token.js";
import { InsufficientBalanceError } from "./errors.js";
import { frozenAddress, tokenControlAction, tokenControlState, type TokenControlActionKind } from "./table.js";

export type TokenControlAction = typeof tokenControlAction.$inferSelect;

/** The tranche, if the caller is an ISSUER of its offering's organization and its token exists. */
export async function agentTranche(ctx: ServiceContext, trancheId: string): Promise<Tranche & { tokenAddress: string }> {
  const actor = requireActor(ctx);
  const { tranche, offering } = await getTranche(ctx.db, trancheId);
  requireSameOrganization(actor, offering.issuerOrgId, "offering");
  if (!tranche.tokenAddress) throw new ConflictError(`tranche ${tranche.id} has no deployed token yet`);
  return tranche as Tranche & { tokenAddress: string };
}

/** Records a control and appends it to the offering's audit trail (with `evidence`, e.g. a compliance report), in `tx`. */
async function audit(
  ctx: ServiceContext,
  tx: Transaction,
  t: Tranche,
  row: Omit<typeof tokenControlAction.$inferInsert, "actorSubject" | "actorOrgId"> & { action: TokenControlActionKind },
  evidence: Record<string, unknown> = {},
): Promise<TokenControlAction> {
  const actor = requireActor(ctx);
  const [inserted] = await tx
    .insert(tokenControlAction)
    .values({ ...row, actorSubject: actor.subject, actorOrgId: actor.organizationId })
    .returning();
  const c = inserted!;
  await appendAuditEvent(tx, {
    ...auditActor(ctx),
    action: `token.${c.action.toLowerCase()}`,
    entityType: "Offering",
    entityId: t.offeringId,
    payload: {
      tokenControlActionId: c.id,
      trancheId: c.trancheId,
      tokenAddress: t.tokenAddress,
      account: c.account,
      toAccount: c.toAccount,
      amount: c.amount,
      reason: c.reason,
      txHash: c.txHash,
      ...evidence,
    },
  });
  return c;
}

const pauseSchema = z.object({ trancheId: uuidSchema, reason: nonEmpty(500).optional() });

/**
 * Pauses (or unpauses) every transfer and mint of a tranche's token. Pausing a paused
 * token is a `ConflictError`.
 * @example await setTokenPaused(ctx, { trancheId, paused: true, reason: "incident 42" });
 */
export async function setTokenPaused(
  ctx: ServiceContext,
  input: { trancheId: string; paused: boolean; reason?: string | null },
): Promise<TokenControlAction> {
  const params = parseInput(pauseSchema, { trancheId: input.trancheId, reason: input.reason ?? undefined });
  const t = await agentTranche(ctx, params.trancheId);
  const onChain = await ctx.chain.publicClient.readContract({
    address: t.tokenAddress as Address,
    abi: DataAssetTokenAbi,
    functionName: "paused",
  });
  if (onChain === input.paused) throw new ConflictError(`token of tranche ${t.id} is already ${input.paused ? "paused" : "unpaused"}`);
  const { txHash } = await callToken(ctx.chain, {
    token: t.tokenAddress as Address,
    functionName: input.paused ? "pause" : "unpause",
    args: [],
  });
  return ctx.db.transaction(async (tx) => {
    await tx
      .insert(tokenControlState)
      .values({ trancheId: t.id, paused: input.paused })
      .onConflictDoUpdate({ target: tokenControlState.trancheId, set: { paused: input.paused, updatedAt: new Date() } });
    return audit(ctx, tx, t, { trancheId: t.id, action: input.paused ? "PAUSE" : "UNPAUSE", reason: params.reason, txHash });
  });
}

const freezeSchema = z.object({ trancheId: uuidSchema, address: addressSchema, reason: nonEmpty(500).optional() });

/**
 * Freezes (or unfreezes) an address on a tranche's token: a frozen address can neither
 * send nor receive until unfrozen (forced transfers excepted).
 */
export async function setAddressFrozen(
  ctx: ServiceContext,
  input: { trancheId: string; address: string; frozen: boolean; reason?: string | null },
): Promise<TokenControlAction> {
  const params = parseInput(freezeSchema, { trancheId: input.trancheId, address: input.address, reason: input.reason ?? undefined });
  const t = await agentTranche(ctx, params.trancheId);
  const account = params.address.toLowerCase();
  const isFrozen = await ctx.chain.publicClient.readContract({
    address: t.tokenAddress as Address,
    abi: DataAssetTokenAbi,
    functionName: "isFrozen",
    args: [params.address],
  });
  if (isFrozen === input.frozen) throw new ConflictError(`${params.address} is already ${input.frozen ? "frozen" : "not frozen"}`);
  const { txHash } = await callToken(ctx.chain, {
    token: t.tokenAddress as Address,
    functionName: "setFrozen",
    args: [params.address, input.frozen],
  });
  return ctx.db.transaction(async (tx) => {
    if (input.frozen) {
      await tx.insert(frozenAddress).values({ trancheId: t.id, address: account, txHash }).onConflictDoNothing();
    } else {
      await tx.delete(frozenAddress).where(and(eq(frozenAddress.trancheId, t.id), eq(frozenAddress.address, account)));
    }
    return audit(ctx, tx, t, { trancheId: t.id, action: input.frozen ? "FREEZE" : "UNFREEZE", account, reason: params.reason, txHash });
  });
}

const forcedTransferSchema = z.object({
  trancheId: uuidSchema,
  from: addressSchema,
  toInvestorId: uuidSchema,
  amount: baseUnitAmountSchema,
  reason: nonEmpty(500),
});

/**
 * Recovery: moves `amount` base units from `from` (e.g. a lost or compromised wallet) to
 * an investor's wallet. The recipient must be an eligible investor: every requirement of
 * the tranche holds for them, including KYC and the whitelist. A reason is required.
 */
export async function forcedTransfer(
  ctx: ServiceContext,
  input: { trancheId: string; from: string; toInvestorId: string; amount: string; reason: string },
): Promise<TokenControlAction> {
  const params = parseInput(forcedTransferSchema, input);
  const t = await agentTranche(ctx, params.trancheId);
  const to = await getInvestor(ctx, params.toInvestorId);
  if (to.walletAddress.toLowerCase() === params.from.toLowerCase()) {
    throw new ConflictError("the recipient's wallet is the address tokens are taken from");
  }
  const report = await evaluateForMint(ctx.db, { trancheId: t.id, investorId: to.id }, ctx.now());
  if (!report.holds) throw new ComplianceNotSatisfiedError(report.unmet);
  const balance = await ctx.chain.publicClient.readContract({
    address: t.tokenAddress as Address,
    abi: DataAssetTokenAbi,
    functionName: "balanceOf",
    args: [params.from],
  });
  if (balance < BigInt(params.amount)) throw new InsufficientBalanceError(params.from, balance.toString(), params.amount);
  const { txHash } = await callToken(ctx.chain, {
    token: t.tokenAddress as Address,
    functionName: "forcedTransfer",
    args: [params.from, to.walletAddress as Address, BigInt(params.amount)],
  });
  return ctx.db.transaction((tx) =>
    audit(
      ctx,
      tx,
      t,
      {
        trancheId: t.id,
        action: "FORCED_TRANSFER",
        account: params.from.toLowerCase(),
        toAccount: to.walletAddress.toLowerCase(),
        amount: params.amount,
        reason: params.reason,
        txHash,
      },
      { toInvestorId: to.id, compliance: auditedReport(report) },
    ),
  );
}

/** The tranche token's control state as recorded from confirmed transactions. */
export async function getTokenControlState(db: Database, trancheId: string): Promise<{ paused: boolean; frozenAddresses: string[] }> {
  const [state] = await db.select().from(tokenControlState).where(eq(tokenControlState.trancheId, trancheId));
  const frozen = await db
    .select({ address: frozenAddress.address })
    .from(frozenAddress)
    .where(eq(frozenAddress.trancheId, trancheId))
    .orderBy(asc(frozenAddress.createdAt));
  return { paused: state?.paused ?? false, frozenAddresses: frozen.map((f) => f.address) };
}

/** The audit trail of a tranche's token controls, newest first. */
export async function listTokenControlActions(db: Database, trancheId: string): Promise<TokenControlAction[]> {
  return db
    .select()
    .from(tokenControlAction)
    .where(eq(tokenControlAction.trancheId, trancheId))
    .orderBy(desc(tokenControlAction.createdAt));
}
