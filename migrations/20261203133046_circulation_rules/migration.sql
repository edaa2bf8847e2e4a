CREATE TABLE "frozen_tokens" (
	"tranche_id" uuid,
	"address" text,
	"amount" numeric(78,0) NOT NULL,
	"tx_hash" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "frozen_tokens_pkey" PRIMARY KEY("tranche_id","address")
);
--> statement-breakpoint
CREATE TABLE "transfer_rules" (
	"tranche_id" uuid PRIMARY KEY,
	"lock_until" timestamp with time zone,
	"max_holders" integer,
	"max_balance" numeric(78,0),
	"secondary_classes" text[] NOT NULL,
	"venue_classes" text[] NOT NULL,
	"allowed_countries" text[] NOT NULL,
	"blocked_countries" text[] NOT NULL,
	"tx_hash" text NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tranche_whitelist" ADD COLUMN "country" text;--> statement-breakpoint
ALTER TABLE "tranche_whitelist" ADD COLUMN "investor_class" text;--> statement-breakpoint
ALTER TABLE "frozen_tokens" ADD CONSTRAINT "frozen_tokens_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "transfer_rules" ADD CONSTRAINT "transfer_rules_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");