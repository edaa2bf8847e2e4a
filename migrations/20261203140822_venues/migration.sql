CREATE TABLE "offering_venue" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"offering_id" uuid NOT NULL,
	"venue_org_id" uuid NOT NULL,
	"admitted_by" text NOT NULL,
	"admitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"admissions" jsonb DEFAULT '[]' NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "offering_venue_offering_id_venue_org_id_unique" UNIQUE("offering_id","venue_org_id")
);
--> statement-breakpoint
CREATE TABLE "venue_trade" (
	"id" uuid PRIMARY KEY,
	"trade_id" text NOT NULL UNIQUE,
	"idempotency_key" text NOT NULL,
	"venue_org_id" uuid NOT NULL,
	"offering_id" uuid NOT NULL,
	"tranche_id" uuid NOT NULL,
	"requested_by" text NOT NULL,
	"token_address" text NOT NULL,
	"seller" text NOT NULL,
	"buyer" text NOT NULL,
	"amount" numeric(78,0) NOT NULL,
	"price" numeric(78,0) NOT NULL,
	"currency" text NOT NULL,
	"deadline" bigint NOT NULL,
	"status" text DEFAULT 'REQUESTED' NOT NULL,
	"write_id" uuid,
	"tx_hash" text,
	"block_number" bigint,
	"revert_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "venue_trade_venue_org_id_idempotency_key_unique" UNIQUE("venue_org_id","idempotency_key")
);
--> statement-breakpoint
CREATE INDEX "venue_trade_venue_idx" ON "venue_trade" ("venue_org_id","created_at");--> statement-breakpoint
CREATE INDEX "venue_trade_offering_idx" ON "venue_trade" ("offering_id","created_at");--> statement-breakpoint
CREATE INDEX "venue_trade_write_idx" ON "venue_trade" ("write_id");--> statement-breakpoint
ALTER TABLE "offering_venue" ADD CONSTRAINT "offering_venue_offering_id_offering_id_fkey" FOREIGN KEY ("offering_id") REFERENCES "offering"("id");--> statement-breakpoint
ALTER TABLE "offering_venue" ADD CONSTRAINT "offering_venue_venue_org_id_organization_id_fkey" FOREIGN KEY ("venue_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "venue_trade" ADD CONSTRAINT "venue_trade_venue_org_id_organization_id_fkey" FOREIGN KEY ("venue_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "venue_trade" ADD CONSTRAINT "venue_trade_offering_id_offering_id_fkey" FOREIGN KEY ("offering_id") REFERENCES "offering"("id");--> statement-breakpoint
ALTER TABLE "venue_trade" ADD CONSTRAINT "venue_trade_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "venue_trade" ADD CONSTRAINT "venue_trade_write_id_chain_write_id_fkey" FOREIGN KEY ("write_id") REFERENCES "chain_write"("id");