CREATE TABLE "data_asset_version" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"asset_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"category" text NOT NULL,
	"tags" text[] NOT NULL,
	"format" text,
	"record_count" bigint,
	"byte_size" bigint,
	"content_digest" text NOT NULL,
	"security_level" text,
	"contains_personal_info" boolean NOT NULL,
	"personal_info_treatment" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "data_asset_version_asset_version_unique" UNIQUE("asset_id","version")
);
--> statement-breakpoint
CREATE TABLE "audit_event" (
	"seq" bigint PRIMARY KEY,
	"occurred_at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"actor_org_id" uuid,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "data_asset" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "data_asset" ADD COLUMN "search_vector" tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english'::regconfig, coalesce("data_asset"."title", '')), 'A') || setweight(to_tsvector('english'::regconfig, coalesce("data_asset"."category", '')), 'B') || setweight(to_tsvector('english'::regconfig, coalesce("data_asset"."description", '')), 'C')) STORED;--> statement-breakpoint
CREATE INDEX "data_asset_updated_idx" ON "data_asset" ("updated_at","id");--> statement-breakpoint
CREATE INDEX "data_asset_search_idx" ON "data_asset" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "data_asset_tags_idx" ON "data_asset" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "data_asset_version_asof_idx" ON "data_asset_version" ("asset_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_event_entity_idx" ON "audit_event" ("entity_id","seq");--> statement-breakpoint
ALTER TABLE "data_asset_version" ADD CONSTRAINT "data_asset_version_asset_id_data_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "data_asset"("id");