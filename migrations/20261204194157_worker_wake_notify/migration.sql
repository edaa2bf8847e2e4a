-- New work for the settlement and distribution workers is announced on one channel, work_ready,
-- with the worker's name as payload ('settlement' | 'distribution'), whichever process wrote it,
-- so a worker of its own (`npm run worker`) wakes at once instead of at its next poll (the mint
-- worker wakes the same way, on mint_status_changed). NOTIFY payloads are deduplicated per
-- transaction: a statement of many rows, or many statements, wake a worker once.
CREATE OR REPLACE FUNCTION notify_work_ready() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('work_ready', TG_ARGV[0]);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
-- Settlement: a new subscription or redemption (requested, a maturity plan, a cancelled offering's refunds) ...
CREATE TRIGGER subscription_work_ready
  AFTER INSERT ON subscription
  FOR EACH STATEMENT EXECUTE FUNCTION notify_work_ready('settlement');
--> statement-breakpoint
CREATE TRIGGER redemption_work_ready
  AFTER INSERT ON redemption
  FOR EACH STATEMENT EXECUTE FUNCTION notify_work_ready('settlement');
--> statement-breakpoint
-- ... or one back in line (its batch dropped or reverted, settled by whichever process found the outcome).
CREATE TRIGGER subscription_requeued_work_ready
  AFTER UPDATE OF status ON subscription
  FOR EACH ROW WHEN (NEW.status = 'REQUESTED' AND OLD.status IS DISTINCT FROM 'REQUESTED')
  EXECUTE FUNCTION notify_work_ready('settlement');
--> statement-breakpoint
CREATE TRIGGER redemption_requeued_work_ready
  AFTER UPDATE OF status ON redemption
  FOR EACH ROW WHEN (NEW.status = 'REQUESTED' AND OLD.status IS DISTINCT FROM 'REQUESTED')
  EXECUTE FUNCTION notify_work_ready('settlement');
--> statement-breakpoint
-- Distribution: a declared distribution (its payouts are inserted in the same transaction) ...
CREATE TRIGGER distribution_work_ready
  AFTER INSERT ON distribution
  FOR EACH STATEMENT EXECUTE FUNCTION notify_work_ready('distribution');
--> statement-breakpoint
-- ... one announced (PAYING: its payouts can be paid; or PAID back to PAYING) or whose announcement went back in line ...
CREATE TRIGGER distribution_requeued_work_ready
  AFTER UPDATE OF status, declare_write_id ON distribution
  FOR EACH ROW WHEN (
    (NEW.status = 'PAYING' AND OLD.status IS DISTINCT FROM 'PAYING')
    OR (NEW.status = 'DECLARED' AND NEW.declare_write_id IS NULL AND OLD.declare_write_id IS NOT NULL)
  )
  EXECUTE FUNCTION notify_work_ready('distribution');
--> statement-breakpoint
-- ... a payout back in line (its batch dropped or reverted, or its holder released) ...
CREATE TRIGGER distribution_payout_requeued_work_ready
  AFTER UPDATE OF status ON distribution_payout
  FOR EACH ROW WHEN (NEW.status = 'REQUESTED' AND OLD.status IS DISTINCT FROM 'REQUESTED')
  EXECUTE FUNCTION notify_work_ready('distribution');
--> statement-breakpoint
-- ... or a holder unfrozen: the worker releases their held payouts in its next round.
CREATE TRIGGER frozen_address_released_work_ready
  AFTER DELETE ON frozen_address
  FOR EACH STATEMENT EXECUTE FUNCTION notify_work_ready('distribution');
