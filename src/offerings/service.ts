import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { getAddress, type Hex } from "viem";
import type { ServiceContext } from "../context.js";
import { requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { Database } from "../db/index.js";
import { baseUnitAmountSchema, digestSchema, nonEmpty, parseInput, uuidSchema } from "../validation.js";
import { dataAsset } from "../assets/table.js";
import { PUBLISHED_STATUSES } from "../assets/lifecycle.js";
import { systemTransition } from "../assets/service.js";
import { INVESTOR_CLASSES } from "../investors/table.js";
import { deployToken } from "../chain/token.js";
import type { WriteOwner } from "../chain/writes.js";
import { PRODUCT_TYPES, SENIORITIES, offering, offeringAsset, tranche } from "./table.js";

export type Offering = typeof offering.$inferSelect;
export type Tranche = typeof tranche.$inferSelect;

const trancheSchema = z.object({
  name: nonEmpty(100),
  seniority: z.enum(SENIORITIES),
  couponBps: z.number().int().min(0).max(100_000).default(0),
  supplyCap: baseUnitAmountSchema,
  tokenName: nonEmpty(100),
  tokenSymbol: z.string().regex(/^[A-Z0-9]{2,11}$/, "must be 2–11 capital letters or digits"),
});

const createOfferingSchema = z.object({
  name: nonEmpty(200),
  productType: z.enum(PRODUCT_TYPES),
  assetIds: z.array(uuidSchema).min(1, "an offering packages at least one data asset").max(50),
  allowedInvestorClasses: z.array(z.enum(INVESTOR_CLASSES)).min(1, "name at least one investor class"),
  blockedJurisdictions: z.array(z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166 alpha-2 code")).default([]),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"),
  termsDigest: digestSchema,
  tranche: trancheSchema,
});
export type CreateOfferingParams = z.input<typeof createOfferingSchema>;

/**
 * Packages published data assets into an offering issued by the caller's organization,
 * with its first tranche. The packaged assets move to OFFERED.
 */
export async function createOffering(ctx: ServiceContext, input: CreateOfferingParams): Promise<Offering> {
  const actor = requireActor(ctx);
  const params = parseInput(createOfferingSchema, input);
  if (params.productType === "DEBT" && params.allowedInvestorClasses.includes("RETAIL")) {
    throw new ValidationError([{ path: "allowedInvestorClasses", message: "DEBT products are for professional and institutional investors only" }]);
  }
  const assetIds = [...new Set(params.assetIds)];
  return ctx.db.transaction(async (tx) => {
    const assets = await tx.select().from(dataAsset).where(inArray(dataAsset.id, assetIds)).for("update");
    for (const id of assetIds) {
      const asset = assets.find((a) => a.id === id);
      if (!asset) throw new NotFoundError("DataAsset", id);
      if (!PUBLISHED_STATUSES.includes(asset.status)) {
        throw new ConflictError(`data asset ${id} is ${asset.status}; only APPROVED assets can be packaged`);
      }
    }
    const { tranche: t, assetIds: _ids, ...fields } = params;
    const [created] = await tx
      .insert(offering)
      .values({ ...fields, issuerOrgId: actor.organizationId })
      .returning();
    await tx.insert(offeringAsset).values(assetIds.map((assetId) => ({ offeringId: created!.id, assetId })));
    await tx.insert(tranche).values({ ...t, offeringId: created!.id });
    await systemTransition(tx, assetIds, "OFFERED", ctx.now());
    return created!;
  });
}

export async function getOffering(ctx: ServiceContext, id: string): Promise<Offering> {
  const offeringId = parseInput(uuidSchema, id);
  const [row] = await ctx.db.select().from(offering).where(eq(offering.id, offeringId));
  if (!row) throw new NotFoundError("Offering", id);
  return row;
}

export async function getTranche(db: Database, id: string): Promise<{ tranche: Tranche; offering: Offering }> {
  const [row] = await db
    .select({ tranche, offering })
    .from(tranche)
    .innerJoin(offering, eq(offering.id, tranche.offeringId))
    .where(eq(tranche.id, id));
  if (!row) throw new NotFoundError("Tranche", id);
  return row;
}

export async function listTranches(db: Database, offeringId: string): Promise<Tranche[]> {
  return db.select().from(tranche).where(eq(tranche.offeringId, offeringId)).orderBy(asc(tranche.createdAt));
}

export async function listOfferingAssetIds(db: Database, offeringId: string): Promise<string[]> {
  const rows = await db.select({ id: offeringAsset.assetId }).from(offeringAsset).where(eq(offeringAsset.offeringId, offeringId));
  return rows.map((r) => r.id);
}

/**
 * Deploys the tranche's token. It anchors the offering's first (primary) asset id and content
 * digest and the offering terms digest on chain. A tranche has one token: deploying twice is a conflict.
 */
export async function deployTrancheToken(ctx: ServiceContext, input: { trancheId: string }): Promise<Tranche> {
  const actor = requireActor(ctx);
  const trancheId = parseInput(uuidSchema, input.trancheId);
  const { tranche: t, offering: o } = await getTranche(ctx.db, trancheId);
  requireSameOrganization(actor, o.issuerOrgId, "offering");
  if (t.tokenAddress) throw new ConflictError(`tranche ${t.id} already has token ${t.tokenAddress}`);
  const [primary] = await ctx.db
    .select({ id: dataAsset.id, contentDigest: dataAsset.contentDigest })
    .from(offeringAsset)
    .innerJoin(dataAsset, eq(dataAsset.id, offeringAsset.assetId))
    .where(eq(offeringAsset.offeringId, o.id))
    .orderBy(asc(dataAsset.createdAt))
    .limit(1);
  const { address } = await deployToken(
    ctx.chain,
    {
      name: t.tokenName,
      symbol: t.tokenSymbol,
      assetId: primary!.id,
      contentDigest: primary!.contentDigest as Hex,
      offeringTermsDigest: o.termsDigest as Hex,
    },
    { subject: { trancheId: t.id }, owner: trancheTokenOwner },
  );
  // The owner recorded the token with the write's settlement; a concurrent deploy may have won.
  const [updated] = await ctx.db.select().from(tranche).where(eq(tranche.id, t.id));
  if (updated!.tokenAddress !== address) throw new ConflictError(`tranche ${t.id} already has token ${updated!.tokenAddress}`);
  return updated!;
}

/**
 * Settles a tranche-token deployment: the mined contract becomes the tranche's token, in the
 * transaction that settles the chain write, whether the deploying request is still waiting or
 * a worker resumed the write after a crash. The first deployment of a tranche wins.
 */
export const trancheTokenOwner: WriteOwner = {
  async settle(tx, write, outcome) {
    const trancheId = write.subject.trancheId as string | undefined;
    if (outcome.status !== "CONFIRMED" || !outcome.receipt.contractAddress || !trancheId) return;
    await tx
      .update(tranche)
      .set({ tokenAddress: getAddress(outcome.receipt.contractAddress), chainId: write.chainId, deployTxHash: outcome.receipt.transactionHash })
      .where(and(eq(tranche.id, trancheId), isNull(tranche.tokenAddress)));
  },
};
