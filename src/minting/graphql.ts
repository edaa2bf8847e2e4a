import { builder } from "../graphql/builder.js";
import { ErrorInterface, FieldIssueRef, toConnection } from "../graphql/common.js";
import { ChainUnavailableError, ValidationError } from "../errors.js";
import { ComplianceNotSatisfiedError } from "../compliance/errors.js";
import { TrancheRef } from "../offerings/graphql.js";
import { getTranche } from "../offerings/service.js";
import { OfferingNotOpenError } from "../offerings/errors.js";
import { InvestorRef } from "../investors/graphql.js";
import { getInvestor } from "../investors/service.js";
import { canReadInvestor } from "../investors/access.js";
import {
  BulkMintRefusedError,
  IdempotencyKeyReusedError,
  InsufficientBalanceError,
  SupplyCapExceededError,
  type BulkMintItemError,
} from "./errors.js";
import { MINT_STATUSES, TOKEN_CONTROL_ACTIONS } from "./table.js";
import { getMintRequest, listMintRequests, mintFailure, requestMint, requestMints, type MintFailure, type MintRequest } from "./service.js";
import { ContractRevertedError } from "../chain/errors.js";
import { CHANNELS, statusStream } from "../notifications/change-feed.js";
import {
  forcedTransfer,
  getTokenControlState,
  listTokenControlActions,
  setAddressFrozen,
  setTokenPaused,
  type TokenControlAction,
} from "./controls.js";

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

// A value of the request, not a thrown error (graphql-js would treat a returned Error as a field error).
const MintFailedErrorRef = builder.objectRef<MintFailure>("MintFailedError").implement({
  description: "Why a mint request ended without minting, and what to do about it. Nothing was minted for it.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    requestId: t.exposeID("requestId"),
    status: t.expose("status", { type: MintStatus }),
    reason: t.exposeString("reason", { description: "COMPLIANCE_NOT_SATISFIED, REVERTED or MINT_FAILED" }),
    revertReason: t.exposeString("revertReason", { nullable: true, description: "Decoded contract error, e.g. NotWhitelisted" }),
    action: t.exposeString("action", { description: "What the client should do next" }),
  }),
});
builder.objectType(InsufficientBalanceError, {
  name: "InsufficientBalanceError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ account: t.exposeString("account"), balance: t.exposeString("balance"), requested: t.exposeString("requested") }),
});
builder.objectType(ContractRevertedError, {
  name: "ContractRevertedError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    functionName: t.exposeString("functionName"),
    reason: t.exposeString("reason", { description: "Decoded custom error or revert reason" }),
  }),
});

export const MintRequestRef = builder.objectRef<MintRequest>("MintRequest").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    idempotencyKey: t.exposeString("idempotencyKey"),
    tranche: t.field({ type: TrancheRef, resolve: async (m, _args, ctx) => (await getTranche(ctx.db, m.trancheId)).tranche }),
    investor: t.field({
      type: InvestorRef,
      nullable: true,
      description: "The receiving investor; null for a caller whose roles may not read investor facts.",
      // Not an error: a non-null field that throws would null the whole mint request for that caller.
      resolve: (m, _args, ctx) => (canReadInvestor(ctx, m.investorId) ? getInvestor(ctx, m.investorId) : null),
    }),
    recipient: t.exposeString("recipient"),
    amount: t.exposeString("amount", { description: "Base units, as a decimal string" }),
    status: t.expose("status", { type: MintStatus }),
    txHash: t.exposeString("txHash", { nullable: true }),
    nonce: t.exposeInt("nonce", { nullable: true }),
    blockNumber: t.string({ nullable: true, resolve: (m) => m.blockNumber?.toString() ?? null }),
    attempts: t.exposeInt("attempts"),
    errorCode: t.exposeString("errorCode", { nullable: true }),
    errorMessage: t.exposeString("errorMessage", { nullable: true }),
    revertReason: t.exposeString("revertReason", {
      nullable: true,
      description: "Decoded contract error when REVERTED, e.g. NotWhitelisted",
    }),
    error: t.field({
      type: MintFailedErrorRef,
      nullable: true,
      description: "Set when the request ended FAILED or REVERTED: why, and what to do next.",
      resolve: (m) => mintFailure(m),
    }),
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
    errors: { types: [ComplianceNotSatisfiedError, IdempotencyKeyReusedError, SupplyCapExceededError, OfferingNotOpenError] },
    args: { input: t.arg({ type: RequestMintInput, required: true }) },
    resolve: (_root, { input }, ctx) => requestMint(ctx, input),
  }),
);

// A plain value, not the item's Error instance (graphql-js would treat a returned Error as a field error).
const BulkMintItemErrorRef = builder.objectRef<BulkMintItemError>("BulkMintItemError").implement({
  description: "One refused item of a requestMints list: where it is, and the code and message requestMint would have answered for it.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    index: t.exposeInt("index", { description: "The item's position in `items`, from 0" }),
    idempotencyKey: t.exposeString("idempotencyKey", { nullable: true }),
    issues: t.field({
      type: [FieldIssueRef],
      nullable: true,
      description: "VALIDATION_FAILED: the fields at fault",
      resolve: (i) => (i.error instanceof ValidationError ? i.error.issues : null),
    }),
    unmetCodes: t.stringList({
      nullable: true,
      description: "COMPLIANCE_NOT_SATISFIED: the requirements that do not hold",
      resolve: (i) => (i.error instanceof ComplianceNotSatisfiedError ? i.error.unmet.map((u) => u.code) : null),
    }),
    existingRequestId: t.id({
      nullable: true,
      description: "IDEMPOTENCY_KEY_REUSED: the request the key already names",
      resolve: (i) => (i.error instanceof IdempotencyKeyReusedError ? i.error.existingRequestId : null),
    }),
  }),
});
builder.objectType(BulkMintRefusedError, {
  name: "BulkMintRefusedError",
  interfaces: [ErrorInterface],
  description: "At least one item would be refused; nothing was recorded for any item.",
  fields: (t) => ({ items: t.field({ type: [BulkMintItemErrorRef], resolve: (e) => e.items }) }),
});

builder.mutationField("requestMints", (t) =>
  t.field({
    type: [MintRequestRef],
    description:
      "Requests many mints at once (up to 500), each item as requestMint takes it, with its own idempotency key. All or nothing: if any item would be refused, BulkMintRefusedError names each one and nothing is recorded. Returns the requests in the items' order (REQUESTED, or the earlier request of a key resent with the same parameters). ISSUER of the offerings.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [BulkMintRefusedError] },
    args: { items: t.arg({ type: [RequestMintInput], required: true }) },
    resolve: (_root, { items }, ctx) => requestMints(ctx, { items }),
  }),
);

builder.queryField("mintRequest", (t) =>
  t.field({
    type: MintRequestRef,
    // A signed-in investor reads the requests to them (getMintRequest / listMintRequests apply the rule).
    authScopes: { $any: { authenticated: true, anyRole: ["INVESTOR"] } },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getMintRequest(ctx, id),
  }),
);

const MintRequestFilter = builder.inputType("MintRequestFilter", {
  fields: (t) => ({
    status: t.field({ type: MintStatus }),
    trancheId: t.id(),
  }),
});

builder.queryField("mintRequests", (t) =>
  t.connection({
    type: MintRequestRef,
    description:
      "Mint requests of the caller's organization (all of them for compliance/admin; an INVESTOR's own), newest first. Forward pagination: first ≤ 100, after.",
    // A signed-in investor reads the requests to them (getMintRequest / listMintRequests apply the rule).
    authScopes: { $any: { authenticated: true, anyRole: ["INVESTOR"] } },
    args: { filter: t.arg({ type: MintRequestFilter }) },
    resolve: async (_root, args, ctx) => {
      const page = await listMintRequests(ctx, {
        status: args.filter?.status,
        trancheId: args.filter?.trancheId ?? undefined,
        first: args.first,
        after: args.after,
      });
      return toConnection(page, args.after);
    },
  }),
);

const TokenControlActionKind = builder.enumType("TokenControlActionKind", { values: TOKEN_CONTROL_ACTIONS });

const TokenControlActionRef = builder.objectRef<TokenControlAction>("TokenControlAction").implement({
  description: "An audited use of the AGENT's token controls.",
  fields: (t) => ({
    id: t.exposeID("id"),
    trancheId: t.exposeID("trancheId"),
    action: t.expose("action", { type: TokenControlActionKind }),
    actorSubject: t.exposeString("actorSubject"),
    actorOrgId: t.exposeID("actorOrgId"),
    account: t.exposeString("account", { nullable: true }),
    toAccount: t.exposeString("toAccount", { nullable: true }),
    amount: t.exposeString("amount", { nullable: true, description: "Base units, as a decimal string" }),
    reason: t.exposeString("reason", { nullable: true }),
    txHash: t.exposeString("txHash"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

// Token state lives beside the controls that change it; the Tranche type shows it.
builder.objectFields(TrancheRef, (t) => ({
  paused: t.boolean({
    description: "Whether the token is paused (as recorded from the AGENT's confirmed transactions).",
    resolve: async (tr, _args, ctx) => (await getTokenControlState(ctx.db, tr.id)).paused,
  }),
  frozenAddresses: t.stringList({
    description: "Addresses frozen on the token (lower-case).",
    resolve: async (tr, _args, ctx) => (await getTokenControlState(ctx.db, tr.id)).frozenAddresses,
  }),
  controlActions: t.field({
    type: [TokenControlActionRef],
    description: "Audit trail of token controls, newest first.",
    resolve: (tr, _args, ctx) => listTokenControlActions(ctx.db, tr.id),
  }),
}));

const agentErrors = [ContractRevertedError, ChainUnavailableError];

builder.mutationField("pauseToken", (t) =>
  t.field({
    type: TokenControlActionRef,
    description: "Pauses every mint and transfer of the tranche's token. AGENT: ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: agentErrors },
    args: { trancheId: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: (_root, args, ctx) => setTokenPaused(ctx, { trancheId: args.trancheId, paused: true, reason: args.reason }),
  }),
);

builder.mutationField("unpauseToken", (t) =>
  t.field({
    type: TokenControlActionRef,
    description: "Lifts a pause of the tranche's token. AGENT: ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: agentErrors },
    args: { trancheId: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: (_root, args, ctx) => setTokenPaused(ctx, { trancheId: args.trancheId, paused: false, reason: args.reason }),
  }),
);

builder.mutationField("freezeAddress", (t) =>
  t.field({
    type: TokenControlActionRef,
    description: "Freezes an address on the tranche's token: it can neither send nor receive. AGENT: ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: agentErrors },
    args: { trancheId: t.arg.id({ required: true }), address: t.arg.string({ required: true }), reason: t.arg.string() },
    resolve: (_root, args, ctx) =>
      setAddressFrozen(ctx, { trancheId: args.trancheId, address: args.address, frozen: true, reason: args.reason }),
  }),
);

builder.mutationField("unfreezeAddress", (t) =>
  t.field({
    type: TokenControlActionRef,
    description: "Unfreezes an address on the tranche's token. AGENT: ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: agentErrors },
    args: { trancheId: t.arg.id({ required: true }), address: t.arg.string({ required: true }), reason: t.arg.string() },
    resolve: (_root, args, ctx) =>
      setAddressFrozen(ctx, { trancheId: args.trancheId, address: args.address, frozen: false, reason: args.reason }),
  }),
);

const ForcedTransferInput = builder.inputType("ForcedTransferInput", {
  fields: (t) => ({
    trancheId: t.id({ required: true }),
    from: t.string({ required: true, description: "The address tokens are taken from (e.g. a lost wallet)" }),
    toInvestorId: t.id({ required: true, description: "An eligible, whitelisted investor who receives them" }),
    amount: t.string({ required: true, description: "Base units, as a decimal string" }),
    reason: t.string({ required: true, description: "Why (kept in the audit trail)" }),
  }),
});

builder.mutationField("forcedTransfer", (t) =>
  t.field({
    type: TokenControlActionRef,
    description:
      "Recovery: moves tokens from an address to an eligible investor's wallet, frozen or not. The recipient must pass every requirement of the tranche. AGENT: ISSUER of the offering.",
    authScopes: { anyRole: ["ISSUER"] },
    errors: { types: [ComplianceNotSatisfiedError, InsufficientBalanceError, ...agentErrors] },
    args: { input: t.arg({ type: ForcedTransferInput, required: true }) },
    resolve: (_root, { input }, ctx) => forcedTransfer(ctx, input),
  }),
);

builder.subscriptionField("mintStatusChanged", (t) =>
  t.field({
    type: MintRequestRef,
    description: "The mint request now, then after each status change (REQUESTED → SUBMITTED → CONFIRMED …), whichever process made it.",
    // A signed-in investor reads the requests to them (getMintRequest / listMintRequests apply the rule).
    authScopes: { $any: { authenticated: true, anyRole: ["INVESTOR"] } },
    args: { requestId: t.arg.id({ required: true }) },
    subscribe: (_root, { requestId }, ctx) =>
      statusStream(ctx.changes, CHANNELS.mintStatus, requestId, () => getMintRequest(ctx, requestId)),
    resolve: (request) => request,
  }),
);
