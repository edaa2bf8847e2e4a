-- History is immutable in the database itself: versions and audit events can be appended,
-- never rewritten. A bug, a console session or a rogue migration that tries UPDATE or DELETE
-- gets an error instead of silently changing the record.
CREATE FUNCTION refuse_history_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER data_asset_version_immutable BEFORE UPDATE OR DELETE ON data_asset_version
  FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();
--> statement-breakpoint
CREATE TRIGGER data_asset_version_no_truncate BEFORE TRUNCATE ON data_asset_version
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
--> statement-breakpoint
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();
--> statement-breakpoint
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
--> statement-breakpoint
-- Assets registered before versions existed get their current metadata as version 1.
INSERT INTO data_asset_version (asset_id, version, title, description, category, tags, format, record_count, byte_size,
  content_digest, security_level, contains_personal_info, personal_info_treatment, created_by, created_at)
SELECT id, 1, title, description, category, tags, format, record_count, byte_size,
  content_digest, security_level, contains_personal_info, personal_info_treatment, 'migration', created_at
FROM data_asset;
