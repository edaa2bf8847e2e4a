import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { hasRole, investorIdOf, requireActor, requireSameOrganization } from "../context.js";
import { BaseError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import { baseUnitAmountSchema, isPostgresTimestamp, parseInput, text, uuidSchema } from "../validation.js";
import { OfferingNotOpenError } from "../offerings/errors.js";
import {
  auditedReport,
  evaluateBulkMintSubject,
  evaluateMintSubject,
  loadBulkMintSubject,
  loadMintSubject,
  type ComplianceReport,
} from "../compliance/service.js";
import { appendAuditEvent, appendAuditEvents, auditActor } from "../audit/service.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { enqueue, enqueueMany } from "../queue/service.js";
import { BulkMintRefusedError, IdempotencyKeyReusedError, SupplyCapExceededError, type BulkMintItemError } from "./errors.js";
import { MINT_STATUSES, mintRequest } from "./table.js";
import { lockTrancheSupply } from "../settlement/service.js";
import { DEFAULTS } from "../config.js";

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

/** The audit event of a recorded request: the decision and every fact it rested on. */
function requestedEvent(
  ctx: ServiceContext,
  row: MintRequest,
  facts: { offeringId: string; tokenAddress: string; supplyCap: string; report: ComplianceReport },
  requestedBefore: string,
) {
  return {
    ...auditActor(ctx),
    action: "mint.requested",
    entityType: "MintRequest",
    entityId: row.id,
    payload: {
      organizationId: row.requestedByOrgId,
      idempotencyKey: row.idempotencyKey,
      offeringId: facts.offeringId,
      trancheId: row.trancheId,
      tokenAddress: facts.tokenAddress,
      investorId: row.investorId,
      recipient: row.recipient,
      amount: row.amount,
      supply: { cap: facts.supplyCap, requestedBefore },
      compliance: auditedReport(facts.report),
    },
  };
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
  const closed = notOpen(offering, now);
  if (closed) throw closed;

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
      await appendAuditEvent(
        tx,
        requestedEvent(ctx, row, { offeringId: offering.id, tokenAddress: t.tokenAddress!, supplyCap: t.supplyCap, report }, total),
      );
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

type OfferingRow = NonNullable<Awaited<ReturnType<typeof loadMintSubject>>["offering"]>;

/** Why a request for this offering may not be made now (after compliance, so an unmet requirement is named first). */
function notOpen(offering: OfferingRow, now: Date): OfferingNotOpenError | undefined {
  const inWindow = (!offering.opensAt || offering.opensAt <= now) && (!offering.closesAt || now < offering.closesAt);
  if (offering.status === "OPEN" && inWindow) return undefined;
  return new OfferingNotOpenError(offering.id, offering.status, offering.opensAt, offering.closesAt);
}

/** One item of a bulk request that passed every check, with what its audit event rests on. */
type BulkItem = {
  index: number;
  params: z.output<typeof requestMintSchema>;
  id: string;
  recipient: string;
  offeringId: string;
  tokenAddress: string;
  supplyCap: string;
  report: ComplianceReport;
};

/**
 * Requests many mints at once (an issuer's close: hundreds of investors), each item as
 * `requestMint` would take it, with its own idempotency key. All or nothing: every item is
 * checked (input, key, tranche, organization, compliance, token, offering window, supply cap)
 * and if any would be refused, `BulkMintRefusedError` names each refused item with the error
 * `requestMint` would have answered, and nothing is recorded. Otherwise the new requests,
 * their outbox jobs and their audit events are written in one transaction, and the list comes
 * back in the items' order; an item whose key was used before with the same parameters
 * returns that earlier request (resending the whole list is safe).
 */
export async function requestMints(ctx: ServiceContext, input: { items: RequestMintParams[] }, retried = false): Promise<MintRequest[]> {
  const actor = requireActor(ctx);
  const items = input.items ?? [];
  if (items.length === 0 || items.length > DEFAULTS.bulkMintMaxItems) {
    throw new ValidationError([{ path: "items", message: `must hold 1 to ${DEFAULTS.bulkMintMaxItems} items (got ${items.length})` }]);
  }
  const refused: BulkMintItemError[] = [];
  const refuse = (index: number, idempotencyKey: string | null, error: unknown) => {
    if (!(error instanceof BaseError)) throw error;
    refused.push({ index, idempotencyKey, error, code: error.code, message: error.message, retryable: error.retryable });
  };

  // Input, and keys repeated within the list.
  const parsed: { index: number; params: z.output<typeof requestMintSchema> }[] = [];
  const firstWithKey = new Map<string, number>();
  for (const [index, item] of items.entries()) {
    let params: z.output<typeof requestMintSchema>;
    try {
      params = parseInput(requestMintSchema, item);
    } catch (error) {
      refuse(index, typeof item?.idempotencyKey === "string" ? item.idempotencyKey : null, error);
      continue;
    }
    const first = firstWithKey.get(params.idempotencyKey);
    if (first !== undefined) {
      refuse(index, params.idempotencyKey, new ValidationError([{ path: "idempotencyKey", message: `repeats the key of item ${first}` }]));
      continue;
    }
    firstWithKey.set(params.idempotencyKey, index);
    parsed.push({ index, params });
  }

  // Keys used before: the same parameters return that request, others are refused as requestMint refuses them.
  const results: MintRequest[] = new Array(items.length);
  const keys = parsed.map((p) => p.params.idempotencyKey);
  const earlier =
    keys.length === 0
      ? []
      : await ctx.db
          .select()
          .from(mintRequest)
          .where(and(eq(mintRequest.requestedByOrgId, actor.organizationId), inArray(mintRequest.idempotencyKey, keys)));
  const earlierByKey = new Map(earlier.map((r) => [r.idempotencyKey, r]));
  const fresh: typeof parsed = [];
  for (const p of parsed) {
    const existing = earlierByKey.get(p.params.idempotencyKey);
    if (!existing) {
      fresh.push(p);
      continue;
    }
    try {
      results[p.index] = sameOrReused(existing, p.params);
    } catch (error) {
      refuse(p.index, p.params.idempotencyKey, error);
    }
  }

  // Each tranche and its recipients read once, its requirements evaluated once.
  const byTranche = new Map<string, typeof fresh>();
  for (const p of fresh) {
    const group = byTranche.get(p.params.trancheId);
    if (group) group.push(p);
    else byTranche.set(p.params.trancheId, [p]);
  }
  const now = ctx.now();
  const accepted: BulkItem[] = [];
  let forbidden = false;
  await Promise.all(
    [...byTranche].map(async ([trancheId, group]) => {
      const subject = await loadBulkMintSubject(
        ctx.db,
        trancheId,
        group.map((p) => p.params.investorId),
      );
      const { tranche: t, offering } = subject;
      let reports: Map<string, ComplianceReport> | undefined;
      let trancheError: unknown;
      // Another organization's offering refuses the whole call, as requestMint refuses it: it is the caller's access, not an item's fault.
      if (offering && offering.issuerOrgId !== actor.organizationId) {
        forbidden = true;
        return;
      }
      try {
        if (!t || !offering) throw new NotFoundError("Tranche", trancheId);
        reports = await evaluateBulkMintSubject(ctx.db, subject, now);
      } catch (error) {
        trancheError = error;
      }
      for (const p of group) {
        const key = p.params.idempotencyKey;
        if (trancheError || !reports || !t || !offering) {
          refuse(p.index, key, trancheError);
          continue;
        }
        const inv = subject.investors.get(p.params.investorId);
        const report = reports.get(p.params.investorId);
        if (!inv || !report) refuse(p.index, key, new NotFoundError("Investor", p.params.investorId));
        else if (!report.holds) refuse(p.index, key, new ComplianceNotSatisfiedError(report.unmet));
        else if (!t.tokenAddress) refuse(p.index, key, new ConflictError(`tranche ${t.id} has no deployed token yet`));
        else if (notOpen(offering, now)) refuse(p.index, key, notOpen(offering, now));
        else {
          accepted.push({
            ...p,
            id: randomUUID(),
            recipient: inv.investor.walletAddress,
            offeringId: offering.id,
            tokenAddress: t.tokenAddress,
            supplyCap: t.supplyCap,
            report,
          });
        }
      }
    }),
  );
  if (forbidden) throw new ForbiddenError("an offering of the list belongs to another organization");
  const refusedNow = () => new BulkMintRefusedError(refused.sort((x, y) => x.index - y.index));
  if (refused.length > 0) throw refusedNow();

  if (accepted.length > 0) {
    accepted.sort((x, y) => x.index - y.index);
    const created = await ctx.db
      .transaction(async (tx) => {
        // The tranche locks in one order (by id), so two bulk calls cannot deadlock; each
        // tranche's items are counted against its cap in the list's order.
        const requestedBefore = new Map<string, string>();
        for (const trancheId of [...new Set(accepted.map((i) => i.params.trancheId))].sort()) {
          let total = await lockTrancheSupply(tx, trancheId);
          for (const item of accepted.filter((i) => i.params.trancheId === trancheId)) {
            requestedBefore.set(item.id, total.toString());
            const amount = BigInt(item.params.amount);
            if (total + amount > BigInt(item.supplyCap)) {
              refuse(
                item.index,
                item.params.idempotencyKey,
                new SupplyCapExceededError(item.supplyCap, total.toString(), item.params.amount),
              );
            } else total += amount;
          }
        }
        if (refused.length > 0) throw refusedNow();
        const [rows] = await Promise.all([
          tx
            .insert(mintRequest)
            .values(
              accepted.map((i) => ({
                id: i.id,
                requestedByOrgId: actor.organizationId,
                requestedBy: actor.subject,
                idempotencyKey: i.params.idempotencyKey,
                trancheId: i.params.trancheId,
                investorId: i.params.investorId,
                recipient: i.recipient,
                amount: i.params.amount,
              })),
            )
            .onConflictDoNothing({ target: [mintRequest.requestedByOrgId, mintRequest.idempotencyKey] })
            .returning(),
          enqueueMany(
            tx,
            MINT_QUEUE,
            accepted.map((i) => ({ mintRequestId: i.id, trancheId: i.params.trancheId })),
          ),
        ]);
        // A concurrent call took one of the keys: roll back everything and read the list again.
        if (rows.length !== accepted.length) throw new KeyTakenError();
        const byId = new Map(rows.map((r) => [r.id, r]));
        await appendAuditEvents(
          tx,
          accepted.map((i) => requestedEvent(ctx, byId.get(i.id)!, i, requestedBefore.get(i.id)!)),
        );
        return byId;
      })
      .catch((error) => {
        if (error instanceof KeyTakenError) return undefined;
        throw error;
      });
    // Lost a key to a concurrent call: once more, now finding its request among the earlier ones.
    if (!created) {
      if (retried) throw new ConflictError("the idempotency keys of this list are being used by concurrent calls; send it again");
      return requestMints(ctx, input, true);
    }
    for (const item of accepted) results[item.index] = created.get(item.id)!;
    ctx.wakeWorker("mint");
  }
  return results;
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
