import { and, eq, gt, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { BaseError, NotFoundError } from "../errors.js";
import type { Transaction } from "../db/index.js";
import { dateTimeSchema, digestSchema, parseInput, text, uuidSchema } from "../validation.js";
import { lockOwnedAsset } from "../assets/service.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { organization } from "../organizations/table.js";
import { RIGHT_TYPES, ownershipRight } from "./table.js";

export type OwnershipRight = typeof ownershipRight.$inferSelect;
export type RightType = (typeof RIGHT_TYPES)[number];

/**
 * A write would leave a right type's active shares summing to neither 0 (none recorded) nor
 * exactly 10000 bps, now or at some instant of the validity windows on record.
 */
export class OwnershipSharesInvalidError extends BaseError {
  readonly code = "OWNERSHIP_SHARES_INVALID";
  override name = "OwnershipSharesInvalidError";
  constructor(
    readonly rightType: RightType,
    /** Active shares of this right type now, before the refused write. */
    readonly currentSumBps: number,
    /** Shares the refused write asked for (the sum of the set, for a set). */
    readonly requestedBps: number,
    /** The sum the write would have left, and when. */
    readonly resultingSumBps: number,
    readonly at: Date,
  ) {
    super(
      `active ${rightType} shares must sum to exactly 10000 bps (or 0): they sum to ${currentSumBps} now, and this write of ${requestedBps} bps would leave ${resultingSumBps} at ${at.toISOString()}`,
    );
  }
}

const rightFields = {
  holderOrgId: uuidSchema,
  shareBps: z.number().int().min(1, "must be at least 1 bps").max(10_000, "must be at most 10000 bps"),
  validFrom: dateTimeSchema.nullish(),
  validUntil: dateTimeSchema.nullish(),
  certificateNumber: text().trim().max(100).nullish(),
  documentDigest: digestSchema.nullish(),
};
const windowRule = [
  (v: { validFrom?: Date | null; validUntil?: Date | null }) => !v.validFrom || !v.validUntil || v.validUntil > v.validFrom,
  { path: ["validUntil"], message: "must be after validFrom" },
] as const;

const recordSchema = z
  .object({ assetId: uuidSchema, rightType: z.enum(RIGHT_TYPES), ...rightFields })
  .refine(windowRule[0], { ...windowRule[1], path: [...windowRule[1].path] });
export type RecordOwnershipRightParams = z.input<typeof recordSchema>;

const recordSetSchema = z.object({
  assetId: uuidSchema,
  rightType: z.enum(RIGHT_TYPES),
  rights: z.array(z.object(rightFields).refine(windowRule[0], { ...windowRule[1], path: [...windowRule[1].path] })).max(100),
});
export type RecordOwnershipRightsParams = z.input<typeof recordSetSchema>;

/** Condition for a right in force at `now`. */
export const activeAt = (now: Date) =>
  and(lte(ownershipRight.validFrom, now), or(isNull(ownershipRight.validUntil), gt(ownershipRight.validUntil, now)));

type Window = { shareBps: number; validFrom: Date; validUntil: Date | null };
const inForce = (r: Window, t: Date) => r.validFrom <= t && (r.validUntil === null || r.validUntil > t);
const sumAt = (rights: Window[], t: Date) => rights.filter((r) => inForce(r, t)).reduce((s, r) => s + r.shareBps, 0);

/**
 * The rule, checked over time: from `now` on, at every instant where the set of rights in
 * force can change (a window opens or closes), their shares sum to 0 or to exactly 10000.
 * Answers the first instant that breaks it, with the sum there.
 */
function firstBreach(rights: Window[], now: Date): { at: Date; sum: number } | undefined {
  const instants = [now, ...rights.flatMap((r) => [r.validFrom, ...(r.validUntil ? [r.validUntil] : [])]).filter((t) => t > now)];
  instants.sort((a, b) => a.getTime() - b.getTime());
  for (const t of instants) {
    const sum = sumAt(rights, t);
    if (sum !== 0 && sum !== 10_000) return { at: t, sum };
  }
  return undefined;
}

async function requireOrganizations(tx: Transaction, ids: string[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const found = await tx.select({ id: organization.id }).from(organization).where(inArray(organization.id, unique));
  const missing = unique.find((id) => !found.some((f) => f.id === id));
  if (missing) throw new NotFoundError("Organization", missing);
}

/** Rights of one type not yet expired at `now` (in force or starting later). */
async function currentAndFuture(tx: Transaction, assetId: string, rightType: RightType, now: Date) {
  return tx
    .select()
    .from(ownershipRight)
    .where(
      and(
        eq(ownershipRight.assetId, assetId),
        eq(ownershipRight.rightType, rightType),
        or(isNull(ownershipRight.validUntil), gt(ownershipRight.validUntil, now)),
      ),
    );
}

/**
 * Records one right over an asset (its owner organization only). The write is refused with
 * `OwnershipSharesInvalidError` unless the right type still sums to exactly 10000 bps (or 0)
 * afterwards, so one call can only record a whole (10000 bps) holding, or a right whose
 * window takes over from one that ends: partial holders are recorded together with
 * `recordOwnershipRights`. The asset row is locked for the transaction, so concurrent
 * writers are serialized and cannot break the rule between check and insert.
 */
export async function recordOwnershipRight(ctx: ServiceContext, input: RecordOwnershipRightParams): Promise<OwnershipRight> {
  const params = parseInput(recordSchema, input);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    await lockOwnedAsset(ctx, tx, params.assetId);
    await requireOrganizations(tx, [params.holderOrgId]);
    const existing = await currentAndFuture(tx, params.assetId, params.rightType, now);
    const validFrom = params.validFrom ?? now;
    const breach = firstBreach([...existing, { shareBps: params.shareBps, validFrom, validUntil: params.validUntil ?? null }], now);
    if (breach) throw new OwnershipSharesInvalidError(params.rightType, sumAt(existing, now), params.shareBps, breach.sum, breach.at);
    const [row] = await tx
      .insert(ownershipRight)
      .values({ ...params, validFrom })
      .returning();
    await appendAuditEvent(
      tx,
      {
        ...auditActor(ctx),
        action: "ownership.right_recorded",
        entityType: "DataAsset",
        entityId: params.assetId,
        payload: { right: row },
      },
      now,
    );
    return row!;
  });
}

/**
 * Replaces the set of current and future rights of one type over an asset, atomically: the
 * rights in force end now, those not yet started are closed before they begin (history is
 * kept, never deleted), and the given set is recorded. The new set must sum to exactly 10000
 * bps at every instant from now on (or be empty: the right type is then unrecorded);
 * otherwise nothing changes and `OwnershipSharesInvalidError` carries the current sum.
 * @example await recordOwnershipRights(ctx, { assetId, rightType: "PROCESSING_USE", rights: [{ holderOrgId: a, shareBps: 6000 }, { holderOrgId: b, shareBps: 4000 }] });
 */
export async function recordOwnershipRights(ctx: ServiceContext, input: RecordOwnershipRightsParams): Promise<OwnershipRight[]> {
  const params = parseInput(recordSetSchema, input);
  const now = ctx.now();
  return ctx.db.transaction(async (tx) => {
    await lockOwnedAsset(ctx, tx, params.assetId);
    await requireOrganizations(
      tx,
      params.rights.map((r) => r.holderOrgId),
    );
    const existing = await currentAndFuture(tx, params.assetId, params.rightType, now);
    const next = params.rights.map((r) => ({ ...r, validFrom: r.validFrom ?? now, validUntil: r.validUntil ?? null }));
    const breach = firstBreach(next, now);
    const requested = next.reduce((s, r) => s + r.shareBps, 0);
    if (breach) throw new OwnershipSharesInvalidError(params.rightType, sumAt(existing, now), requested, breach.sum, breach.at);
    if (existing.length > 0) {
      await tx
        .update(ownershipRight)
        .set({ validUntil: sql`greatest(${ownershipRight.validFrom}, ${now.toISOString()}::timestamptz)` })
        .where(
          inArray(
            ownershipRight.id,
            existing.map((r) => r.id),
          ),
        );
    }
    const rows = next.length
      ? await tx
          .insert(ownershipRight)
          .values(next.map((r) => ({ ...r, assetId: params.assetId, rightType: params.rightType })))
          .returning()
      : [];
    await appendAuditEvent(
      tx,
      {
        ...auditActor(ctx),
        action: "ownership.rights_replaced",
        entityType: "DataAsset",
        entityId: params.assetId,
        payload: { rightType: params.rightType, ended: existing.map((r) => r.id), rights: rows },
      },
      now,
    );
    return rows;
  });
}
