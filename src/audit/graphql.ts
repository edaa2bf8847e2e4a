/**
 * The audit trail in the schema: the `auditTrail(entityId)` and `verifyAuditChain` queries,
 * and an `auditTrail` field on the entities a compliance officer asks about (declared here, on
 * the other domains' refs, as minting declares its fields on `Tranche`).
 */
import { builder } from "../graphql/builder.js";
import { MintRequestRef } from "../minting/graphql.js";
import { OfferingRef } from "../offerings/graphql.js";
import { InvestorRef } from "../investors/graphql.js";
import { auditTrail, verifyAuditChain, type AuditChainVerification, type AuditEvent } from "./service.js";

const AuditEventRef = builder.objectRef<AuditEvent>("AuditEvent").implement({
  description: "One link of the hash-chained audit trail.",
  fields: (t) => ({
    sequence: t.string({ description: "Position in the chain (1, 2, …), as a decimal string", resolve: (e) => String(e.seq) }),
    occurredAt: t.expose("occurredAt", { type: "DateTime" }),
    actor: t.exposeString("actor", { description: "Token subject, or SYSTEM" }),
    actorOrgId: t.exposeID("actorOrgId", { nullable: true }),
    action: t.exposeString("action"),
    entityType: t.exposeString("entityType"),
    entityId: t.exposeString("entityId"),
    payload: t.expose("payload", { type: "JSON" }),
    prevHash: t.exposeString("prevHash"),
    hash: t.exposeString("hash", { description: "sha256(prevHash || canonical JSON of the event), hex" }),
  }),
});

const AuditChainVerificationRef = builder.objectRef<AuditChainVerification>("AuditChainVerification").implement({
  fields: (t) => ({
    ok: t.exposeBoolean("ok"),
    checked: t.exposeInt("checked"),
    brokenAtSequence: t.string({ nullable: true, resolve: (v) => (v.brokenAtSequence === null ? null : String(v.brokenAtSequence)) }),
    reason: t.exposeString("reason", { nullable: true }),
  }),
});

builder.queryField("auditTrail", (t) =>
  t.field({
    type: [AuditEventRef],
    description:
      "The audit events about one entity (a data asset, offering with its tranches, mint request, investor, organization, trusted issuer or reconciliation run), oldest first. COMPLIANCE_OFFICER and ADMIN read every trail; an investor's follows the investor rule (ISSUER too); the others their own organization's (asset owner, offering issuer, requesting organization).",
    authScopes: { authenticated: true },
    errors: {},
    args: { entityId: t.arg.id({ required: true }) },
    resolve: (_root, { entityId }, ctx) => auditTrail(ctx, entityId),
  }),
);

builder.queryField("verifyAuditChain", (t) =>
  t.field({
    type: AuditChainVerificationRef,
    description: "Recomputes the audit hash chain: ok, or the first broken sequence number. COMPLIANCE_OFFICER or ADMIN.",
    authScopes: { anyRole: ["COMPLIANCE_OFFICER", "ADMIN"] },
    errors: {},
    resolve: (_root, _args, ctx) => verifyAuditChain(ctx.db),
  }),
);

/** `auditTrail` on an entity type: the same trail and read rule as `auditTrail(entityId)`. */
const trailDescription = (what: string) => `The audit events about this ${what}, oldest first (the read rule of auditTrail(entityId)).`;

builder.objectFields(MintRequestRef, (t) => ({
  auditTrail: t.field({
    type: [AuditEventRef],
    description: trailDescription(
      "mint request: the compliance decision with its evidence, submission and settlement with the chain's tx hash",
    ),
    errors: {},
    resolve: (m, _args, ctx) => auditTrail(ctx, m.id),
  }),
}));

builder.objectFields(OfferingRef, (t) => ({
  auditTrail: t.field({
    type: [AuditEventRef],
    description: trailDescription("offering: creation, attestations, token deploys and token controls of its tranches"),
    errors: {},
    resolve: (o, _args, ctx) => auditTrail(ctx, o.id),
  }),
}));

builder.objectFields(InvestorRef, (t) => ({
  auditTrail: t.field({
    type: [AuditEventRef],
    description: trailDescription("investor: registration, KYC decisions and credentials, wallet proofs, whitelistings"),
    errors: {},
    resolve: (i, _args, ctx) => auditTrail(ctx, i.id),
  }),
}));
