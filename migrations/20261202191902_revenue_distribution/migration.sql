CREATE TABLE "asset_revenue" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"asset_id" uuid NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"amount" numeric(78,0) NOT NULL,
	"currency" text NOT NULL,
	"evidence_digest" text NOT NULL,
	"corrects_id" uuid UNIQUE,
	"recorded_by_org_id" uuid NOT NULL,
	"recorded_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "distribution" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"offering_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"declared_by" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"record_block" bigint NOT NULL,
	"currency" text NOT NULL,
	"treasury" text NOT NULL,
	"available" numeric(78,0) NOT NULL,
	"fee" numeric(78,0) NOT NULL,
	"fee_arrears_after" numeric(78,0) NOT NULL,
	"total" numeric(78,0) NOT NULL,
	"undistributed" numeric(78,0) NOT NULL,
	"status" text DEFAULT 'DECLARED' NOT NULL,
	"declare_write_id" uuid,
	"declare_tx_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "distribution_offering_id_idempotency_key_unique" UNIQUE("offering_id","idempotency_key"),
	CONSTRAINT "distribution_offering_id_period_end_unique" UNIQUE("offering_id","period_end")
);
--> statement-breakpoint
CREATE TABLE "distribution_payout" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"distribution_id" uuid NOT NULL,
	"tranche_id" uuid NOT NULL,
	"holder" text NOT NULL,
	"investor_id" uuid,
	"balance" numeric(78,0) NOT NULL,
	"amount" numeric(78,0) NOT NULL,
	"status" text NOT NULL,
	"batch_id" uuid,
	"tx_hash" text,
	"block_number" bigint,
	"revert_reason" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "distribution_payout_distribution_id_tranche_id_holder_unique" UNIQUE("distribution_id","tranche_id","holder")
);
--> statement-breakpoint
CREATE TABLE "distribution_revenue" (
	"distribution_id" uuid NOT NULL,
	"revenue_id" uuid NOT NULL UNIQUE,
	"counted" numeric(78,0) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "distribution_tranche" (
	"distribution_id" uuid NOT NULL,
	"tranche_id" uuid NOT NULL,
	"principal" numeric(78,0) NOT NULL,
	"due" numeric(78,0) NOT NULL,
	"arrears_before" numeric(78,0) NOT NULL,
	"paid" numeric(78,0) NOT NULL,
	"arrears_after" numeric(78,0) NOT NULL,
	CONSTRAINT "distribution_tranche_distribution_id_tranche_id_unique" UNIQUE("distribution_id","tranche_id")
);
--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "management_fee_bps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "asset_revenue_asset_idx" ON "asset_revenue" ("asset_id","period_end");--> statement-breakpoint
CREATE INDEX "distribution_payout_status_idx" ON "distribution_payout" ("status","distribution_id");--> statement-breakpoint
CREATE INDEX "distribution_payout_investor_idx" ON "distribution_payout" ("investor_id");--> statement-breakpoint
CREATE INDEX "distribution_payout_batch_idx" ON "distribution_payout" ("batch_id");--> statement-breakpoint
ALTER TABLE "asset_revenue" ADD CONSTRAINT "asset_revenue_asset_id_data_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "data_asset"("id");--> statement-breakpoint
ALTER TABLE "asset_revenue" ADD CONSTRAINT "asset_revenue_recorded_by_org_id_organization_id_fkey" FOREIGN KEY ("recorded_by_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "distribution" ADD CONSTRAINT "distribution_offering_id_offering_id_fkey" FOREIGN KEY ("offering_id") REFERENCES "offering"("id");--> statement-breakpoint
ALTER TABLE "distribution" ADD CONSTRAINT "distribution_declare_write_id_chain_write_id_fkey" FOREIGN KEY ("declare_write_id") REFERENCES "chain_write"("id");--> statement-breakpoint
ALTER TABLE "distribution_payout" ADD CONSTRAINT "distribution_payout_distribution_id_distribution_id_fkey" FOREIGN KEY ("distribution_id") REFERENCES "distribution"("id");--> statement-breakpoint
ALTER TABLE "distribution_payout" ADD CONSTRAINT "distribution_payout_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "distribution_payout" ADD CONSTRAINT "distribution_payout_investor_id_investor_id_fkey" FOREIGN KEY ("investor_id") REFERENCES "investor"("id");--> statement-breakpoint
ALTER TABLE "distribution_payout" ADD CONSTRAINT "distribution_payout_batch_id_chain_write_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "chain_write"("id");--> statement-breakpoint
ALTER TABLE "distribution_revenue" ADD CONSTRAINT "distribution_revenue_distribution_id_distribution_id_fkey" FOREIGN KEY ("distribution_id") REFERENCES "distribution"("id");--> statement-breakpoint
ALTER TABLE "distribution_revenue" ADD CONSTRAINT "distribution_revenue_revenue_id_asset_revenue_id_fkey" FOREIGN KEY ("revenue_id") REFERENCES "asset_revenue"("id");--> statement-breakpoint
ALTER TABLE "distribution_tranche" ADD CONSTRAINT "distribution_tranche_distribution_id_distribution_id_fkey" FOREIGN KEY ("distribution_id") REFERENCES "distribution"("id");--> statement-breakpoint
ALTER TABLE "distribution_tranche" ADD CONSTRAINT "distribution_tranche_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");