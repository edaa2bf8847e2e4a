/**
 * Revenue-rights passthrough (see docs/distributions.md): the data exchange records what an
 * asset earned; the issuer declares a distribution of an offering's period, which runs that
 * revenue down the tranche waterfall (fee, fixed coupons with arrears, residual) and shares
 * each tranche's part among its holders at a finalized record block, pro rata, exact to the
 * base unit. The services here compute and record; the distribution worker (worker.ts) pays.
 */
import { and, asc, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { Address } from "viem";
import type { ServiceContext } from "../context.js";
import { hasRole, investorIdOf, requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import type { Database, Transaction } from "../db/index.js";
import { baseUnitAmountSchema, dateTimeSchema, digestSchema, parseInput, text, uuidSchema } from "../validation.js";
import { addressSchema } from "../chain/address.js";
import { ensureDistributorContract, treasuryFunds } from "../chain/settlement.js";
import { appendAuditEvent } from "../audit/service.js";
import { dataAsset } from "../assets/table.js";
import { organization } from "../organizations/table.js";
import { offering, offeringAsset, SENIORITIES, tranche } from "../offerings/table.js";
import { OfferingStateError } from "../offerings/errors.js";
import { investor } from "../investors/table.js";
import { frozenAddress, mintRequest } from "../minting/table.js";
import { subscription } from "../settlement/table.js";
import { indexerCursor } from "../indexer/table.js";
import { finalityDepthOf, queryHoldings, safeBlockNumber } from "../indexer/service.js";
import { daysBetween, principalOf } from "../settlement/waterfall.js";
import { SettlementNotConfiguredError, TreasuryInsufficientError } from "../settlement/errors.js";
import { periodWaterfall, proRata } from "./waterfall.js";
import { DistributionKeyReusedError, DistributionPeriodError, IndexerBehindError, RevenueNegativeError } from "./errors.js";
import { assetRevenue, distribution, distributionPayout, distributionRevenue, distributionTranche, type PayoutStatus } from "./table.js";

export type AssetRevenue = typeof assetRevenue.$inferSelect;
export type Distribution = typeof distribution.$inferSelect;
export type DistributionPayout = typeof distributionPayout.$inferSelect;
export type DistributionTranche = typeof distributionTranche.$inferSelect;
type OfferingRow = typeof offering.$inferSelect;

/** Offerings whose holders are owed revenue: allocations are final (CLOSED) and until redeemed. */
const DISTRIBUTING = ["CLOSED", "MATURED"] as const;

const recordRevenueSchema = z
  .object({
    assetId: uuidSchema,
    periodStart: dateTimeSchema,
    periodEnd: dateTimeSchema,
    amount: z.union([z.literal("0"), baseUnitAmountSchema]),
    currency: addressSchema,
    evidenceDigest: digestSchema,
    correctsId: uuidSchema.nullish(),
    /** Set by the signed webhook only: the exchange's id of the delivery. */
    deliveryId: text().trim().min(1).max(200).nullish(),
  })
  .refine((r) => r.periodEnd > r.periodStart, { path: ["periodEnd"], message: "must be after periodStart" });
export type RecordAssetRevenueParams = z.input<typeof recordRevenueSchema>;

/**
 * Records revenue a data asset earned. COMPLIANCE_OFFICER of a DATA_EXCHANGE organization (or
 * the exchange's signed webhook, which calls this as that organization). Immutable: a correction
 * names the record it corrects, once, for the same asset and currency.
 */
export async function recordAssetRevenue(ctx: ServiceContext, params: RecordAssetRevenueParams): Promise<AssetRevenue> {
  const actor = requireActor(ctx);
  if (!hasRole(ctx, "COMPLIANCE_OFFICER")) throw new ForbiddenError("only a data exchange's compliance officer records revenue");
  const input = parseInput(recordRevenueSchema, params);
  return ctx.db.transaction(async (tx) => {
    if (input.deliveryId) {
      const [delivered] = await tx.select().from(assetRevenue).where(eq(assetRevenue.deliveryId, input.deliveryId));
      if (delivered) return delivered;
    }
    const [org] = await tx.select({ kind: organization.kind }).from(organization).where(eq(organization.id, actor.organizationId));
    if (org?.kind !== "DATA_EXCHANGE") throw new ForbiddenError("only a DATA_EXCHANGE organization records asset revenue");
    const [asset] = await tx.select({ id: dataAsset.id }).from(dataAsset).where(eq(dataAsset.id, input.assetId));
    if (!asset) throw new NotFoundError("DataAsset", input.assetId);
    if (input.correctsId) {
      const [corrected] = await tx.select().from(assetRevenue).where(eq(assetRevenue.id, input.correctsId)).for("update");
      if (!corrected) throw new NotFoundError("AssetRevenue", input.correctsId);
      if (corrected.assetId !== input.assetId || corrected.currency !== input.currency) {
        throw new ValidationError([{ path: "correctsId", message: "corrects a record of another asset or currency" }]);
      }
      const [already] = await tx.select({ id: assetRevenue.id }).from(assetRevenue).where(eq(assetRevenue.correctsId, input.correctsId));
      if (already) throw new ConflictError(`revenue record ${input.correctsId} was already corrected by ${already.id}; correct that one`);
    }
    const [row] = await tx
      .insert(assetRevenue)
      .values({
        ...input,
        correctsId: input.correctsId ?? null,
        deliveryId: input.deliveryId ?? null,
        recordedByOrgId: actor.organizationId,
        recordedBy: actor.subject,
      })
      .returning();
    await appendAuditEvent(tx, {
      actor: actor.subject,
      action: input.correctsId ? "revenue.corrected" : "revenue.recorded",
      entityType: "AssetRevenue",
      entityId: row!.id,
      payload: { ...input, organizationId: actor.organizationId },
    });
    return row!;
  });
}

/** Revenue records of an asset, newest first. Staff of the gateway's organizations (not investors). */
export async function listAssetRevenue(ctx: ServiceContext, assetId: string): Promise<AssetRevenue[]> {
  const actor = requireActor(ctx);
  const id = parseInput(uuidSchema, assetId);
  // Revenue is commercial information: the exchange's compliance officers and operators read
  // all of it; otherwise the asset's owner and the issuers packaging it. Others learn nothing,
  // not even that the asset exists.
  if (!hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) {
    const [reader] = await ctx.db
      .select({ id: dataAsset.id })
      .from(dataAsset)
      .where(
        and(
          eq(dataAsset.id, id),
          sql`(${dataAsset.ownerOrgId} = ${actor.organizationId} or exists (select 1 from ${offeringAsset}
            join ${offering} on ${offering.id} = ${offeringAsset.offeringId}
            where ${offeringAsset.assetId} = ${dataAsset.id} and ${offering.issuerOrgId} = ${actor.organizationId}))`,
        ),
      );
    if (!reader) throw new NotFoundError("DataAsset", id);
  }
  return ctx.db.select().from(assetRevenue).where(eq(assetRevenue.assetId, id)).orderBy(desc(assetRevenue.createdAt));
}

// ---------- the plan of a distribution ----------

export type PlannedTranche = {
  trancheId: string;
  seniority: (typeof SENIORITIES)[number];
  tokenAddress: Address;
  principal: bigint;
  due: bigint;
  arrearsBefore: bigint;
  paid: bigint;
  arrearsAfter: bigint;
};
export type PlannedPayout = {
  trancheId: string;
  holder: Address;
  investorId: string | null;
  balance: bigint;
  amount: bigint;
  held: boolean;
};
export type DistributionPlan = {
  offering: OfferingRow;
  periodStart: Date;
  periodEnd: Date;
  recordBlock: bigint;
  available: bigint;
  fee: bigint;
  feeArrearsAfter: bigint;
  total: bigint;
  undistributed: bigint;
  revenue: { revenueId: string; counted: bigint }[];
  tranches: PlannedTranche[];
  payouts: PlannedPayout[];
};

/**
 * What each revenue record not distributed yet adds: its amount, less what the nearest
 * distributed record it corrects already added (a correction of paid revenue adds only its
 * difference). A record a later one corrects before either was distributed adds nothing.
 */
function countedRevenue(records: AssetRevenue[], distributed: Map<string, bigint>, periodEnd: Date) {
  const byId = new Map(records.map((r) => [r.id, r]));
  // correctsId is unique: at most one successor per record.
  const successorOf = new Map(records.filter((r) => r.correctsId).map((r) => [r.correctsId!, r]));
  const counted: { revenueId: string; counted: bigint }[] = [];
  for (const r of records) {
    if (distributed.has(r.id) || r.periodEnd > periodEnd) continue;
    const successor = successorOf.get(r.id);
    // Superseded before it was paid: its successor counts instead (unless the successor ends later).
    if (successor && successor.periodEnd <= periodEnd) continue;
    let base = 0n;
    for (
      let prior = r.correctsId ? byId.get(r.correctsId) : undefined;
      prior;
      prior = prior.correctsId ? byId.get(prior.correctsId) : undefined
    ) {
      if (distributed.has(prior.id)) {
        base = BigInt(prior.amount);
        break;
      }
    }
    counted.push({ revenueId: r.id, counted: BigInt(r.amount) - base });
  }
  return counted;
}

/**
 * The highest block whose cap table is final: FINALITY_DEPTH under the head, and no later than
 * the indexer has scanned every tranche token (a holder it has not seen yet would be missed).
 * Refused (IndexerBehindError, retryable) while that block is short of a settlement the registry
 * already knows of: the period would otherwise pay nothing to holders the indexer has not seen.
 */
async function recordBlockOf(
  db: Database | Transaction,
  ctx: ServiceContext,
  tranches: { id: string; tokenAddress: string | null }[],
): Promise<bigint> {
  let block = await safeBlockNumber(ctx.chain, await finalityDepthOf(db as Database, ctx.chain.chainId));
  const deployed = tranches.filter((t) => t.tokenAddress);
  if (deployed.length === 0) return block < 0n ? 0n : block;
  const ids = deployed.map((t) => t.id);
  const [cursors, ...settledRows] = await Promise.all([
    db
      .select({ contract: indexerCursor.contract, nextBlock: indexerCursor.nextBlock })
      .from(indexerCursor)
      .where(
        and(
          eq(indexerCursor.chainId, ctx.chain.chainId),
          inArray(
            indexerCursor.contract,
            deployed.map((t) => t.tokenAddress!),
          ),
        ),
      ),
    // The last block the registry itself settled tokens of each tranche at (mints and DvP subscriptions).
    ...[mintRequest, subscription].map((table) =>
      db
        .select({ trancheId: table.trancheId, block: sql<string | null>`max(${table.blockNumber})::text` })
        .from(table)
        .where(and(eq(table.status, "CONFIRMED"), inArray(table.trancheId, ids)))
        .groupBy(table.trancheId),
    ),
  ]);
  const settled = settledRows.flat();
  for (const t of deployed) {
    const cursor = cursors.find((c) => c.contract === t.tokenAddress);
    const scanned = cursor ? cursor.nextBlock - 1n : -1n;
    const needed = settled
      .filter((r) => r.trancheId === t.id && r.block)
      .map((r) => BigInt(r.block!))
      .reduce<bigint | undefined>((max, b) => (max === undefined || b > max ? b : max), undefined);
    // A cap table short of what the registry settled would pay nothing to holders it has not seen.
    const through = scanned < block ? scanned : block;
    if (needed !== undefined && through < needed) throw new IndexerBehindError(t.tokenAddress!, through.toString(), needed.toString());
    if (scanned < block) block = scanned;
  }
  return block < 0n ? 0n : block;
}

/** Computes a distribution of `o` up to `periodEnd` from what the database holds now (inside `db`'s transaction when given one). */
async function planDistribution(
  ctx: ServiceContext,
  db: Database | Transaction,
  o: OfferingRow,
  periodEnd: Date,
  now: Date,
): Promise<DistributionPlan> {
  if (!o.settlementToken || !o.treasury) throw new SettlementNotConfiguredError(o.id);
  if (!(DISTRIBUTING as readonly string[]).includes(o.status)) throw new OfferingStateError(o.id, o.status, "DISTRIBUTE");
  const [previous] = await db
    .select()
    .from(distribution)
    .where(eq(distribution.offeringId, o.id))
    .orderBy(desc(distribution.periodEnd))
    .limit(1);
  const periodStart = previous?.periodEnd ?? o.closedAt ?? o.createdAt;
  if (periodEnd <= periodStart) throw new DistributionPeriodError(periodStart, periodEnd, "is empty: it must end after it starts");
  if (periodEnd > now) throw new DistributionPeriodError(periodStart, periodEnd, "has not ended yet");

  const [tranches, assets, priorTranches] = await Promise.all([
    db.select().from(tranche).where(eq(tranche.offeringId, o.id)),
    db.select({ assetId: offeringAsset.assetId }).from(offeringAsset).where(eq(offeringAsset.offeringId, o.id)),
    previous ? db.select().from(distributionTranche).where(eq(distributionTranche.distributionId, previous.id)) : Promise.resolve([]),
  ]);
  tranches.sort((a, b) => SENIORITIES.indexOf(a.seniority) - SENIORITIES.indexOf(b.seniority));
  const assetIds = assets.map((a) => a.assetId);
  const records = await db
    .select()
    .from(assetRevenue)
    .where(and(inArray(assetRevenue.assetId, assetIds), eq(assetRevenue.currency, o.settlementToken)));
  const distributedRows =
    records.length === 0
      ? []
      : await db
          .select({ revenueId: distributionRevenue.revenueId, counted: distributionRevenue.counted })
          .from(distributionRevenue)
          .where(
            inArray(
              distributionRevenue.revenueId,
              records.map((r) => r.id),
            ),
          );
  const revenue = countedRevenue(records, new Map(distributedRows.map((d) => [d.revenueId, BigInt(d.counted)])), periodEnd);
  const available = revenue.reduce((sum, r) => sum + r.counted, 0n);
  if (available < 0n) throw new RevenueNegativeError(available.toString());

  const recordBlock = await recordBlockOf(db, ctx, tranches);
  const holdersByTranche = new Map<string, { holder: Address; balance: bigint }[]>();
  for (const t of tranches) {
    const rows = t.tokenAddress
      ? await queryHoldings(db as Database, {
          chainId: ctx.chain.chainId,
          tokenAddress: t.tokenAddress,
          throughBlock: recordBlock,
          safeBlock: recordBlock,
        })
      : [];
    holdersByTranche.set(
      t.id,
      rows.filter((h) => h.finalBalance > 0n).map((h) => ({ holder: h.holder as Address, balance: h.finalBalance })),
    );
  }
  const principals = new Map(
    tranches.map((t) => [
      t.id,
      principalOf(
        holdersByTranche.get(t.id)!.reduce((s, h) => s + h.balance, 0n),
        BigInt(t.price),
      ),
    ]),
  );
  const days = daysBetween(periodStart, periodEnd);
  const result = periodWaterfall({
    available,
    managementFeeBps: o.managementFeeBps,
    outstandingPrincipal: [...principals.values()].reduce((s, p) => s + p, 0n),
    days,
    feeArrears: previous ? BigInt(previous.feeArrearsAfter) : 0n,
    tranches: tranches.map((t) => ({
      key: t.id,
      rank: SENIORITIES.indexOf(t.seniority),
      kind: t.couponKind,
      couponBps: t.couponBps,
      principal: principals.get(t.id)!,
      arrears: BigInt(priorTranches.find((p) => p.trancheId === t.id)?.arrearsAfter ?? "0"),
    })),
  });

  // Only the holders at the record block: the frozen among them, and who they are in the registry.
  const wallets = [...new Set([...holdersByTranche.values()].flat().map((h) => h.holder.toLowerCase()))];
  const [frozen, investors] =
    wallets.length === 0
      ? [[], []]
      : await Promise.all([
          db
            .select({ trancheId: frozenAddress.trancheId, address: frozenAddress.address })
            .from(frozenAddress)
            .where(
              inArray(
                frozenAddress.trancheId,
                tranches.map((t) => t.id),
              ),
            ),
          db
            .select({ id: investor.id, wallet: investor.walletAddress })
            .from(investor)
            .where(inArray(sql`lower(${investor.walletAddress})`, wallets)),
        ]);
  const frozenKeys = new Set(frozen.map((f) => `${f.trancheId}:${f.address.toLowerCase()}`));
  const isFrozen = (trancheId: string, holder: string) => frozenKeys.has(`${trancheId}:${holder.toLowerCase()}`);
  const investorOf = new Map(investors.map((i) => [i.wallet.toLowerCase(), i.id]));

  const plannedTranches: PlannedTranche[] = [];
  const payouts: PlannedPayout[] = [];
  for (const t of tranches) {
    const paid = result.tranches.find((p) => p.key === t.id)!;
    const amount = paid.paid + paid.residual;
    plannedTranches.push({
      trancheId: t.id,
      seniority: t.seniority,
      tokenAddress: t.tokenAddress as Address,
      principal: principals.get(t.id)!,
      due: paid.due,
      arrearsBefore: paid.arrearsBefore,
      paid: amount,
      arrearsAfter: paid.arrearsAfter,
    });
    const holders = holdersByTranche.get(t.id)!;
    const shares = proRata(
      holders.map((h) => ({ key: h.holder, balance: h.balance })),
      amount,
    );
    for (const h of holders) {
      const share = shares.get(h.holder) ?? 0n;
      if (share === 0n) continue;
      payouts.push({
        trancheId: t.id,
        holder: h.holder,
        investorId: investorOf.get(h.holder.toLowerCase()) ?? null,
        balance: h.balance,
        amount: share,
        held: isFrozen(t.id, h.holder),
      });
    }
  }
  // A tranche with money but no holders at the record block: its part stays with the treasury.
  const paidOut = payouts.reduce((s, p) => s + p.amount, 0n);
  const unheld = plannedTranches.reduce((s, t) => s + t.paid, 0n) - paidOut;
  return {
    offering: o,
    periodStart,
    periodEnd,
    recordBlock,
    available,
    fee: result.fee,
    feeArrearsAfter: result.feeArrears,
    total: paidOut,
    undistributed: result.undistributed + unheld,
    revenue,
    tranches: plannedTranches,
    payouts,
  };
}

const previewSchema = z.object({ offeringId: uuidSchema, periodEnd: dateTimeSchema });
export type PreviewDistributionParams = z.input<typeof previewSchema>;

/** The issuer of the offering (or compliance / ADMIN) may see and declare its distributions' plans. */
function requireOfferingStaff(ctx: ServiceContext, o: OfferingRow) {
  const actor = requireActor(ctx);
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return actor;
  requireSameOrganization(actor, o.issuerOrgId, "the offering");
  return actor;
}

async function loadOffering(db: Database | Transaction, id: string, lock = false): Promise<OfferingRow> {
  const query = db.select().from(offering).where(eq(offering.id, id));
  const [row] = lock ? await query.for("update") : await query;
  if (!row) throw new NotFoundError("Offering", id);
  return row;
}

/** A dry run: the waterfall and every holder's payout if the period ended at `periodEnd` were declared now. Stores nothing. */
export async function previewDistribution(ctx: ServiceContext, params: PreviewDistributionParams) {
  const input = parseInput(previewSchema, params);
  const o = await loadOffering(ctx.db, input.offeringId);
  if (!hasRole(ctx, "ISSUER", "COMPLIANCE_OFFICER", "ADMIN")) throw new ForbiddenError("only the issuer previews a distribution");
  requireOfferingStaff(ctx, o);
  const plan = await planDistribution(ctx, ctx.db, o, input.periodEnd, ctx.now());
  const distributor = await ensureDistributorContract(ctx.chain);
  const funds = await treasuryFunds(ctx.chain, o.settlementToken as Address, o.treasury as Address, distributor);
  return { ...plan, distributor, treasuryPayable: funds.payable };
}

const declareSchema = previewSchema.extend({ idempotencyKey: text().trim().min(1, "must not be empty").max(200) });
export type DeclareDistributionParams = z.input<typeof declareSchema>;

/**
 * Declares the distribution: the plan is computed again under the offering's lock and recorded
 * with every payout (REQUESTED, or HELD for a frozen holder); the worker then announces it on
 * chain and pays. Refused before anything is recorded when the treasury (its balance, or what it
 * allowed the distributor) cannot pay the total plus what earlier distributions still owe.
 * Resending the key for the same period answers the same distribution.
 */
export async function declareDistribution(ctx: ServiceContext, params: DeclareDistributionParams): Promise<Distribution> {
  const input = parseInput(declareSchema, params);
  if (!hasRole(ctx, "ISSUER")) throw new ForbiddenError("only the offering's issuer declares a distribution");
  const actor = requireActor(ctx);
  const before = await loadOffering(ctx.db, input.offeringId);
  requireSameOrganization(actor, before.issuerOrgId, "the offering");
  const existing = await findDistribution(ctx.db, input.offeringId, input.idempotencyKey);
  if (existing) return sameOrReused(existing, input);
  const distributor = await ensureDistributorContract(ctx.chain);
  const funds =
    before.settlementToken && before.treasury
      ? await treasuryFunds(ctx.chain, before.settlementToken as Address, before.treasury as Address, distributor)
      : undefined;
  const declared = await ctx.db.transaction(async (tx) => {
    const o = await loadOffering(tx, input.offeringId, true);
    const again = await findDistribution(tx, o.id, input.idempotencyKey);
    if (again) return again;
    const plan = await planDistribution(ctx, tx, o, input.periodEnd, ctx.now());
    const owed = await owedByTreasury(tx, o.treasury!, o.settlementToken!);
    if (!funds || funds.payable < plan.total + owed) {
      throw new TreasuryInsufficientError((plan.total + owed).toString(), (funds?.payable ?? 0n).toString());
    }
    const [row] = await tx
      .insert(distribution)
      .values({
        offeringId: o.id,
        idempotencyKey: input.idempotencyKey,
        declaredBy: actor.subject,
        periodStart: plan.periodStart,
        periodEnd: plan.periodEnd,
        recordBlock: plan.recordBlock,
        currency: o.settlementToken!,
        treasury: o.treasury!,
        available: plan.available.toString(),
        fee: plan.fee.toString(),
        feeArrearsAfter: plan.feeArrearsAfter.toString(),
        total: plan.total.toString(),
        undistributed: plan.undistributed.toString(),
        // Nothing to pay: nothing to announce either (the period's arrears are recorded all the same).
        status: plan.payouts.length === 0 ? "PAID" : "DECLARED",
      })
      .returning();
    const id = row!.id;
    await tx.insert(distributionTranche).values(
      plan.tranches.map((t) => ({
        distributionId: id,
        trancheId: t.trancheId,
        principal: t.principal.toString(),
        due: t.due.toString(),
        arrearsBefore: t.arrearsBefore.toString(),
        paid: t.paid.toString(),
        arrearsAfter: t.arrearsAfter.toString(),
      })),
    );
    if (plan.revenue.length > 0) {
      await tx
        .insert(distributionRevenue)
        .values(plan.revenue.map((r) => ({ distributionId: id, revenueId: r.revenueId, counted: r.counted.toString() })));
    }
    for (let i = 0; i < plan.payouts.length; i += 1000) {
      await tx.insert(distributionPayout).values(
        plan.payouts.slice(i, i + 1000).map((p) => ({
          distributionId: id,
          trancheId: p.trancheId,
          holder: p.holder,
          investorId: p.investorId,
          balance: p.balance.toString(),
          amount: p.amount.toString(),
          status: (p.held ? "HELD" : "REQUESTED") as PayoutStatus,
        })),
      );
    }
    await appendAuditEvent(tx, {
      actor: actor.subject,
      action: "distribution.declared",
      entityType: "Distribution",
      entityId: id,
      payload: {
        offeringId: o.id,
        periodStart: plan.periodStart.toISOString(),
        periodEnd: plan.periodEnd.toISOString(),
        recordBlock: plan.recordBlock.toString(),
        available: plan.available.toString(),
        fee: plan.fee.toString(),
        total: plan.total.toString(),
        payouts: plan.payouts.length,
        held: plan.payouts.filter((p) => p.held).length,
        tranches: plan.tranches.map((t) => ({
          trancheId: t.trancheId,
          due: t.due.toString(),
          paid: t.paid.toString(),
          arrearsAfter: t.arrearsAfter.toString(),
        })),
      },
    });
    return row!;
  });
  ctx.wakeWorker("distribution");
  return sameOrReused(declared, input);
}

/** Payouts recorded and not yet paid from this treasury in this currency (held ones included: they are owed). */
async function owedByTreasury(tx: Transaction, treasury: string, currency: string): Promise<bigint> {
  const [row] = await tx
    .select({ owed: sql<string>`coalesce(sum(${distributionPayout.amount}), 0)::text` })
    .from(distributionPayout)
    .innerJoin(distribution, eq(distribution.id, distributionPayout.distributionId))
    .where(
      and(
        eq(distribution.treasury, treasury),
        eq(distribution.currency, currency),
        inArray(distributionPayout.status, ["HELD", "REQUESTED", "SUBMITTED"]),
      ),
    );
  return BigInt(row!.owed);
}

async function findDistribution(db: Database | Transaction, offeringId: string, key: string) {
  const [row] = await db
    .select()
    .from(distribution)
    .where(and(eq(distribution.offeringId, offeringId), eq(distribution.idempotencyKey, key)));
  return row;
}

function sameOrReused(row: Distribution, input: { idempotencyKey: string; periodEnd: Date }): Distribution {
  if (row.periodEnd.getTime() !== input.periodEnd.getTime()) throw new DistributionKeyReusedError(input.idempotencyKey, row.id);
  return row;
}

// ---------- reads ----------

/** Distributions a caller reads: the offering's issuer, compliance and operators; an investor those of offerings they were paid in. */
function readableDistributions(ctx: ServiceContext): SQL | undefined {
  const investorId = investorIdOf(ctx);
  if (investorId) {
    return inArray(
      distribution.id,
      sql`(select ${distributionPayout.distributionId} from ${distributionPayout} where ${distributionPayout.investorId} = ${investorId})`,
    );
  }
  const actor = requireActor(ctx);
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN")) return undefined;
  return inArray(
    distribution.offeringId,
    sql`(select ${offering.id} from ${offering} where ${offering.issuerOrgId} = ${actor.organizationId})`,
  );
}

export async function getDistribution(ctx: ServiceContext, id: string): Promise<Distribution> {
  const readable = readableDistributions(ctx);
  const distributionId = parseInput(uuidSchema, id);
  const [row] = await ctx.db
    .select()
    .from(distribution)
    .where(and(eq(distribution.id, distributionId), readable));
  if (!row) throw new NotFoundError("Distribution", id);
  return row;
}

export async function listDistributions(ctx: ServiceContext, offeringId: string): Promise<Distribution[]> {
  const readable = readableDistributions(ctx);
  const id = parseInput(uuidSchema, offeringId);
  return ctx.db
    .select()
    .from(distribution)
    .where(and(eq(distribution.offeringId, id), readable))
    .orderBy(asc(distribution.periodEnd));
}

export function distributionTranches(db: Database, distributionId: string): Promise<DistributionTranche[]> {
  return db.select().from(distributionTranche).where(eq(distributionTranche.distributionId, distributionId));
}

/** A distribution's payouts the caller may read: all of them for staff, their own for an investor. */
export function distributionPayouts(ctx: ServiceContext, distributionId: string): Promise<DistributionPayout[]> {
  const investorId = investorIdOf(ctx);
  return ctx.db
    .select()
    .from(distributionPayout)
    .where(
      and(eq(distributionPayout.distributionId, distributionId), investorId ? eq(distributionPayout.investorId, investorId) : undefined),
    )
    .orderBy(asc(distributionPayout.trancheId), asc(distributionPayout.holder));
}

export type StatementLine = {
  distributionId: string;
  offeringId: string;
  trancheId: string;
  periodStart: Date;
  periodEnd: Date;
  recordBlock: bigint;
  balance: string;
  gross: string;
  paid: string;
  held: string;
  pending: string;
};

/**
 * An investor's statement: per distribution and tranche, the gross entitlement, what was paid
 * on chain, what is held (frozen) and what is still on its way. The investor themself, or staff.
 */
export async function investorStatements(ctx: ServiceContext, investorId: string): Promise<StatementLine[]> {
  const own = investorIdOf(ctx);
  if (own && own !== investorId) throw new NotFoundError("Investor", investorId);
  const issuerOnly = !own && !hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN") ? requireActor(ctx).organizationId : undefined;
  const rows = await ctx.db
    .select({ p: distributionPayout, d: distribution })
    .from(distributionPayout)
    .innerJoin(distribution, eq(distribution.id, distributionPayout.distributionId))
    .innerJoin(offering, eq(offering.id, distribution.offeringId))
    .where(and(eq(distributionPayout.investorId, investorId), issuerOnly ? eq(offering.issuerOrgId, issuerOnly) : undefined))
    .orderBy(asc(distribution.periodEnd), asc(distributionPayout.trancheId));
  return rows.map(({ p, d }) => ({
    distributionId: d.id,
    offeringId: d.offeringId,
    trancheId: p.trancheId,
    periodStart: d.periodStart,
    periodEnd: d.periodEnd,
    recordBlock: d.recordBlock,
    balance: p.balance,
    gross: p.amount,
    paid: p.status === "CONFIRMED" ? p.amount : "0",
    held: p.status === "HELD" ? p.amount : "0",
    pending: p.status === "REQUESTED" || p.status === "SUBMITTED" ? p.amount : "0",
  }));
}
