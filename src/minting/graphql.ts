import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { TrancheRef } from "../offerings/graphql.js";
import { getTranche } from "../offerings/service.js";
import { InvestorRef } from "../investors/graphql.js";
import { getInvestor } from "../investors/service.js";
import { IdempotencyKeyReusedError, SupplyCapExceededError } from "./errors.js";
import { MINT_STATUSES } from "./table.js";
import { getMintRequest, requestMint, type MintRequest } from "./service.js";

const MintStatus = builder.enumType("MintStatus", { values: MINT_STATUSES });

builder.objectType(IdempotencyKeyReusedError, {
  name: "IdempotencyKeyReusedError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ existingRequestId: t.exposeID("existingRequestId") }),
});
builder.objectType(SupplyCapExceededError, {
  name: "SupplyCapExceededError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    supplyCap: t.exposeString("supplyCap"),
    alreadyRequested: t.exposeString("alreadyRequested"),
    requested: t.exposeString("requested"),
  }),
});

export const MintRequestRef = builder.objectRef<MintRequest>("MintRequest").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    idempotencyKey: t.exposeString("idempotencyKey"),
    tranche: t.field({ type: TrancheRef, resolve: async (m, _args, ctx) => (await getTranche(ctx.db, m.trancheId)).tranche }),
    investor: t.field({ type: InvestorRef, resolve: (m, _args, ctx) => getInvestor(ctx, m.investorId) }),
    recipient: t.exposeString("recipient"),
    amount: t.exposeString("amount", { description: "Base units, as a decimal string" }),
    status: t.expose("status", { type: MintStatus }),
    txHash: t.exposeString("txHash", { nullable: true }),
    nonce: t.exposeInt("nonce", { nullable: true }),
    blockNumber: t.string({ nullable: true, resolve: (m) => m.blockNumber?.toString() ?? null }),
    attempts: t.exposeInt("attempts"),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
  }),
});

const RequestMintInput = builder.inputType("RequestMintInput", {
  fields: (t) => ({
    idempotencyKey: t.string({ required: true, description: "Unique per organization: resending it returns the same request" }),
    trancheId: t.id({ required: true }),
    investorId: t.id({ required: true }),
    amount: t.string({ required: true, description: "Base units, as a decimal string (never a float)" }),
  }),
});

builder.mutationField("requestMint", (t) =>
  t.field({
    type: MintRequestRef,
    description:
      "Requests a mint; refused with ComplianceNotSatisfiedError until every requirement holds. Returns at once with status REQUESTED; poll mintRequest for the outcome. ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [ComplianceNotSatisfiedError, IdempotencyKeyReusedError, SupplyCapExceededError] },
    args: { input: t.arg({ type: RequestMintInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      requestMint(ctx, { ...input, trancheId: String(input.trancheId), investorId: String(input.investorId) }),
  }),
);

builder.queryField("mintRequest", (t) =>
  t.field({
    type: MintRequestRef,
    authScopes: { authenticated: true },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getMintRequest(ctx, String(id)),
  }),
);
