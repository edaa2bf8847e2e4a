import { and, eq, notInArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { baseUnitAmountSchema, parseInput, uuidSchema } from "../validation.js";
import { getTranche } from "../offerings/service.js";
import { tranche } from "../offerings/table.js";
import { getInvestor } from "../investors/service.js";
import { evaluateForMint } from "../compliance/service.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { enqueue } from "../queue/service.js";
import { IdempotencyKeyReusedError, SupplyCapExceededError } from "./errors.js";
import { mintRequest } from "./table.js";

export type MintRequest = typeof mintRequest.$inferSelect;
export const MINT_QUEUE = "mint";

const requestMintSchema = z.object({
  idempotencyKey: z.string().trim().min(1, "must not be empty").max(200),
  trancheId: uuidSchema,
  investorId: uuidSchema,
  amount: baseUnitAmountSchema,
});
export type RequestMintParams = z.input<typeof requestMintSchema>;

async function findByKey(ctx: ServiceContext, organizationId: string, key: string) {
  const [row] = await ctx.db
    .select()
    .from(mintRequest)
    .where(and(eq(mintRequest.requestedByOrgId, organizationId), eq(mintRequest.idempotencyKey, key)));
  return row;
}

function sameOrReused(existing: MintRequest, params: z.output<typeof requestMintSchema>): MintRequest {
  const same =
    existing.trancheId === params.trancheId && existing.investorId === params.investorId && existing.amount === params.amount;
  if (!same) throw new IdempotencyKeyReusedError(params.idempotencyKey, existing.id);
  return existing;
}

/**
 * Requests a mint of `amount` base units of a tranche's token to an investor. Refused with
 * `ComplianceNotSatisfiedError` unless every requirement holds. Writes the request and its
 * outbox job in one transaction and returns at once (REQUESTED); the worker does the rest.
 * The same key from the same organization returns the same request.
 */
export async function requestMint(ctx: ServiceContext, input: RequestMintParams): Promise<MintRequest> {
  const actor = requireActor(ctx);
  const params = parseInput(requestMintSchema, input);
  const existing = await findByKey(ctx, actor.organizationId, params.idempotencyKey);
  if (existing) return sameOrReused(existing, params);

  const { tranche: t, offering } = await getTranche(ctx.db, params.trancheId);
  requireSameOrganization(actor, offering.issuerOrgId, "offering");
  const inv = await getInvestor(ctx, params.investorId);
  const report = await evaluateForMint(ctx.db, { trancheId: t.id, investorId: inv.id }, ctx.now());
  if (!report.holds) throw new ComplianceNotSatisfiedError(report.unmet);
  if (!t.tokenAddress) throw new ConflictError(`tranche ${t.id} has no deployed token yet`);

  const created = await ctx.db.transaction(async (tx) => {
    // The tranche row lock serializes mints of one tranche, so the cap check cannot race.
    await tx.select({ id: tranche.id }).from(tranche).where(eq(tranche.id, t.id)).for("update");
    const [{ total }] = (await tx
      .select({ total: sql<string>`coalesce(sum(${mintRequest.amount}), 0)::text` })
      .from(mintRequest)
      .where(and(eq(mintRequest.trancheId, t.id), notInArray(mintRequest.status, ["FAILED", "REVERTED"])))) as [
      { total: string },
    ];
    if (BigInt(total) + BigInt(params.amount) > BigInt(t.supplyCap)) {
      throw new SupplyCapExceededError(t.supplyCap, total, params.amount);
    }
    const [row] = await tx
      .insert(mintRequest)
      .values({
        requestedByOrgId: actor.organizationId,
        requestedBy: actor.subject,
        idempotencyKey: params.idempotencyKey,
        trancheId: t.id,
        investorId: inv.id,
        recipient: inv.walletAddress,
        amount: params.amount,
      })
      .onConflictDoNothing({ target: [mintRequest.requestedByOrgId, mintRequest.idempotencyKey] })
      .returning();
    // The tranche in the payload lets a worker claim the waiting jobs of one tranche together (one mintBatch).
    if (row) await enqueue(tx, MINT_QUEUE, { mintRequestId: row.id, trancheId: t.id });
    return row;
  });
  if (!created) {
    // A concurrent call with the same key won the insert.
    const winner = await findByKey(ctx, actor.organizationId, params.idempotencyKey);
    return sameOrReused(winner!, params);
  }
  ctx.wakeWorker();
  return created;
}

/** A mint request, visible to the organization that made it and to compliance/admin. */
export async function getMintRequest(ctx: ServiceContext, id: string): Promise<MintRequest> {
  const actor = requireActor(ctx);
  const requestId = parseInput(uuidSchema, id);
  const [row] = await ctx.db.select().from(mintRequest).where(eq(mintRequest.id, requestId));
  const mayRead =
    row && (row.requestedByOrgId === actor.organizationId || actor.roles.some((r) => r === "COMPLIANCE_OFFICER" || r === "ADMIN"));
  if (!row || !mayRead) throw new NotFoundError("MintRequest", id);
  return row;
}
