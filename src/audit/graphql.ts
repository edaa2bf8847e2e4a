import { builder } from "../graphql/builder.js";
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
    description: "The audit events about one entity (e.g. a data asset id), oldest first. COMPLIANCE_OFFICER, ADMIN, or the asset's owner.",
    authScopes: { anyRole: ["COMPLIANCE_OFFICER", "ADMIN", "ASSET_OWNER"] },
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
