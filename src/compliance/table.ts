import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { createdAt, id } from "../db/columns.js";
import { organization } from "../organizations/table.js";

export const REQUIREMENT_CODES = [
  "ONSHORE_OWNERSHIP_CONFIRMED",
  "ONSHORE_SECURITY_CLASSIFIED",
  "ONSHORE_CROSS_BORDER_ASSESSED",
  "ONSHORE_PERSONAL_INFO_TREATED",
  "ONSHORE_SANDBOX_VALIDATED",
  "ONSHORE_VALUATION",
  "OFFSHORE_ISSUER_LICENSED",
  "OFFSHORE_LEGAL_OPINION",
  "OFFSHORE_INVESTOR_ELIGIBLE",
] as const;
export type RequirementCode = (typeof REQUIREMENT_CODES)[number];

export const ATTESTATION_STATUSES = ["PENDING", "SATISFIED", "REJECTED", "EXPIRED"] as const;
export const ATTESTATION_SUBJECTS = ["ASSET", "OFFERING"] as const;
export const CROSS_BORDER_PATHWAYS = ["ASSESSMENT", "STANDARD_CONTRACT", "CERTIFICATION", "EXEMPT"] as const;

export const complianceAttestation = pgTable(
  "compliance_attestation",
  {
    id: id(),
    subjectType: text("subject_type", { enum: ATTESTATION_SUBJECTS }).notNull(),
    subjectId: uuid("subject_id").notNull(),
    requirementCode: text("requirement_code", { enum: REQUIREMENT_CODES }).notNull(),
    status: text("status", { enum: ATTESTATION_STATUSES }).notNull(),
    /** Only for ONSHORE_CROSS_BORDER_ASSESSED. */
    pathway: text("pathway", { enum: CROSS_BORDER_PATHWAYS }),
    evidenceDigest: text("evidence_digest"),
    attestedBy: text("attested_by").notNull(),
    attestedByOrgId: uuid("attested_by_org_id")
      .notNull()
      .references(() => organization.id),
    attestedAt: timestamp("attested_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    note: text("note"),
    createdAt: createdAt(),
  },
  (t) => [index("compliance_attestation_subject_idx").on(t.subjectId, t.requirementCode)],
);
