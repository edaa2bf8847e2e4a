import { BaseError } from "../errors.js";
import type { RequirementResult } from "./requirements.js";

/** A mint (or other gated act) refused because requirements do not hold; `unmet` lists them. */
export class ComplianceNotSatisfiedError extends BaseError {
  readonly code = "COMPLIANCE_NOT_SATISFIED";
  override name = "ComplianceNotSatisfiedError";
  constructor(readonly unmet: RequirementResult[]) {
    super(`compliance requirements not satisfied: ${[...new Set(unmet.map((u) => u.code))].join(", ")}`);
  }
}
