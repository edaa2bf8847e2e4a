/**
 * The data asset lifecycle, in one place. A transition is legal only if it is listed here,
 * and only for the roles listed with it ("SYSTEM" transitions happen as side effects of
 * other flows: an offering packages an asset, a confirmed mint tokenizes it).
 */
import type { Role } from "../auth/roles.js";
import { BaseError } from "../errors.js";
import type { ASSET_STATUSES } from "./table.js";

export type AssetStatus = (typeof ASSET_STATUSES)[number];
type Actor = Role | "SYSTEM";

const TRANSITIONS: Record<AssetStatus, Partial<Record<AssetStatus, Actor[]>>> = {
  DRAFT: { SUBMITTED: ["ASSET_OWNER"], WITHDRAWN: ["ASSET_OWNER"] },
  SUBMITTED: { IN_REVIEW: ["COMPLIANCE_OFFICER"], WITHDRAWN: ["ASSET_OWNER"] },
  IN_REVIEW: { APPROVED: ["COMPLIANCE_OFFICER"], REJECTED: ["COMPLIANCE_OFFICER"] },
  APPROVED: { OFFERED: ["SYSTEM"], SUSPENDED: ["COMPLIANCE_OFFICER"], WITHDRAWN: ["ASSET_OWNER"] },
  OFFERED: { TOKENIZED: ["SYSTEM"], SUSPENDED: ["COMPLIANCE_OFFICER"] },
  TOKENIZED: { SUSPENDED: ["COMPLIANCE_OFFICER"] },
  REJECTED: { DRAFT: ["ASSET_OWNER"] },
  WITHDRAWN: { DRAFT: ["ASSET_OWNER"] },
  SUSPENDED: { APPROVED: ["COMPLIANCE_OFFICER"] },
};

/** Statuses in which an asset is published: readable by anyone. */
export const PUBLISHED_STATUSES: readonly AssetStatus[] = ["APPROVED", "OFFERED", "TOKENIZED"];

export class InvalidTransitionError extends BaseError {
  readonly code = "INVALID_TRANSITION";
  override name = "InvalidTransitionError";
  constructor(
    readonly currentStatus: AssetStatus,
    readonly requestedStatus: AssetStatus,
  ) {
    super(`cannot move a data asset from ${currentStatus} to ${requestedStatus}`);
  }
}

/** Whether `from → to` is legal at all, and if so which actors may make it. */
export function allowedActors(from: AssetStatus, to: AssetStatus): Actor[] | undefined {
  return TRANSITIONS[from][to];
}
