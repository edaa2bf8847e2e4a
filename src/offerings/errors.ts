import { BaseError } from "../errors.js";

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
