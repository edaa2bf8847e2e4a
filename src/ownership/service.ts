import { and, eq, gt, isNull, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import type { ServiceContext } from "../context.js";
import { BaseError, NotFoundError } from "../errors.js";
import type { Database } from "../db/index.js";
import { digestSchema, nonEmpty, parseInput, uuidSchema } from "../validation.js";
import { lockOwnedAsset } from "../assets/service.js";
import { organization } from "../organizations/table.js";
import { RIGHT_TYPES, ownershipRight } from "./table.js";

export type OwnershipRight = typeof ownershipRight.$inferSelect;

export class OwnershipSharesInvalidError extends BaseError {
  readonly code = "OWNERSHIP_SHARES_INVALID";
  override name = "OwnershipSharesInvalidError";
  constructor(
    readonly rightType: (typeof RIGHT_TYPES)[number],
    readonly currentSumBps: number,
    readonly requestedBps: number,
  ) {
    super(
      `active ${rightType} shares already sum to ${currentSumBps} bps; adding ${requestedBps} would exceed 10000`,
    );
  }
}

const recordSchema = z
  .object({
    assetId: uuidSchema,
    holderOrgId: uuidSchema,
    rightType: z.enum(RIGHT_TYPES),
    shareBps: z.number().int().min(1, "must be at least 1 bps").max(10_000, "must be at most 10000 bps"),
    validFrom: z.coerce.date().nullish(),
    validUntil: z.coerce.date().nullish(),
    certificateNumber: z.string().trim().max(100).nullish(),
    documentDigest: digestSchema.nullish(),
  })
  .refine((v) => !v.validFrom || !v.validUntil || v.validUntil > v.validFrom, {
    path: ["validUntil"],
    message: "must be after validFrom",
  });
export type RecordOwnershipRightParams = z.input<typeof recordSchema>;

/** Condition for a right in force at `now`. */
export const activeAt = (now: Date) =>
  and(lte(ownershipRight.validFrom, now), or(isNull(ownershipRight.validUntil), gt(ownershipRight.validUntil, now)));

/**
 * Records a right over an asset (its owner organization only). The asset row is locked
 * for the transaction, so concurrent writers cannot push a right type past 10000 bps.
 */
export async function recordOwnershipRight(ctx: ServiceContext, input: RecordOwnershipRightParams): Promise<OwnershipRight> {
  const params = parseInput(recordSchema, input);
  return ctx.db.transaction(async (tx) => {
    await lockOwnedAsset(ctx, tx, params.assetId);
    const [holder] = await tx.select({ id: organization.id }).from(organization).where(eq(organization.id, params.holderOrgId));
    if (!holder) throw new NotFoundError("Organization", params.holderOrgId);
    const now = ctx.now();
    const [{ sum }] = (await tx
      .select({ sum: sql<number>`coalesce(sum(${ownershipRight.shareBps}), 0)::int` })
      .from(ownershipRight)
      .where(and(eq(ownershipRight.assetId, params.assetId), eq(ownershipRight.rightType, params.rightType), activeAt(now)))) as [
      { sum: number },
    ];
    if (sum + params.shareBps > 10_000) throw new OwnershipSharesInvalidError(params.rightType, sum, params.shareBps);
    const [row] = await tx
      .insert(ownershipRight)
      .values({ ...params, validFrom: params.validFrom ?? now })
      .returning();
    return row!;
  });
}

export async function listOwnershipRights(db: Database, assetId: string): Promise<OwnershipRight[]> {
  return db.select().from(ownershipRight).where(eq(ownershipRight.assetId, assetId)).orderBy(ownershipRight.createdAt);
}
