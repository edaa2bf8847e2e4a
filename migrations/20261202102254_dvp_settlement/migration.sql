CREATE TABLE "redemption" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"kind" text NOT NULL,
	"idempotency_key" text,
	"requested_by" text NOT NULL,
	"offering_id" uuid NOT NULL,
	"tranche_id" uuid NOT NULL,
	"investor_id" uuid NOT NULL,
	"holder" text NOT NULL,
	"subscription_id" uuid UNIQUE,
	"amount" numeric(78,0) NOT NULL,
	"principal" numeric(78,0) NOT NULL,
	"coupon" numeric(78,0) NOT NULL,
	"due" numeric(78,0) NOT NULL,
	"payout" numeric(78,0) NOT NULL,
	"shortfall" numeric(78,0) NOT NULL,
	"status" text DEFAULT 'REQUESTED' NOT NULL,
	"batch_id" uuid,
	"tx_hash" text,
	"block_number" bigint,
	"revert_reason" text,
	"error_code" text,
	"error_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "redemption_investor_id_idempotency_key_unique" UNIQUE("investor_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "settlement_batch" (
	"id" uuid PRIMARY KEY,
	"kind" text NOT NULL,
	"tranche_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscription" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"idempotency_key" text NOT NULL,
	"requested_by" text NOT NULL,
	"offering_id" uuid NOT NULL,
	"tranche_id" uuid NOT NULL,
	"investor_id" uuid NOT NULL,
	"wallet" text NOT NULL,
	"amount" numeric(78,0) NOT NULL,
	"cost" numeric(78,0) NOT NULL,
	"permit" jsonb,
	"status" text DEFAULT 'REQUESTED' NOT NULL,
	"batch_id" uuid,
	"tx_hash" text,
	"block_number" bigint,
	"revert_reason" text,
	"error_code" text,
	"error_message" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscription_investor_id_idempotency_key_unique" UNIQUE("investor_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "chain_contract" (
	"chain_id" integer,
	"signer" text,
	"name" text,
	"address" text NOT NULL,
	"deploy_tx_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chain_contract_pkey" PRIMARY KEY("chain_id","signer","name")
);
--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "settlement_token" text;--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "settlement_decimals" integer;--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "treasury" text;--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "redemption_planned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tranche" ADD COLUMN "early_redemption" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "redemption_status_idx" ON "redemption" ("status","tranche_id");--> statement-breakpoint
CREATE INDEX "redemption_offering_idx" ON "redemption" ("offering_id","created_at");--> statement-breakpoint
CREATE INDEX "redemption_batch_idx" ON "redemption" ("batch_id");--> statement-breakpoint
CREATE INDEX "subscription_status_idx" ON "subscription" ("status","tranche_id");--> statement-breakpoint
CREATE INDEX "subscription_tranche_idx" ON "subscription" ("tranche_id","created_at");--> statement-breakpoint
CREATE INDEX "subscription_batch_idx" ON "subscription" ("batch_id");--> statement-breakpoint
ALTER TABLE "redemption" ADD CONSTRAINT "redemption_offering_id_offering_id_fkey" FOREIGN KEY ("offering_id") REFERENCES "offering"("id");--> statement-breakpoint
ALTER TABLE "redemption" ADD CONSTRAINT "redemption_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "redemption" ADD CONSTRAINT "redemption_investor_id_investor_id_fkey" FOREIGN KEY ("investor_id") REFERENCES "investor"("id");--> statement-breakpoint
ALTER TABLE "redemption" ADD CONSTRAINT "redemption_subscription_id_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "subscription"("id");--> statement-breakpoint
ALTER TABLE "redemption" ADD CONSTRAINT "redemption_batch_id_chain_write_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "chain_write"("id");--> statement-breakpoint
ALTER TABLE "settlement_batch" ADD CONSTRAINT "settlement_batch_id_chain_write_id_fkey" FOREIGN KEY ("id") REFERENCES "chain_write"("id");--> statement-breakpoint
ALTER TABLE "settlement_batch" ADD CONSTRAINT "settlement_batch_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_offering_id_offering_id_fkey" FOREIGN KEY ("offering_id") REFERENCES "offering"("id");--> statement-breakpoint
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_investor_id_investor_id_fkey" FOREIGN KEY ("investor_id") REFERENCES "investor"("id");--> statement-breakpoint
ALTER TABLE "subscription" ADD CONSTRAINT "subscription_batch_id_chain_write_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "chain_write"("id");