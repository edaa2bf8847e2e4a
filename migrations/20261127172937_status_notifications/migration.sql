-- Status changes of mint requests and data assets are announced with NOTIFY, whichever
-- process (API, worker, indexer) made them, so every API process can feed its GraphQL
-- subscriptions from LISTEN. The payload is small; subscribers re-read the row.
CREATE OR REPLACE FUNCTION notify_status_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM pg_notify(TG_ARGV[0], json_build_object('id', NEW.id, 'status', NEW.status)::text);
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER mint_request_status_notify
  AFTER INSERT OR UPDATE OF status ON mint_request
  FOR EACH ROW EXECUTE FUNCTION notify_status_change('mint_status_changed');
--> statement-breakpoint
CREATE TRIGGER data_asset_status_notify
  AFTER INSERT OR UPDATE OF status ON data_asset
  FOR EACH ROW EXECUTE FUNCTION notify_status_change('asset_status_changed');
