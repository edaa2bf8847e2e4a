/**
 * Licensed trading venues (issue 16): an issuer admits a VENUE organization holding a valid
 * MAS_RMO licence for its offering (`setVenue` on every tranche token), and the venue then
 * asks the gateway to settle the trades it matched by delivery versus payment: the buyer's
 * stablecoin to the seller and the seller's tokens to the buyer in one `settleTrade`
 * transaction of the DvpSettlement contract, which checks both parties' EIP-712 signatures.
 * Every chain write goes through the chain-write pipeline, once.
 */
import { createHash } from "node:crypto";
import { and, desc, eq, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { getAddress, isAddress, type Address, type Hex, type Log } from "viem";
import type { ServiceContext } from "../context.js";
import { hasRole, requireActor, requireSameOrganization } from "../context.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../errors.js";
import type { Database, Transaction } from "../db/index.js";
import { baseUnitAmountSchema, parseInput, text, uuidSchema } from "../validation.js";
import { offering, tranche } from "../offerings/table.js";
import { getTranche } from "../offerings/service.js";
import { organization, organizationLicense } from "../organizations/table.js";
import { appendAuditEvent, auditActor } from "../audit/service.js";
import { SettlementKeyReusedError } from "../settlement/errors.js";
import { settlementTerms } from "../settlement/service.js";
import {
  recordedSettlementContract,
  SETTLEMENT_ERRORS_ABI,
  settleTradeArgs,
  settleTradeData,
  settlementId,
  tradeSettledEvents,
  tradeTypedData,
  type TradeTerms,
} from "../chain/settlement.js";
import { callToken, DataAssetTokenAbi } from "../chain/token.js";
import { resumeWrite, sendWrite, simulateSignerCall, type ChainWrite, type WriteContext, type WriteOwner } from "../chain/writes.js";
import { restrictionOfRevert } from "../circulation/restrictions.js";
import { offeringVenue, venueTrade, type VenueAdmission } from "./table.js";
import { TradeRefusedError, VenueNotAdmittedError, VenueNotLicensedError } from "./errors.js";

export type OfferingVenue = typeof offeringVenue.$inferSelect;
export type VenueTrade = typeof venueTrade.$inferSelect;

/** The chain-write kind of a venue trade (WRITE_OWNERS maps it to venueTradeOwner for the sweep). */
export const VENUE_TRADE_KIND = "VENUE_TRADE";

/** The bytes32 a venue is named by on chain (DataAssetToken.venueAdmitted, TradeSettled.venueId). */
export const venueIdOf = (venueOrganizationId: string): Hex => settlementId(venueOrganizationId);

/**
 * The trade's registry id, derived from the venue and its idempotency key (a name-based UUID,
 * RFC 4122 version 5, in the venue's own namespace): the parties sign the trade id before the
 * gateway records anything, and the same key always names the same trade.
 */
export function tradeUuid(venueOrganizationId: string, idempotencyKey: string): string {
  const namespace = Buffer.from(venueOrganizationId.replaceAll("-", ""), "hex");
  const hash = createHash("sha1").update(namespace).update(idempotencyKey, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const addressSchema = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), "must be a 0x-prefixed 20-byte address")
  .transform((v) => getAddress(v));
// 65 bytes from an EOA; an ERC-1271 wallet's signature may be longer.
const signatureSchema = z.string().regex(/^0x([0-9a-fA-F]{2}){65,1024}$/, "must be a signature as 0x-prefixed hex (65 bytes or more)");

const tradeTermsSchema = z.object({
  idempotencyKey: text().trim().min(1, "must not be empty").max(200),
  trancheId: uuidSchema,
  seller: addressSchema,
  buyer: addressSchema,
  amount: baseUnitAmountSchema,
  price: baseUnitAmountSchema,
  deadline: z.string().regex(/^[0-9]{1,20}$/, "must be a unix time in seconds, as a decimal string"),
});
const settleTradeSchema = tradeTermsSchema
  .extend({ sellerSignature: signatureSchema, buyerSignature: signatureSchema })
  .refine((p) => p.seller !== p.buyer, { path: ["buyer"], message: "must differ from the seller" });
export type TradeTermsParams = z.input<typeof tradeTermsSchema>;
export type SettleTradeParams = z.input<typeof settleTradeSchema>;

/** Whether a licence `validUntil` (a calendar date) still holds at `now`: valid through that whole day (UTC). */
function validOn(validUntil: Date, now: Date): boolean {
  return now.getTime() < validUntil.getTime() + 86_400_000;
}

/**
 * Why an organization may not trade as a venue at `at` (NOT_A_VENUE, NO_VALID_LICENSE), or null
 * when it is a VENUE holding a MAS_RMO licence valid then; undefined when it does not exist.
 */
export async function venueLicenceProblem(
  ctx: Pick<ServiceContext, "db">,
  organizationId: string,
  at: Date,
): Promise<"NOT_A_VENUE" | "NO_VALID_LICENSE" | null | undefined> {
  const [[org], licences] = await Promise.all([
    ctx.db.select().from(organization).where(eq(organization.id, organizationId)),
    ctx.db
      .select()
      .from(organizationLicense)
      .where(and(eq(organizationLicense.organizationId, organizationId), eq(organizationLicense.type, "MAS_RMO"))),
  ]);
  if (!org) return undefined;
  if (org.kind !== "VENUE") return "NOT_A_VENUE";
  return licences.some((l) => validOn(l.validUntil, at)) ? null : "NO_VALID_LICENSE";
}

/** Refused unless the organization is a VENUE holding a MAS_RMO licence valid today. */
async function requireLicensedVenue(ctx: ServiceContext, organizationId: string) {
  const problem = await venueLicenceProblem(ctx, organizationId, ctx.now());
  if (problem === undefined) throw new NotFoundError("Organization", organizationId);
  if (problem) throw new VenueNotLicensedError(organizationId, problem);
}

const admitSchema = z.object({ offeringId: uuidSchema, venueOrganizationId: uuidSchema });

/**
 * Admits a licensed venue for an offering (ISSUER of the offering's organization): every
 * deployed tranche token gets `setVenue(venueId, true)` through the chain-write pipeline, so
 * the venue's trades may settle on it. Idempotent: a token that admits the venue already is
 * not sent to again, and calling after a new tranche token was deployed admits it there too.
 */
export async function admitVenue(ctx: ServiceContext, input: { offeringId: string; venueOrganizationId: string }): Promise<OfferingVenue> {
  const actor = requireActor(ctx);
  const params = parseInput(admitSchema, input);
  const [o] = await ctx.db.select().from(offering).where(eq(offering.id, params.offeringId));
  if (!o) throw new NotFoundError("Offering", params.offeringId);
  requireSameOrganization(actor, o.issuerOrgId, "offering");
  if (!hasRole(ctx, "ISSUER")) throw new ForbiddenError("only the offering's issuer admits venues");
  await requireLicensedVenue(ctx, params.venueOrganizationId);
  const venueId = venueIdOf(params.venueOrganizationId);
  const tranches = (await ctx.db.select().from(tranche).where(eq(tranche.offeringId, o.id))).filter((t) => t.tokenAddress);
  const [existing] = await ctx.db
    .select()
    .from(offeringVenue)
    .where(and(eq(offeringVenue.offeringId, o.id), eq(offeringVenue.venueOrgId, params.venueOrganizationId)));
  const admissions: VenueAdmission[] = [...(existing?.admissions ?? [])];
  const added: VenueAdmission[] = [];
  for (const t of tranches) {
    const token = t.tokenAddress as Address;
    if (admissions.some((a) => a.trancheId === t.id && a.tokenAddress === token)) continue;
    // The chain decides: a token that already admits the venue (an earlier call that crashed after sending) is not sent to again.
    const admitted = await ctx.chain.publicClient.readContract({
      address: token,
      abi: DataAssetTokenAbi,
      functionName: "venueAdmitted",
      args: [venueId],
    });
    const txHash = admitted ? null : (await callToken(ctx.chain, { token, functionName: "setVenue", args: [venueId, true] })).txHash;
    added.push({ trancheId: t.id, tokenAddress: token, txHash });
  }
  if (existing && added.length === 0) return existing;
  return ctx.db.transaction(async (tx) => {
    await tx
      .insert(offeringVenue)
      .values({ offeringId: o.id, venueOrgId: params.venueOrganizationId, admittedBy: auditActor(ctx).actor })
      .onConflictDoNothing();
    // Merged under the row lock: a concurrent admission's entries are kept, and a token is listed once.
    const [current] = await tx
      .select()
      .from(offeringVenue)
      .where(and(eq(offeringVenue.offeringId, o.id), eq(offeringVenue.venueOrgId, params.venueOrganizationId)))
      .for("update");
    const merged = [...current!.admissions];
    for (const a of added) if (!merged.some((m) => m.trancheId === a.trancheId && m.tokenAddress === a.tokenAddress)) merged.push(a);
    const [row] = await tx
      .update(offeringVenue)
      .set({ admissions: merged, updatedAt: new Date() })
      .where(eq(offeringVenue.id, current!.id))
      .returning();
    await appendAuditEvent(tx, {
      ...auditActor(ctx),
      action: "offering.venue_admitted",
      entityType: "Offering",
      entityId: o.id,
      payload: { venueOrganizationId: params.venueOrganizationId, venueId, admissions: added, chainId: ctx.chain.chainId },
    });
    return row!;
  });
}

/** The venues admitted for an offering, first admitted first. */
export async function listOfferingVenues(db: Database, offeringId: string): Promise<OfferingVenue[]> {
  return db.select().from(offeringVenue).where(eq(offeringVenue.offeringId, offeringId)).orderBy(offeringVenue.admittedAt);
}

type Loaded = Awaited<ReturnType<typeof getTranche>>;

/** Everything a trade needs that is not in its input: the caller's venue, the tranche's token and currency, the contract. */
async function tradeContext(ctx: ServiceContext, params: z.output<typeof tradeTermsSchema>) {
  const actor = requireActor(ctx);
  if (!hasRole(ctx, "VENUE_OPERATOR")) throw new ForbiddenError("only a venue's operators submit its trades");
  const venueOrgId = actor.organizationId;
  const loaded: Loaded = await getTranche(ctx.db, params.trancheId);
  const { tranche: t, offering: o } = loaded;
  if (!t.tokenAddress) throw new ConflictError(`tranche ${t.id} has no deployed token yet`);
  const { currency } = settlementTerms(o);
  const id = tradeUuid(venueOrgId, params.idempotencyKey);
  // Recorded when the tranche token was deployed (it is the token's AGENT): a trade never deploys one.
  const settlement = await recordedSettlementContract(ctx.chain);
  if (!settlement) throw new ConflictError("the settlement contract is not deployed on this chain yet");
  const terms: TradeTerms = {
    tradeId: settlementId(id),
    venueId: venueIdOf(venueOrgId),
    token: t.tokenAddress as Address,
    seller: params.seller,
    buyer: params.buyer,
    amount: BigInt(params.amount),
    currency,
    price: BigInt(params.price),
    deadline: BigInt(params.deadline),
  };
  return { venueOrgId, id, t, o, settlement, terms };
}

/**
 * The EIP-712 typed data seller and buyer each sign for a trade (VENUE_OPERATOR): the trade id
 * is the one settleTrade will record for the same idempotency key. Reads only.
 */
export async function tradeAuthorization(ctx: ServiceContext, input: TradeTermsParams) {
  const params = parseInput(tradeTermsSchema, input);
  const { id, settlement, terms } = await tradeContext(ctx, params);
  return {
    tradeRecordId: id,
    settlementContract: settlement,
    typedData: tradeTypedData({ chainId: ctx.chain.chainId, settlement, trade: terms }),
  };
}

/** Runs settleTrade against the chain's current state: its gas, or the decoded reason it would revert. */
function simulateTrade(ctx: ServiceContext, settlement: Address, args: ReturnType<typeof settleTradeArgs>) {
  return simulateSignerCall(ctx.chain, { address: settlement, abi: SETTLEMENT_ERRORS_ABI, functionName: "settleTrade", args });
}

/** Rolls back a write whose trade another caller sent first. */
class TradeTakenError extends Error {}

async function findTrade(db: Database | Transaction, id: string): Promise<VenueTrade | undefined> {
  const [row] = await db.select().from(venueTrade).where(eq(venueTrade.id, id));
  return row;
}

/**
 * Settles a trade the venue matched (VENUE_OPERATOR of the venue): `amount` tranche tokens from
 * `seller` to `buyer` against `price` stablecoin base units from `buyer` to `seller`, both legs
 * in one settleTrade transaction, which checks the parties' EIP-712 signatures of the trade
 * (tradeAuthorization). Refused with nothing sent unless the venue still holds a valid MAS_RMO
 * licence (VenueNotLicensedError), is admitted for the offering (VenueNotAdmittedError) and the chain would settle it now (TradeRefusedError with
 * the decoded reason: an insufficient stablecoin balance or allowance, a bad signature, an
 * expired deadline…). Sent exactly once: the same idempotency key returns the same trade.
 * Answers the trade as recorded from the chain's TradeSettled event (CONFIRMED), or REJECTED.
 */
export async function settleTrade(ctx: ServiceContext, input: SettleTradeParams): Promise<VenueTrade> {
  const params = parseInput(settleTradeSchema, input);
  const { venueOrgId, id, t, o, settlement, terms } = await tradeContext(ctx, params);
  const sameAs = (row: VenueTrade) => {
    const same =
      row.trancheId === t.id &&
      row.seller === terms.seller &&
      row.buyer === terms.buyer &&
      row.amount === params.amount &&
      row.price === params.price &&
      row.deadline === terms.deadline;
    if (!same) throw new SettlementKeyReusedError(params.idempotencyKey, row.id);
    return row;
  };
  const existing = await findTrade(ctx.db, id);
  if (existing) {
    sameAs(existing);
    if (existing.status !== "REQUESTED") return existing.status === "SUBMITTED" ? awaitTrade(ctx, existing) : existing;
  }
  // The licence is checked at every trade, not only at admission: a lapsed MAS_RMO licence stops the venue's trades.
  await requireLicensedVenue(ctx, venueOrgId);
  const [admission] = await ctx.db
    .select()
    .from(offeringVenue)
    .where(and(eq(offeringVenue.offeringId, o.id), eq(offeringVenue.venueOrgId, venueOrgId)));
  if (!admission?.admissions.some((a) => a.trancheId === t.id && a.tokenAddress === t.tokenAddress)) {
    throw new VenueNotAdmittedError(venueOrgId, t.id);
  }
  const args = settleTradeArgs(terms, params.sellerSignature as Hex, params.buyerSignature as Hex);
  const simulated = await simulateTrade(ctx, settlement, args);
  if ("reason" in simulated) {
    if (existing) await reject(ctx.db, existing.id, simulated.reason);
    // A circulation rule of the token names its restriction code, as transferCheck would.
    const restriction = simulated.data ? restrictionOfRevert(simulated.data, terms.seller, terms.buyer) : null;
    throw new TradeRefusedError(simulated.reason, restriction);
  }
  const requested =
    existing ??
    (await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(venueTrade)
        .values({
          id,
          tradeId: terms.tradeId,
          idempotencyKey: params.idempotencyKey,
          venueOrgId,
          offeringId: o.id,
          trancheId: t.id,
          requestedBy: auditActor(ctx).actor,
          tokenAddress: terms.token,
          seller: terms.seller,
          buyer: terms.buyer,
          amount: params.amount,
          price: params.price,
          currency: terms.currency,
          deadline: terms.deadline,
        })
        .onConflictDoNothing()
        .returning();
      if (!row) return undefined;
      await appendAuditEvent(tx, {
        ...auditActor(ctx),
        action: "venue_trade.requested",
        entityType: "VenueTrade",
        entityId: row.id,
        payload: {
          tradeId: terms.tradeId,
          venueOrganizationId: venueOrgId,
          offeringId: o.id,
          trancheId: t.id,
          tokenAddress: terms.token,
          seller: terms.seller,
          buyer: terms.buyer,
          amount: params.amount,
          price: params.price,
          currency: terms.currency,
          deadline: terms.deadline.toString(),
          settlementContract: settlement,
        },
      });
      return row;
    }));
  // Another call with the same key recorded it first: that call sends it; this one answers the same trade.
  if (!requested) return awaitTrade(ctx, sameAs((await findTrade(ctx.db, id))!));
  const wctx = writeContext(ctx);
  let sent;
  try {
    sent = await sendWrite(
      wctx,
      { kind: VENUE_TRADE_KIND, to: settlement, data: settleTradeData(...args), gas: simulated.gas, subject: { tradeRecordId: id } },
      async (tx, write) => {
        // The trade is sent at most once: its move to SUBMITTED commits with the write, or neither does.
        const [moved] = await tx
          .update(venueTrade)
          .set({ status: "SUBMITTED", writeId: write.id, txHash: write.hash, updatedAt: new Date() })
          .where(and(eq(venueTrade.id, id), eq(venueTrade.status, "REQUESTED"), sql`${venueTrade.writeId} is null`))
          .returning({ id: venueTrade.id });
        if (!moved) throw new TradeTakenError();
      },
    );
  } catch (error) {
    if (!(error instanceof TradeTakenError)) throw error;
    return awaitTrade(ctx, (await findTrade(ctx.db, id))!);
  }
  await resumeWrite(wctx, sent.write.id, venueTradeOwner, sent);
  return (await findTrade(ctx.db, id))!;
}

function writeContext(ctx: ServiceContext): WriteContext {
  return { db: ctx.db, chain: ctx.chain, logger: ctx.chain.logger };
}

/** A trade SUBMITTED by an earlier (or concurrent) call: resumed by hash until it settles, never sent anew. */
async function awaitTrade(ctx: ServiceContext, row: VenueTrade): Promise<VenueTrade> {
  if (row.status !== "SUBMITTED" || !row.writeId) return row;
  await resumeWrite(writeContext(ctx), row.writeId, venueTradeOwner);
  return (await findTrade(ctx.db, row.id))!;
}

/** A REQUESTED trade (recorded, never sent) that the chain refuses now: REJECTED, nothing moved. */
async function reject(db: Database, id: string, reason: string) {
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(venueTrade)
      .set({ status: "REJECTED", revertReason: reason, updatedAt: new Date() })
      .where(and(eq(venueTrade.id, id), eq(venueTrade.status, "REQUESTED")))
      .returning({ id: venueTrade.id });
    if (row) {
      await appendAuditEvent(tx, {
        actor: "SYSTEM",
        action: "venue_trade.rejected",
        entityType: "VenueTrade",
        entityId: id,
        payload: { reason, onChain: false },
      });
    }
  });
}

/**
 * Settles a venue trade's chain write, whoever finds its outcome (the caller waiting, or a
 * worker's sweep): CONFIRMED is recorded from the receipt's TradeSettled event (what the chain
 * settled: parties, amount, price, currency), REJECTED when it reverted or never mined.
 */
export const venueTradeOwner: WriteOwner = {
  async settle(tx, write: ChainWrite, outcome) {
    const [row] = await tx.select().from(venueTrade).where(eq(venueTrade.writeId, write.id));
    if (row?.status !== "SUBMITTED") return;
    const facts = { writeId: write.id, nonce: write.nonce, chainId: write.chainId };
    if (outcome.status !== "CONFIRMED") {
      const reason = outcome.status === "REVERTED" ? outcome.reason : `nonce taken by ${outcome.taker.hash}`;
      const mined =
        outcome.status === "REVERTED"
          ? { txHash: outcome.receipt.transactionHash, blockNumber: outcome.receipt.blockNumber }
          : { txHash: null, blockNumber: null };
      await tx
        .update(venueTrade)
        .set({ ...mined, status: "REJECTED", revertReason: reason, updatedAt: new Date() })
        .where(eq(venueTrade.id, row.id));
      await appendAuditEvent(tx, {
        actor: "SYSTEM",
        action: "venue_trade.rejected",
        entityType: "VenueTrade",
        entityId: row.id,
        payload: { ...facts, ...mined, reason, onChain: outcome.status === "REVERTED" },
      });
      return;
    }
    // The pipeline hands the node's full receipt; its logs are what the chain settled.
    const logs = ((outcome.receipt as { logs?: Log[] }).logs ?? []) as Log[];
    const event = tradeSettledEvents(write.toAddress as Address, logs).find((e) => e.args.tradeId === row.tradeId);
    const settled = event
      ? {
          seller: getAddress(event.args.seller),
          buyer: getAddress(event.args.buyer),
          amount: event.args.amount.toString(),
          price: event.args.price.toString(),
          currency: getAddress(event.args.currency),
          tokenAddress: getAddress(event.args.token),
        }
      : {};
    const mined = { txHash: outcome.receipt.transactionHash, blockNumber: outcome.receipt.blockNumber };
    await tx
      .update(venueTrade)
      .set({ ...settled, ...mined, status: "CONFIRMED", revertReason: null, updatedAt: new Date() })
      .where(eq(venueTrade.id, row.id));
    await appendAuditEvent(tx, {
      actor: "SYSTEM",
      action: "venue_trade.confirmed",
      entityType: "VenueTrade",
      entityId: row.id,
      payload: {
        ...facts,
        txHash: mined.txHash,
        blockNumber: mined.blockNumber.toString(),
        tradeId: row.tradeId,
        venueId: event?.args.venueId ?? null,
        ...settled,
        fromEvent: Boolean(event),
      },
    });
  },
};

export const VENUE_WRITE_OWNERS: Record<string, WriteOwner> = { [VENUE_TRADE_KIND]: venueTradeOwner };

/**
 * A venue's trades the caller may read, newest first (at most 500): the venue's own staff all
 * of them; an ISSUER those of its offerings; compliance officers and operators all.
 */
export async function listVenueTrades(
  ctx: ServiceContext,
  input: { venueOrganizationId: string; first?: number | null },
): Promise<VenueTrade[]> {
  const actor = requireActor(ctx);
  const venueOrgId = parseInput(uuidSchema, input.venueOrganizationId);
  const first = parseInput(
    z.number().int().min(1, "must be at least 1").max(500, "must be at most 500").default(100),
    input.first ?? undefined,
  );
  let readable: SQL | undefined;
  if (hasRole(ctx, "COMPLIANCE_OFFICER", "ADMIN") || actor.organizationId === venueOrgId) readable = undefined;
  else if (hasRole(ctx, "ISSUER")) {
    readable = inArray(
      venueTrade.offeringId,
      sql`(select ${offering.id} from ${offering} where ${offering.issuerOrgId} = ${actor.organizationId})`,
    );
  } else throw new ForbiddenError("only the venue itself, an issuer, compliance officers and operators read a venue's trades");
  return ctx.db
    .select()
    .from(venueTrade)
    .where(and(eq(venueTrade.venueOrgId, venueOrgId), readable))
    .orderBy(desc(venueTrade.createdAt), venueTrade.id)
    .limit(first);
}
