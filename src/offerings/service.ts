import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { getAddress, type Hex } from "viem";
import type { ServiceContext } from "../context.js";
import { requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import type { Database, Transaction } from "../db/index.js";
import { baseUnitAmountSchema, dateTimeSchema, digestSchema, nonEmpty, parseInput, uuidSchema } from "../validation.js";
import { dataAsset } from "../assets/table.js";
import { assetColumns, canRead, systemTransition, type DataAsset } from "../assets/service.js";
import { neverTokenizable } from "../compliance/requirements.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { INVESTOR_CLASSES } from "../investors/table.js";
import { deployToken } from "../chain/token.js";
import { ensureSettlementContract, readErc20 } from "../chain/settlement.js";
import { addressSchema } from "../chain/address.js";
import { failUnsentSubscriptions, recordRefunds } from "../settlement/service.js";
import type { WriteOwner } from "../chain/writes.js";
import {
  COUPON_KINDS,
  LIVE_OFFERING_STATUSES,
  PRODUCT_TYPES,
  SENIORITIES,
  offering,
  offeringAsset,
  tranche,
  type OfferingStatus,
} from "./table.js";
import { AssetAlreadyOfferedError, OfferingNotMaturedError, OfferingStateError } from "./errors.js";
import { offeringMover } from "./lifecycle.js";
import { structureProblem } from "./structure.js";
import { auditedRequirement, evaluateOfferingRequirements } from "../compliance/service.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";

export type Offering = typeof offering.$inferSelect;
export type Tranche = typeof tranche.$inferSelect;

const trancheSchema = z.object({
  name: nonEmpty(100),
  seniority: z.enum(SENIORITIES),
  couponKind: z.enum(COUPON_KINDS).default("FIXED"),
  couponBps: z.number().int().min(0).max(100_000).default(0),
  supplyCap: baseUnitAmountSchema,
  price: baseUnitAmountSchema.default("1000000"),
  minimumTicket: baseUnitAmountSchema.default("1"),
  maturityDate: dateTimeSchema.nullish(),
  earlyRedemption: z.boolean().default(false),
  tokenName: nonEmpty(100),
  tokenSymbol: z.string().regex(/^[A-Z0-9]{2,11}$/, "must be 2–11 capital letters or digits"),
});

/** A RESIDUAL tranche is paid what is left: it names no coupon rate. */
const trancheInputSchema = trancheSchema.refine((t) => t.couponKind === "FIXED" || t.couponBps === 0, {
  path: ["couponBps"],
  message: "a RESIDUAL tranche has no fixed coupon",
});
export type TrancheParams = z.input<typeof trancheSchema>;

const createOfferingSchema = z
  .object({
    name: nonEmpty(200),
    productType: z.enum(PRODUCT_TYPES),
    assetIds: z.array(uuidSchema).min(1, "an offering packages at least one data asset").max(50),
    allowedInvestorClasses: z.array(z.enum(INVESTOR_CLASSES)).min(1, "name at least one investor class"),
    blockedJurisdictions: z.array(z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166 alpha-2 code")).default([]),
    currency: z.string().regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD"),
    termsDigest: digestSchema,
    minSubordinationBps: z.number().int().min(0).max(10_000).default(0),
    managementFeeBps: z.number().int().min(0).max(10_000).default(0),
    opensAt: dateTimeSchema.nullish(),
    closesAt: dateTimeSchema.nullish(),
    /** DvP: the ERC-20 stablecoin subscriptions are paid in, and the issuer's treasury wallet. Both or neither (neither: paid off chain). */
    settlementToken: addressSchema.nullish(),
    treasury: addressSchema.nullish(),
    tranche: trancheInputSchema,
  })
  .refine((o) => Boolean(o.settlementToken) === Boolean(o.treasury), {
    path: ["treasury"],
    message: "name both a settlementToken and a treasury, or neither (paid off chain)",
  });
export type CreateOfferingParams = z.input<typeof createOfferingSchema>;

/**
 * Packages approved data assets into an offering issued by the caller's organization, with its
 * first tranche. The packaged assets move to OFFERED. Refused: an asset the caller cannot see
 * (NotFound), one already packaged in a live offering (AssetAlreadyOfferedError: one asset backs
 * at most one live offering), one not APPROVED (Conflict), and CORE data, which can never be
 * tokenized (ComplianceNotSatisfiedError with ONSHORE_SECURITY_CLASSIFIED, as its mint would be).
 */
export async function createOffering(ctx: ServiceContext, input: CreateOfferingParams): Promise<Offering> {
  const actor = requireActor(ctx);
  const params = parseInput(createOfferingSchema, input);
  if (params.productType === "DEBT" && params.allowedInvestorClasses.includes("RETAIL")) {
    throw new ValidationError([
      { path: "allowedInvestorClasses", message: "DEBT products are for professional and institutional investors only" },
    ]);
  }
  const assetIds = [...new Set(params.assetIds)];
  // Its decimals as the chain answers them (6 for USDC and dUSD): amounts are never assumed.
  const currency = params.settlementToken ? await readErc20(ctx.chain, params.settlementToken) : undefined;
  if (params.settlementToken && !currency) {
    throw new ValidationError([{ path: "settlementToken", message: "does not answer ERC-20 decimals() and symbol() on this chain" }]);
  }
  return ctx.db.transaction(async (tx) => {
    // The row locks serialize concurrent packagings of one asset: the later one waits here,
    // then reads the earlier one's offering below and is refused.
    const assets = await tx.select(assetColumns).from(dataAsset).where(inArray(dataAsset.id, assetIds)).for("update");
    for (const id of assetIds) {
      const asset = assets.find((a) => a.id === id);
      if (!asset || !canRead(ctx, asset)) throw new NotFoundError("DataAsset", id);
    }
    const [held] = await tx
      .select({ assetId: offeringAsset.assetId, offeringId: offeringAsset.offeringId })
      .from(offeringAsset)
      .innerJoin(offering, eq(offering.id, offeringAsset.offeringId))
      .where(and(inArray(offeringAsset.assetId, assetIds), inArray(offering.status, [...LIVE_OFFERING_STATUSES])))
      .limit(1);
    if (held) throw new AssetAlreadyOfferedError(held.assetId, held.offeringId);
    for (const asset of assets) {
      if (asset.status !== "APPROVED") {
        throw new ConflictError(`data asset ${asset.id} is ${asset.status}; only APPROVED assets can be packaged`);
      }
    }
    const never = assets.flatMap(neverTokenizable);
    if (never.length > 0) throw new ComplianceNotSatisfiedError(never);
    const { tranche: t, assetIds: _ids, ...fields } = params;
    const [created] = await tx
      .insert(offering)
      .values({ ...fields, settlementDecimals: currency?.decimals ?? null, issuerOrgId: actor.organizationId })
      .returning();
    await tx.insert(offeringAsset).values(assetIds.map((assetId) => ({ offeringId: created!.id, assetId })));
    const [firstTranche] = await tx
      .insert(tranche)
      .values({ ...t, offeringId: created!.id })
      .returning({ id: tranche.id });
    await systemTransition(tx, assetIds, "OFFERED", ctx.now());
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "offering.created",
      entityType: "Offering",
      entityId: created!.id,
      payload: {
        organizationId: created!.issuerOrgId,
        name: created!.name,
        productType: created!.productType,
        assetIds,
        // The packaging rule that held: every asset APPROVED, none held by a live offering, none CORE.
        assets: assets.map((a) => ({ id: a.id, status: a.status, securityLevel: a.securityLevel, contentDigest: a.contentDigest })),
        allowedInvestorClasses: created!.allowedInvestorClasses,
        blockedJurisdictions: created!.blockedJurisdictions,
        currency: created!.currency,
        termsDigest: created!.termsDigest,
        settlementToken: created!.settlementToken,
        settlementDecimals: created!.settlementDecimals,
        treasury: created!.treasury,
        tranche: { id: firstTranche!.id, ...t },
      },
    });
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

/** The offering's packaged assets that the caller may see: the same rule as `dataAsset` (a SUSPENDED asset is hidden from the public). */
export async function listOfferingAssets(ctx: ServiceContext, offeringId: string): Promise<DataAsset[]> {
  const rows = await ctx.db
    .select(assetColumns)
    .from(offeringAsset)
    .innerJoin(dataAsset, eq(dataAsset.id, offeringAsset.assetId))
    .where(eq(offeringAsset.offeringId, offeringId))
    .orderBy(asc(dataAsset.createdAt));
  return rows.filter((asset) => canRead(ctx, asset));
}

/**
 * Deploys the tranche's token. It anchors the offering's first (primary) asset id and content
 * digest and the offering terms digest on chain. A tranche has one token: deploying twice is a
 * conflict. CORE data is refused (ComplianceNotSatisfiedError with ONSHORE_SECURITY_CLASSIFIED).
 */
export async function deployTrancheToken(ctx: ServiceContext, input: { trancheId: string }): Promise<Tranche> {
  const actor = requireActor(ctx);
  const trancheId = parseInput(uuidSchema, input.trancheId);
  const { tranche: t, offering: o } = await getTranche(ctx.db, trancheId);
  requireSameOrganization(actor, o.issuerOrgId, "offering");
  if (t.tokenAddress) throw new ConflictError(`tranche ${t.id} already has token ${t.tokenAddress}`);
  const packaged = await ctx.db
    .select({ id: dataAsset.id, contentDigest: dataAsset.contentDigest, securityLevel: dataAsset.securityLevel })
    .from(offeringAsset)
    .innerJoin(dataAsset, eq(dataAsset.id, offeringAsset.assetId))
    .where(eq(offeringAsset.offeringId, o.id))
    .orderBy(asc(dataAsset.createdAt));
  // An asset reclassified CORE after it was packaged (or packaged before that was refused).
  const never = packaged.flatMap(neverTokenizable);
  if (never.length > 0) throw new ComplianceNotSatisfiedError(never);
  const primary = packaged[0];
  const settlement = await ensureSettlementContract(ctx.chain);
  const { address } = await deployToken(
    ctx.chain,
    {
      name: t.tokenName,
      symbol: t.tokenSymbol,
      assetId: primary!.id,
      contentDigest: primary!.contentDigest as Hex,
      offeringTermsDigest: o.termsDigest as Hex,
      settlement,
    },
    // The requester rides with the write, so whoever settles it audits the deploy under their name.
    { subject: { trancheId: t.id, ...auditActor(ctx) }, owner: trancheTokenOwner },
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
    if (outcome.status === "DROPPED" || !trancheId) return;
    const by = {
      actor: typeof write.subject.actor === "string" ? write.subject.actor : "SYSTEM",
      actorOrgId: (write.subject.actorOrgId as string | undefined) ?? null,
    };
    const chainFacts = {
      trancheId,
      chainId: write.chainId,
      writeId: write.id,
      txHash: outcome.receipt.transactionHash,
      blockNumber: outcome.receipt.blockNumber,
    };
    if (outcome.status === "REVERTED" || !outcome.receipt.contractAddress) {
      const [t] = await tx.select({ offeringId: tranche.offeringId }).from(tranche).where(eq(tranche.id, trancheId));
      if (!t) return;
      const reason = outcome.status === "REVERTED" ? outcome.reason : "no contract was created";
      await appendAuditEvent(tx, {
        ...by,
        action: "offering.token_deploy_failed",
        entityType: "Offering",
        entityId: t.offeringId,
        payload: { ...chainFacts, reason },
      });
      return;
    }
    const [deployed] = await tx
      .update(tranche)
      .set({
        tokenAddress: getAddress(outcome.receipt.contractAddress),
        chainId: write.chainId,
        deployTxHash: outcome.receipt.transactionHash,
      })
      .where(and(eq(tranche.id, trancheId), isNull(tranche.tokenAddress)))
      .returning({ offeringId: tranche.offeringId, tokenAddress: tranche.tokenAddress });
    if (!deployed) return; // another deployment of the tranche won (and was audited)
    await appendAuditEvent(tx, {
      ...by,
      action: "offering.token_deployed",
      entityType: "Offering",
      entityId: deployed.offeringId,
      payload: { ...chainFacts, tokenAddress: deployed.tokenAddress },
    });
  },
};

/** Reads an offering of the caller's organization (ISSUER), or refuses: NotFound, Forbidden. */
async function ownOffering(ctx: ServiceContext, id: string): Promise<Offering> {
  const actor = requireActor(ctx);
  const o = await getOffering(ctx, id);
  requireSameOrganization(actor, o.issuerOrgId, "offering");
  return o;
}

/** Adds a tranche to a DRAFT offering of the caller's organization. The structure is checked when the offering opens. */
export async function addTranche(ctx: ServiceContext, input: { offeringId: string; tranche: TrancheParams }): Promise<Tranche> {
  const o = await ownOffering(ctx, input.offeringId);
  const t = parseInput(trancheInputSchema, input.tranche);
  return ctx.db.transaction(async (tx) => {
    // The lock orders this against a concurrent open: a tranche is never added to an OPEN offering.
    const [locked] = await tx.select({ status: offering.status }).from(offering).where(eq(offering.id, o.id)).for("update");
    if (locked!.status !== "DRAFT") throw new OfferingStateError(o.id, locked!.status, "ADD_TRANCHE");
    const [created] = await tx
      .insert(tranche)
      .values({ ...t, offeringId: o.id })
      .returning();
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "offering.tranche_added",
      entityType: "Offering",
      entityId: o.id,
      payload: { trancheId: created!.id, ...t },
    });
    return created!;
  });
}

/** The audit action of each move (`offering.opened`, …). */
const EVENT: Record<OfferingStatus, string> = {
  DRAFT: "drafted",
  OPEN: "opened",
  CLOSED: "closed",
  MATURED: "matured",
  REDEEMED: "redeemed",
  CANCELLED: "cancelled",
};

/**
 * Moves the offering `from → to` if it is still `from` (a conditional UPDATE, so two racing
 * moves cannot both win) and appends the audit event in the same transaction. `checkLocked`
 * runs first on the locked row's tranches (the structure a concurrent addTranche cannot change).
 */
async function transition(
  ctx: ServiceContext,
  o: Offering,
  to: OfferingStatus,
  payload: Record<string, unknown> = {},
  checkLocked?: (tranches: Tranche[]) => void,
  /** Columns set with the move (closedAt), and what else the move does in its transaction (refunds). */
  extra: { set?: Partial<Offering>; alsoInTransaction?: (tx: Transaction) => Promise<void> } = {},
): Promise<Offering> {
  if (!offeringMover(o.status, to)) throw new OfferingStateError(o.id, o.status, to);
  return ctx.db.transaction(async (tx) => {
    const [locked] = await tx.select().from(offering).where(eq(offering.id, o.id)).for("update");
    if (checkLocked) checkLocked(await tx.select().from(tranche).where(eq(tranche.offeringId, o.id)));
    const [moved] = await tx
      .update(offering)
      .set({ ...extra.set, status: to })
      .where(and(eq(offering.id, o.id), eq(offering.status, o.status)))
      .returning();
    if (!moved) throw new OfferingStateError(o.id, locked!.status, to);
    await extra.alsoInTransaction?.(tx);
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: `offering.${EVENT[to]}`,
      entityType: "Offering",
      entityId: o.id,
      payload: { organizationId: o.issuerOrgId, from: o.status, to, ...payload },
    });
    return moved;
  });
}

/**
 * DRAFT → OPEN once the product rules hold (OfferingStructureError names the first broken one),
 * every tranche token is deployed and the offering-level compliance requirements hold
 * (ComplianceNotSatisfiedError). Mints are accepted from then on, within the window.
 */
export async function openOffering(ctx: ServiceContext, input: { offeringId: string }): Promise<Offering> {
  const o = await ownOffering(ctx, input.offeringId);
  if (!offeringMover(o.status, "OPEN")) throw new OfferingStateError(o.id, o.status, "OPEN");
  const now = ctx.now();
  const requirements = await evaluateOfferingRequirements(ctx.db, o, now);
  const unmet = requirements.filter((r) => !r.holds);
  if (unmet.length > 0) throw new ComplianceNotSatisfiedError(unmet);
  return transition(ctx, o, "OPEN", { requirements: requirements.map(auditedRequirement) }, (rows) => {
    const problem = structureProblem(o, rows, now);
    if (problem) throw problem;
  });
}

/** OPEN → CLOSED: the allocations are final; no more mints or subscriptions. Fixed coupons accrue from now. */
export async function closeOffering(ctx: ServiceContext, input: { offeringId: string }): Promise<Offering> {
  const now = ctx.now();
  return transition(ctx, await ownOffering(ctx, input.offeringId), "CLOSED", { closedAt: now }, undefined, { set: { closedAt: now } });
}

/**
 * DRAFT or OPEN → CANCELLED. Every paid (CONFIRMED) subscription gets a refund, recorded in
 * this transaction and settled on chain by the settlement worker (tokens burned, the cost paid
 * back from the treasury); subscriptions not sent yet fail unpaid, and one in flight is refunded
 * when it confirms. Tokens minted by requestMint (paid off chain) stay where they are. The
 * packaged assets stay OFFERED, but are no longer held (a CANCELLED offering is not live).
 */
export async function cancelOffering(ctx: ServiceContext, input: { offeringId: string }): Promise<Offering> {
  const o = await ownOffering(ctx, input.offeringId);
  const cancelled = await transition(ctx, o, "CANCELLED", {}, undefined, {
    alsoInTransaction: async (tx) => {
      await failUnsentSubscriptions(
        tx,
        o.id,
        "OFFERING_CANCELLED",
        `offering ${o.id} was cancelled before the subscription was sent; nothing was paid`,
      );
      await recordRefunds(tx, o.id);
    },
  });
  // The refunds are the settlement worker's to send: wake it now rather than at its next poll
  // (a worker in another process wakes on the redemption insert's notification).
  ctx.wakeWorker("settlement");
  return cancelled;
}

/** CLOSED → MATURED, once the latest tranche maturity date has passed (an explicit move, so the state never changes on a read). */
export async function matureOffering(ctx: ServiceContext, input: { offeringId: string }): Promise<Offering> {
  const o = await ownOffering(ctx, input.offeringId);
  if (!offeringMover(o.status, "MATURED")) throw new OfferingStateError(o.id, o.status, "MATURED");
  const now = ctx.now();
  return transition(ctx, o, "MATURED", { maturedAt: now }, (rows) => {
    const dates = rows.map((t) => t.maturityDate);
    if (dates.some((d) => !d)) throw new OfferingNotMaturedError(o.id, null);
    const latest = new Date(Math.max(...dates.map((d) => d!.getTime())));
    if (latest > now) throw new OfferingNotMaturedError(o.id, latest);
  });
}
