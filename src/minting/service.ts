import { randomUUID } from "node:crypto";
import { and, desc, eq, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { hasRole, investorIdOf, requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { baseUnitAmountSchema, isPostgresTimestamp, parseInput, text, uuidSchema } from "../validation.js";
import { OfferingNotOpenError } from "../offerings/errors.js";
import { auditedReport, evaluateMintSubject, loadMintSubject } from "../compliance/service.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { enqueue } from "../queue/service.js";
import { IdempotencyKeyReusedError, SupplyCapExceededError } from "./errors.js";
import { MINT_STATUSES, mintRequest } from "./table.js";
import { lockTrancheSupply } from "../settlement/service.js";

export type MintRequest = typeof mintRequest.$inferSelect;
export const MINT_QUEUE = "mint";

const requestMintSchema = z.object({
  idempotencyKey: text().trim().min(1, "must not be empty").max(200),
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
  const same = existing.trancheId === params.trancheId && existing.investorId === params.investorId && existing.amount === params.amount;
  if (!same) throw new IdempotencyKeyReusedError(params.idempotencyKey, existing.id);
  return existing;
}

/** Rolls back a request whose idempotency key another call inserted first. */
class KeyTakenError extends Error {}

/**
 * Requests a mint of `amount` base units of a tranche's token to an investor. Refused with
 * `ComplianceNotSatisfiedError` unless every requirement holds, and with `OfferingNotOpenError`
 * unless the offering is OPEN and within its subscription window. Writes the request and its
 * outbox job in one transaction and returns at once (REQUESTED); the worker does the rest.
 * The same key from the same organization returns the same request.
 */
export async function requestMint(ctx: ServiceContext, input: RequestMintParams): Promise<MintRequest> {
  const actor = requireActor(ctx);
  const params = parseInput(requestMintSchema, input);
  // The key, the tranche and the recipient are read together; the checks below keep their order.
  const [existing, subject] = await Promise.all([
    findByKey(ctx, actor.organizationId, params.idempotencyKey),
    loadMintSubject(ctx.db, { trancheId: params.trancheId, investorId: params.investorId }),
  ]);
  if (existing) return sameOrReused(existing, params);

  const { tranche: t, offering, investor: inv } = subject;
  if (!t || !offering) throw new NotFoundError("Tranche", params.trancheId);
  requireSameOrganization(actor, offering.issuerOrgId, "offering");
  if (!inv) throw new NotFoundError("Investor", params.investorId);
  const now = ctx.now();
  const report = await evaluateMintSubject(ctx.db, subject, now);
  if (!report.holds) throw new ComplianceNotSatisfiedError(report.unmet);
  if (!t.tokenAddress) throw new ConflictError(`tranche ${t.id} has no deployed token yet`);
  // After compliance, so an unmet requirement is named first. Checked at request time: a mint
  // requested while OPEN settles even if the offering closes before the worker sends it.
  const inWindow = (!offering.opensAt || offering.opensAt <= now) && (!offering.closesAt || now < offering.closesAt);
  if (offering.status !== "OPEN" || !inWindow) {
    throw new OfferingNotOpenError(offering.id, offering.status, offering.opensAt, offering.closesAt);
  }

  // The tranche row lock serializes mints and subscriptions of one tranche, so the cap check cannot
  // race. Every other request of the tranche waits on it, so it is held for as few round trips as
  // possible: the sums are sent with the lock (PostgreSQL runs them once the lock is granted, with
  // a snapshot taken after it) and the request is written together with its outbox job.
  const requestId = randomUUID();
  const created = await ctx.db
    .transaction(async (tx) => {
      const total = (await lockTrancheSupply(tx, t.id)).toString();
      if (BigInt(total) + BigInt(params.amount) > BigInt(t.supplyCap)) {
        throw new SupplyCapExceededError(t.supplyCap, total, params.amount);
      }
      const [[row]] = await Promise.all([
        tx
          .insert(mintRequest)
          .values({
            id: requestId,
            requestedByOrgId: actor.organizationId,
            requestedBy: actor.subject,
            idempotencyKey: params.idempotencyKey,
            trancheId: t.id,
            investorId: inv.id,
            recipient: inv.walletAddress,
            amount: params.amount,
          })
          .onConflictDoNothing({ target: [mintRequest.requestedByOrgId, mintRequest.idempotencyKey] })
          .returning(),
        // The tranche in the payload lets a worker claim the waiting jobs of one tranche together (one mintBatch).
        enqueue(tx, MINT_QUEUE, { mintRequestId: requestId, trancheId: t.id }),
      ]);
      // A concurrent call with the same key won the insert: roll back (the job too).
      if (!row) throw new KeyTakenError();
      // The decision and everything it rested on: "why was this mint allowed?" from the trail alone.
      await appendAuditEvent(tx, {
        ...auditActor(ctx),
        action: "mint.requested",
        entityType: "MintRequest",
        entityId: row.id,
        payload: {
          organizationId: row.requestedByOrgId,
          idempotencyKey: row.idempotencyKey,
          offeringId: offering.id,
          trancheId: row.trancheId,
          tokenAddress: t.tokenAddress,
          investorId: row.investorId,
          recipient: row.recipient,
          amount: row.amount,
          supply: { cap: t.supplyCap, requestedBefore: total },
          compliance: auditedReport(report),
        },
      });
      return row;
    })
    .catch((error) => {
      if (error instanceof KeyTakenError) return undefined;
      throw error;
    });
  if (!created) {
    const winner = await findByKey(ctx, actor.organizationId, params.idempotencyKey);
    return sameOrReused(winner!, params);
  }
  ctx.wakeWorker("mint");
  return created;
}

/**
 * The mint requests a caller reads, as a condition: a signed-in investor, those to them (the
 * rule subscriptions and redemptions follow); compliance and operators, all; anyone else, their
 * organization's. Unauthenticated without a caller.
 */
function readableMintRequests(ctx: ServiceContext): SQL | undefined {
  const investorId = investorIdOf(ctx);
  if (investorId) return eq(mintRequest.investorId, investorId);
  const actor = requireActor(ctx);
  return hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN") ? undefined : eq(mintRequest.requestedByOrgId, actor.organizationId);
}

/** A mint request, visible to the organization that made it, to compliance/admin and to the receiving investor signed in. */
export async function getMintRequest(ctx: ServiceContext, id: string): Promise<MintRequest> {
  const readable = readableMintRequests(ctx);
  const requestId = parseInput(uuidSchema, id);
  const [row] = await ctx.db
    .select()
    .from(mintRequest)
    .where(and(eq(mintRequest.id, requestId), readable));
  if (!row) throw new NotFoundError("MintRequest", id);
  return row;
}

const listSchema = z.object({
  status: z.enum(MINT_STATUSES).optional(),
  trancheId: uuidSchema.optional(),
  first: z.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(20),
  after: z.string().optional(),
});
/**
 * The cursor: the creation time as PostgreSQL printed it and the id. The time keeps its full
 * microsecond precision; a JS Date would cut it to milliseconds, and every row created in the
 * same millisecond as a page's last row (or in its transaction) would then be skipped.
 */
type Cursor = { createdAt: string; id: string };
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c satisfies Cursor)).toString("base64url");
function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return z.object({ createdAt: z.string().refine(isPostgresTimestamp), id: z.string().uuid() }).parse(parsed);
  } catch {
    throw new ValidationError([{ path: "after", message: "is not a cursor from this API" }]);
  }
}

/**
 * Mint requests the caller may see (its organization's; all for compliance/admin; a signed-in investor's own), newest
 * first, filtered by status and tranche. Forward pagination: `first` ≤ 100, `after` a cursor.
 */
export async function listMintRequests(
  ctx: ServiceContext,
  input: { status?: string | null; trancheId?: string | null; first?: number | null; after?: string | null },
): Promise<{ edges: { node: MintRequest; cursor: string }[]; hasNextPage: boolean }> {
  const readable = readableMintRequests(ctx);
  const params = parseInput(listSchema, {
    status: input.status ?? undefined,
    trancheId: input.trancheId ?? undefined,
    first: input.first ?? undefined,
    after: input.after ?? undefined,
  });
  const conditions: (SQL | undefined)[] = [
    readable,
    params.status ? eq(mintRequest.status, params.status) : undefined,
    params.trancheId ? eq(mintRequest.trancheId, params.trancheId) : undefined,
  ];
  if (params.after) {
    const c = decodeCursor(params.after);
    conditions.push(sql`(${mintRequest.createdAt}, ${mintRequest.id}) < (${c.createdAt}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await ctx.db
    .select({ row: mintRequest, createdAtKey: sql<string>`${mintRequest.createdAt}::text` })
    .from(mintRequest)
    .where(and(...conditions))
    .orderBy(desc(mintRequest.createdAt), desc(mintRequest.id))
    .limit(params.first + 1);
  return {
    edges: rows.slice(0, params.first).map(({ row, createdAtKey }) => ({
      node: row,
      cursor: encodeCursor({ createdAt: createdAtKey, id: row.id }),
    })),
    hasNextPage: rows.length > params.first,
  };
}

/** What a client should do about a request that ended without minting. */
function actionFor(errorCode: string | null, revertReason: string | null): string {
  const again = "Nothing was minted: send requestMint again with a NEW idempotency key";
  if (errorCode === "COMPLIANCE_NOT_SATISFIED") {
    return `${again} once every requirement holds (query complianceReport for the tranche and investor to see what is unmet).`;
  }
  if (errorCode === "REVERTED") {
    switch (revertReason?.split("(")[0]) {
      case "NotWhitelisted":
        return `${again} after the recipient is whitelisted on the tranche's token (whitelistInvestor).`;
      case "AccountFrozen":
        return `${again} after the agent unfreezes the recipient (unfreezeAddress).`;
      case "EnforcedPause":
        return `${again} after the agent unpauses the token (unpauseToken).`;
      default:
        return `${again} after fixing the cause the token gave (${revertReason ?? "unknown"}).`;
    }
  }
  return `${again}; the failure was in the infrastructure (chain or database), so the same request may succeed later. If it keeps failing, contact the operator.`;
}

/**
 * Why a mint request ended without minting, and what to do about it. A plain value (not a
 * thrown error): it is part of the request's state. `reason` is the request's error code,
 * `revertReason` the decoded contract error.
 */
export type MintFailure = {
  name: "MintFailedError";
  code: "MINT_FAILED";
  message: string;
  retryable: boolean;
  requestId: string;
  status: MintRequest["status"];
  reason: string;
  revertReason: string | null;
  action: string;
};

/** The failure of a FAILED or REVERTED request, with what to do next; null otherwise. */
export function mintFailure(m: MintRequest): MintFailure | null {
  if (m.status !== "FAILED" && m.status !== "REVERTED") return null;
  const reason = m.errorCode ?? (m.status === "REVERTED" ? "REVERTED" : "MINT_FAILED");
  return {
    name: "MintFailedError",
    code: "MINT_FAILED",
    message: m.errorMessage ?? `mint request ${m.id} ${m.status.toLowerCase()}`,
    // Only an infrastructure failure may succeed unchanged; compliance and reverts need a fix first.
    retryable: reason === "MINT_FAILED",
    requestId: m.id,
    status: m.status,
    reason,
    revertReason: m.revertReason,
    action: actionFor(reason, m.revertReason),
  };
}
