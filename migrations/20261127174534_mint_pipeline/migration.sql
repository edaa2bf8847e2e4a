CREATE TABLE "frozen_address" (
	"tranche_id" uuid,
	"address" text,
	"tx_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "frozen_address_pkey" PRIMARY KEY("tranche_id","address")
);
--> statement-breakpoint
CREATE TABLE "mint_batch" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"tranche_id" uuid NOT NULL,
	"token_address" text NOT NULL,
	"chain_id" integer NOT NULL,
	"signer" text NOT NULL,
	"nonce" integer NOT NULL,
	"status" text DEFAULT 'SUBMITTED' NOT NULL,
	"mined_tx_hash" text,
	"block_number" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mint_batch_chain_id_signer_nonce_unique" UNIQUE("chain_id","signer","nonce")
);
--> statement-breakpoint
CREATE TABLE "mint_tx" (
	"hash" text PRIMARY KEY,
	"batch_id" uuid NOT NULL,
	"signed_tx" text NOT NULL,
	"max_fee_per_gas" numeric(78,0) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "token_control_action" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"tranche_id" uuid NOT NULL,
	"action" text NOT NULL,
	"actor_subject" text NOT NULL,
	"actor_org_id" uuid NOT NULL,
	"account" text,
	"to_account" text,
	"amount" numeric(78,0),
	"reason" text,
	"tx_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "token_control_state" (
	"tranche_id" uuid PRIMARY KEY,
	"paused" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signer_nonce" (
	"chain_id" integer,
	"address" text,
	"next" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "signer_nonce_pkey" PRIMARY KEY("chain_id","address")
);
--> statement-breakpoint
ALTER TABLE "mint_request" ADD COLUMN "batch_id" uuid;--> statement-breakpoint
ALTER TABLE "mint_request" ADD COLUMN "revert_reason" text;--> statement-breakpoint
ALTER TABLE "mint_request" DROP COLUMN "signed_tx";--> statement-breakpoint
CREATE INDEX "mint_batch_status_idx" ON "mint_batch" ("status");--> statement-breakpoint
CREATE INDEX "mint_request_tranche_idx" ON "mint_request" ("tranche_id","created_at");--> statement-breakpoint
CREATE INDEX "mint_request_batch_idx" ON "mint_request" ("batch_id");--> statement-breakpoint
CREATE INDEX "token_control_action_tranche_idx" ON "token_control_action" ("tranche_id","created_at");--> statement-breakpoint
ALTER TABLE "frozen_address" ADD CONSTRAINT "frozen_address_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "mint_batch" ADD CONSTRAINT "mint_batch_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "mint_request" ADD CONSTRAINT "mint_request_batch_id_mint_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "mint_batch"("id");--> statement-breakpoint
ALTER TABLE "mint_tx" ADD CONSTRAINT "mint_tx_batch_id_mint_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "mint_batch"("id");--> statement-breakpoint
ALTER TABLE "token_control_action" ADD CONSTRAINT "token_control_action_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "token_control_state" ADD CONSTRAINT "token_control_state_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");