import { builder } from "../graphql/builder.js";
import { ErrorInterface } from "../graphql/common.js";
import { ATTESTATION_STATUSES, CROSS_BORDER_PATHWAYS, REQUIREMENT_CODES } from "./table.js";
import { ComplianceNotSatisfiedError } from "./errors.js";
import { REQUIREMENT_CATALOGUE, type Attestation, type RequirementResult } from "./requirements.js";
import { attestCompliance, complianceReport, type ComplianceReport } from "./service.js";
import { dryRunMint, type MintDryRun } from "./dry-run.js";
import { ChainUnavailableError } from "../errors.js";

export const RequirementCode = builder.enumType("RequirementCode", { values: REQUIREMENT_CODES });
const AttestationStatus = builder.enumType("AttestationStatus", { values: ATTESTATION_STATUSES });
const CrossBorderPathway = builder.enumType("CrossBorderPathway", { values: CROSS_BORDER_PATHWAYS });

export const RequirementResultRef = builder.objectRef<RequirementResult>("RequirementResult").implement({
  fields: (t) => ({
    code: t.expose("code", { type: RequirementCode }),
    subjectId: t.exposeID("subjectId", { description: "The asset, offering or investor evaluated" }),
    holds: t.exposeBoolean("holds"),
    reason: t.exposeString("reason"),
    evidence: t.exposeString("evidence", { nullable: true }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
  }),
});

const unmetCodes = (unmet: RequirementResult[]) => [...new Set(unmet.map((u) => u.code))];

builder.objectType(ComplianceNotSatisfiedError, {
  name: "ComplianceNotSatisfiedError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    unmetCodes: t.field({ type: [RequirementCode], resolve: (e) => unmetCodes(e.unmet) }),
    unmet: t.field({ type: [RequirementResultRef], resolve: (e) => e.unmet }),
  }),
});

const ComplianceReportRef = builder.objectRef<ComplianceReport>("ComplianceReport").implement({
  fields: (t) => ({
    holds: t.exposeBoolean("holds"),
    evaluatedAt: t.expose("evaluatedAt", { type: "DateTime" }),
    requirements: t.field({ type: [RequirementResultRef], resolve: (r) => r.requirements }),
    unmetCodes: t.field({ type: [RequirementCode], resolve: (r) => unmetCodes(r.unmet) }),
  }),
});

const AttestationRef = builder.objectRef<Attestation>("ComplianceAttestation").implement({
  fields: (t) => ({
    id: t.exposeID("id"),
    subjectType: t.exposeString("subjectType"),
    subjectId: t.exposeID("subjectId"),
    requirementCode: t.expose("requirementCode", { type: RequirementCode }),
    status: t.expose("status", { type: AttestationStatus }),
    pathway: t.expose("pathway", { type: CrossBorderPathway, nullable: true }),
    evidenceDigest: t.exposeString("evidenceDigest", { nullable: true }),
    attestedBy: t.exposeString("attestedBy"),
    attestedAt: t.expose("attestedAt", { type: "DateTime" }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", nullable: true }),
    note: t.exposeString("note", { nullable: true }),
  }),
});

const AttestComplianceInput = builder.inputType("AttestComplianceInput", {
  fields: (t) => ({
    subjectId: t.id({ required: true, description: "Asset id for ONSHORE_* codes, offering id for OFFSHORE_LEGAL_OPINION" }),
    requirementCode: t.field({ type: RequirementCode, required: true }),
    status: t.field({ type: AttestationStatus, required: true }),
    pathway: t.field({ type: CrossBorderPathway }),
    evidenceDigest: t.string(),
    expiresAt: t.field({ type: "DateTime" }),
    note: t.string(),
  }),
});

builder.mutationField("attestCompliance", (t) =>
  t.field({
    type: AttestationRef,
    description: "Records an attestation (cross-border pathway, personal-info treatment, valuation, legal opinion). COMPLIANCE_OFFICER.",
    authScopes: { anyRole: ["COMPLIANCE_OFFICER"] },
    errors: {},
    args: { input: t.arg({ type: AttestComplianceInput, required: true }) },
    resolve: (_root, { input }, ctx) => attestCompliance(ctx, input),
  }),
);

builder.queryField("complianceReport", (t) =>
  t.field({
    type: ComplianceReportRef,
    description:
      "Every requirement with holds / does not hold and why: for an asset (onshore), or for a tranche and optionally the recipient investor (everything a mint needs). With investorId: ISSUER, COMPLIANCE_OFFICER or ADMIN (investor facts).",
    errors: {},
    args: { assetId: t.arg.id(), trancheId: t.arg.id(), investorId: t.arg.id() },
    resolve: (_root, args, ctx) =>
      complianceReport(ctx, {
        assetId: args.assetId ?? null,
        trancheId: args.trancheId ?? null,
        investorId: args.investorId ?? null,
      }),
  }),
);

const RequirementSubject = builder.enumType("RequirementSubject", { values: ["ASSET", "OFFERING", "INVESTOR"] as const });

const RequirementDefinitionRef = builder
  .objectRef<{ code: (typeof REQUIREMENT_CODES)[number] } & (typeof REQUIREMENT_CATALOGUE)[keyof typeof REQUIREMENT_CATALOGUE]>(
    "RequirementDefinition",
  )
  .implement({
    description: "One entry of the requirement catalogue.",
    fields: (t) => ({
      code: t.expose("code", { type: RequirementCode }),
      subject: t.expose("subject", { type: RequirementSubject }),
      holdsWhen: t.exposeString("holdsWhen"),
      attested: t.exposeBoolean("attested", {
        description: "Whether a compliance officer attests it (otherwise it derives from registry data)",
      }),
    }),
  });

builder.queryField("complianceRequirements", (t) =>
  t.field({
    type: [RequirementDefinitionRef],
    description: "The requirement catalogue: every code, its subject and when it holds.",
    resolve: () => REQUIREMENT_CODES.map((code) => ({ code, ...REQUIREMENT_CATALOGUE[code] })),
  }),
);

const MintDryRunRef = builder.objectRef<MintDryRun>("MintDryRun").implement({
  description: "What a mint would do; nothing is sent.",
  fields: (t) => ({
    report: t.field({ type: ComplianceReportRef, resolve: (d) => d.report }),
    to: t.exposeString("to", { nullable: true, description: "The tranche token; null while it is not deployed" }),
    from: t.exposeString("from", { description: "The gateway signer that would send the mint" }),
    recipient: t.exposeString("recipient"),
    amount: t.exposeString("amount", { description: "Base units, as a decimal string" }),
    calldata: t.exposeString("calldata", { description: "ABI-encoded mint(recipient, amount)" }),
    gasEstimate: t.string({
      nullable: true,
      description: "Estimated gas units, as a decimal string",
      resolve: (d) => d.gasEstimate?.toString() ?? null,
    }),
    simulationError: t.exposeString("simulationError", {
      nullable: true,
      description: "Why the chain would refuse the call (decoded revert)",
    }),
  }),
});

builder.queryField("dryRunMint", (t) =>
  t.field({
    type: MintDryRunRef,
    description:
      "The compliance report, the calldata and a gas estimate for a mint, without sending anything. ISSUER of the offering or COMPLIANCE_OFFICER.",
    authScopes: (_root, args) => ({ $any: { anyRole: ["COMPLIANCE_OFFICER"], issuerOfTranche: args.trancheId } }),
    errors: { types: [ChainUnavailableError] },
    args: { trancheId: t.arg.id({ required: true }), investorId: t.arg.id({ required: true }), amount: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => dryRunMint(ctx, { trancheId: args.trancheId, investorId: args.investorId, amount: args.amount }),
  }),
);
