-- The audit chain's lock and head in one round trip. Appends serialize on a transaction-scoped
-- advisory lock; the head (last seq and hash) must be read AFTER the lock is granted, or a
-- writer that committed just before could be missed and its seq taken twice. One SQL statement
-- cannot do both (its snapshot is taken before the lock is waited for), but a VOLATILE
-- function's statements each take a fresh snapshot under READ COMMITTED: the select below sees
-- every append committed before the lock was granted. The key is src/audit/service.ts's.
CREATE OR REPLACE FUNCTION audit_lock_head(lock_key bigint) RETURNS TABLE (seq bigint, hash text) AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  RETURN QUERY SELECT e.seq, e.hash FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
END;
$$ LANGUAGE plpgsql VOLATILE;
