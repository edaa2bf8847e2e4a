import { BaseError } from "../errors.js";
import type { OfferingStatus } from "./table.js";

/**
 * The asset is already packaged in a live offering (see `LIVE_OFFERING_STATUSES`): one asset
 * backs at most one live offering, so no second token anchors the same asset id.
 */
export class AssetAlreadyOfferedError extends BaseError {
  readonly code = "ASSET_ALREADY_OFFERED";
  override name = "AssetAlreadyOfferedError";
  constructor(
    readonly assetId: string,
    readonly offeringId: string,
  ) {
    super(`data asset ${assetId} is already packaged in offering ${offeringId}`);
  }
}

/** The move (or the change, such as adding a tranche) is not allowed in the offering's current state. */
export class OfferingStateError extends BaseError {
  readonly code = "OFFERING_STATE";
  override name = "OfferingStateError";
  constructor(
    readonly offeringId: string,
    readonly current: OfferingStatus,
    /** The state asked for, or the change asked for (ADD_TRANCHE). */
    readonly attempted: string,
  ) {
    super(`offering ${offeringId} is ${current}: ${attempted} is not allowed`);
  }
}

/** The product rules an offering must meet to open, each with its stable code. */
export const OFFERING_RULES = [
  "AT_LEAST_ONE_TRANCHE",
  "ONE_RESIDUAL_TRANCHE",
  "RESIDUAL_MOST_JUNIOR",
  "COUPON_ORDER",
  "SUBORDINATION",
  "SUBSCRIPTION_WINDOW",
  "TOKEN_DEPLOYED",
] as const;
export type OfferingRule = (typeof OFFERING_RULES)[number];

/** The offering's structure breaks a product rule; `rule` names which, `trancheId` the tranche it is about. */
export class OfferingStructureError extends BaseError {
  readonly code = "OFFERING_STRUCTURE";
  override name = "OfferingStructureError";
  constructor(
    readonly rule: OfferingRule,
    message: string,
    readonly trancheId: string | null = null,
  ) {
    super(`${rule}: ${message}`);
  }
}

/** A mint outside the offering's OPEN state or its subscription window. */
export class OfferingNotOpenError extends BaseError {
  readonly code = "OFFERING_NOT_OPEN";
  override name = "OfferingNotOpenError";
  constructor(
    readonly offeringId: string,
    readonly status: OfferingStatus,
    readonly opensAt: Date | null,
    readonly closesAt: Date | null,
  ) {
    super(
      status === "OPEN"
        ? `offering ${offeringId} is outside its subscription window (${opensAt?.toISOString() ?? "-"} to ${closesAt?.toISOString() ?? "-"})`
        : `offering ${offeringId} is ${status}; mints happen only while it is OPEN`,
    );
  }
}

/** `matureOffering` before every tranche's maturity date has passed (or with a tranche that has none). */
export class OfferingNotMaturedError extends BaseError {
  readonly code = "OFFERING_NOT_MATURED";
  override name = "OfferingNotMaturedError";
  constructor(
    readonly offeringId: string,
    readonly maturesAt: Date | null,
  ) {
    super(
      maturesAt
        ? `offering ${offeringId} matures at ${maturesAt.toISOString()}`
        : `offering ${offeringId} has a tranche without a maturity date`,
    );
  }
}
