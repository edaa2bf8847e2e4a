-- A data asset's status is announced on change only, not on insert: nobody can be subscribed to
-- an asset that does not exist yet (assetStatusChanged takes the id the registration returns),
-- and an import of 100,000 assets queued 100,000 notifications for no listener.
DROP TRIGGER IF EXISTS data_asset_status_notify ON data_asset;
--> statement-breakpoint
CREATE TRIGGER data_asset_status_notify
  AFTER UPDATE OF status ON data_asset
  FOR EACH ROW EXECUTE FUNCTION notify_status_change('asset_status_changed');
