import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { ChainUnavailableError, ConflictError } from "../errors.js";
import { ContractRevertedError } from "../chain/errors.js";
import { OfferingRef, TrancheRef } from "../offerings/graphql.js";
import { getTranche } from "../offerings/service.js";
import { OrganizationRef } from "../organizations/graphql.js";
import { getOrganization } from "../organizations/service.js";
import { SettlementKeyReusedError, SettlementNotConfiguredError } from "../settlement/errors.js";
import { VENUE_TRADE_STATUSES, type VenueAdmission } from "./table.js";
import { TradeRefusedError, VenueNotAdmittedError, VenueNotLicensedError } from "./errors.js";
import { RestrictionCodeEnum } from "../circulation/graphql.js";
import {
  admitVenue,
  listOfferingVenues,
  listVenueTrades,
  settleTrade,
  tradeAuthorization,
  venueIdOf,
  type OfferingVenue,
  type VenueTrade,
} from "./service.js";

const errorFields = { interfaces: [ErrorInterface] };
builder.objectType(VenueNotLicensedError, {
  ...errorFields,
  name: "VenueNotLicensedError",
  fields: (t) => ({
    organizationId: t.exposeID("organizationId"),
    reason: t.exposeString("reason", { description: "NOT_A_VENUE or NO_VALID_LICENSE (no MAS_RMO licence valid today)" }),
  }),
});
builder.objectType(VenueNotAdmittedError, {
  ...errorFields,
  name: "VenueNotAdmittedError",
  description: "The venue is not admitted for the tranche's offering (admitVenue). Nothing was recorded or sent.",
  fields: (t) => ({ venueOrganizationId: t.exposeID("venueOrganizationId"), trancheId: t.exposeID("trancheId") }),
});
builder.objectType(TradeRefusedError, {
  ...errorFields,
  name: "TradeRefusedError",
  description: "The chain would refuse the trade now. Nothing moved on either leg.",
  fields: (t) => ({
    reason: t.exposeString("reason", {
      description:
        "The decoded error: InvalidTradeSignature, TradeExpired, TradeAlreadySettled, ERC20InsufficientBalance, ERC20InsufficientAllowance, NotWhitelisted, VenueNotAdmitted…",
    }),
    restriction: t.field({
      type: RestrictionCodeEnum,
      nullable: true,
      description:
        "When a circulation rule of the token refused the transfer leg: its restriction code, as transferCheck names it (INVESTOR_CLASS_NOT_ALLOWED, LOCKED_UP, …)",
      resolve: (e) => e.restriction,
    }),
  }),
});

const VenueTradeStatus = builder.enumType("VenueTradeStatus", {
  values: VENUE_TRADE_STATUSES,
  description:
    "REQUESTED (recorded) → SUBMITTED (its settleTrade transaction recorded and broadcast) → CONFIRMED (both legs happened) or REJECTED (reverted or never mined: nothing moved).",
});

const VenueAdmissionRef = builder.objectRef<VenueAdmission>("VenueAdmission").implement({
  description: "A tranche token the venue is admitted on.",
  fields: (t) => ({
    trancheId: t.exposeID("trancheId"),
    tokenAddress: t.exposeString("tokenAddress"),
    txHash: t.exposeString("txHash", {
      nullable: true,
      description: "The setVenue transaction; null when the token admitted the venue already",
    }),
  }),
});

export const OfferingVenueRef = builder.objectRef<OfferingVenue>("OfferingVenue").implement({
  description: "A licensed venue the offering's issuer admitted: its trades of the offering's tranche tokens settle by DvP.",
  fields: (t) => ({
    venue: t.field({ type: OrganizationRef, resolve: (v, _args, ctx) => getOrganization(ctx, v.venueOrgId) }),
    venueId: t.string({ description: "The bytes32 the tokens name the venue by", resolve: (v) => venueIdOf(v.venueOrgId) }),
    admittedBy: t.exposeString("admittedBy"),
    admittedAt: t.expose("admittedAt", { type: "DateTime" }),
    admissions: t.field({ type: [VenueAdmissionRef], resolve: (v) => v.admissions }),
  }),
});

export const VenueTradeRef = builder.objectRef<VenueTrade>("VenueTrade").implement({
  description:
    "A secondary trade a venue matched, settled by DvP: the buyer's stablecoin to the seller, the seller's tokens to the buyer, in one transaction.",
  fields: (t) => ({
    id: t.exposeID("id"),
    tradeId: t.exposeString("tradeId", { description: "The bytes32 the settlement contract names the trade by" }),
    idempotencyKey: t.exposeString("idempotencyKey"),
    status: t.expose("status", { type: VenueTradeStatus }),
    venueOrganizationId: t.exposeID("venueOrgId"),
    offeringId: t.exposeID("offeringId"),
    tranche: t.field({ type: TrancheRef, resolve: async (v, _args, ctx) => (await getTranche(ctx.db, v.trancheId)).tranche }),
    tokenAddress: t.exposeString("tokenAddress"),
    seller: t.exposeString("seller"),
    buyer: t.exposeString("buyer"),
    amount: t.exposeString("amount", { description: "Tranche-token base units" }),
    price: t.exposeString("price", { description: "Settlement-currency base units the buyer pays for the amount" }),
    currency: t.exposeString("currency"),
    deadline: t.string({ description: "Unix seconds the signatures were valid until", resolve: (v) => v.deadline.toString() }),
    txHash: t.exposeString("txHash", { nullable: true }),
    blockNumber: t.string({ nullable: true, resolve: (v) => v.blockNumber?.toString() ?? null }),
    revertReason: t.exposeString("revertReason", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

builder.mutationField("admitVenue", (t) =>
  t.field({
    type: OfferingVenueRef,
    description:
      "Admits a VENUE organization with a MAS_RMO licence valid today for the offering: setVenue on every deployed tranche token. Idempotent (call again after a new tranche token). ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [VenueNotLicensedError, ContractRevertedError, ChainUnavailableError] },
    args: { offeringId: t.arg.id({ required: true }), venueOrganizationId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => admitVenue(ctx, args),
  }),
);

const tradeTermFields = (t: any) => ({
  idempotencyKey: t.string({ required: true, description: "Unique per venue: the same key names the same trade" }),
  trancheId: t.id({ required: true }),
  seller: t.string({ required: true, description: "The seller's wallet: signs the trade, delivers the tokens, receives the price" }),
  buyer: t.string({
    required: true,
    description: "The buyer's wallet: signs the trade, pays the price (a prior approve of settlementContract)",
  }),
  amount: t.string({ required: true, description: "Tranche-token base units, as a decimal string" }),
  price: t.string({ required: true, description: "Settlement-currency base units for the whole amount, as a decimal string" }),
  deadline: t.string({ required: true, description: "Unix seconds, as a decimal string: the signatures settle nothing after it" }),
});

const TradeTermsInput = builder.inputType("TradeTermsInput", { fields: (t) => tradeTermFields(t) });
const SettleTradeInput = builder.inputType("SettleTradeInput", {
  fields: (t) => ({
    ...tradeTermFields(t),
    sellerSignature: t.string({ required: true, description: "The seller's EIP-712 signature of the trade (tradeAuthorization)" }),
    buyerSignature: t.string({ required: true, description: "The buyer's EIP-712 signature of the same trade" }),
  }),
});

const TradeAuthorizationRef = builder.objectRef<Awaited<ReturnType<typeof tradeAuthorization>>>("TradeAuthorization").implement({
  description: "What seller and buyer each sign (eth_signTypedData_v4) for settleTrade.",
  fields: (t) => ({
    tradeRecordId: t.exposeID("tradeRecordId", { description: "The id settleTrade records the trade under (VenueTrade.id)" }),
    settlementContract: t.exposeString("settlementContract", { description: "The verifying contract, and the spender the buyer approves" }),
    typedData: t.field({
      type: "JSON",
      description: "domain, types, primaryType and message; uint256 values as decimal strings",
      resolve: (a) => JSON.parse(JSON.stringify(a.typedData, (_k, v) => (typeof v === "bigint" ? v.toString() : v))),
    }),
  }),
});

const tradeErrors = [SettlementNotConfiguredError, ConflictError, ChainUnavailableError];

builder.queryField("tradeAuthorization", (t) =>
  t.field({
    type: TradeAuthorizationRef,
    description: "The EIP-712 typed data of a trade, for seller and buyer to sign before the venue sends settleTrade. VENUE_OPERATOR.",
    authScopes: { anyRole: ["VENUE_OPERATOR"] },
    errors: { types: tradeErrors },
    args: { input: t.arg({ type: TradeTermsInput, required: true }) },
    resolve: (_root, { input }, ctx) => tradeAuthorization(ctx, input as any),
  }),
);

builder.mutationField("settleTrade", (t) =>
  t.field({
    type: VenueTradeRef,
    description:
      "Settles a trade the caller's venue matched, by DvP in one transaction: the price from buyer to seller, the tokens from seller to buyer, both parties' EIP-712 signatures checked on chain. Refused with nothing sent unless the venue holds a valid MAS_RMO licence (VenueNotLicensedError) and is admitted for the offering (VenueNotAdmittedError) and the chain would settle it (TradeRefusedError). The same key returns the same trade. VENUE_OPERATOR of the venue.",
    authScopes: { anyRole: ["VENUE_OPERATOR"] },
    errors: { types: [VenueNotLicensedError, VenueNotAdmittedError, TradeRefusedError, SettlementKeyReusedError, ...tradeErrors] },
    args: { input: t.arg({ type: SettleTradeInput, required: true }) },
    resolve: (_root, { input }, ctx) => settleTrade(ctx, input as any),
  }),
);

builder.queryField("venueTrades", (t) =>
  t.field({
    type: [VenueTradeRef],
    description:
      "A venue's trades, newest first (at most 500): to the venue's own staff, an ISSUER (those of its offerings), COMPLIANCE_OFFICER and ADMIN.",
    authScopes: { anyRole: ["VENUE_OPERATOR", "ISSUER", "COMPLIANCE_OFFICER", "ADMIN"] },
    errors: {},
    args: { venueOrganizationId: t.arg.id({ required: true }), first: t.arg.int({ description: "At most 500; 100 by default" }) },
    resolve: (_root, args, ctx) => listVenueTrades(ctx, args),
  }),
);

builder.objectFields(OfferingRef, (t) => ({
  venues: t.field({
    type: [OfferingVenueRef],
    description: "The licensed venues admitted for the offering (admitVenue), first admitted first.",
    resolve: (o, _args, ctx) => listOfferingVenues(ctx.db, o.id),
  }),
}));
