ALTER TABLE "offering" ADD COLUMN "min_subordination_bps" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "opens_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "offering" ADD COLUMN "closes_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tranche" ADD COLUMN "coupon_kind" text DEFAULT 'FIXED' NOT NULL;--> statement-breakpoint
ALTER TABLE "tranche" ADD COLUMN "price" numeric(78,0) DEFAULT '1000000' NOT NULL;--> statement-breakpoint
ALTER TABLE "tranche" ADD COLUMN "minimum_ticket" numeric(78,0) DEFAULT '1' NOT NULL;--> statement-breakpoint
ALTER TABLE "tranche" ADD COLUMN "maturity_date" timestamp with time zone;