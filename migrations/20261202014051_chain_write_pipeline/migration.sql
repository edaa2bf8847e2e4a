CREATE TABLE "chain_tx" (
	"hash" text PRIMARY KEY,
	"write_id" uuid NOT NULL,
	"signed_tx" text NOT NULL,
	"max_fee_per_gas" numeric(78,0) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chain_write" (
	"id" uuid PRIMARY KEY,
	"kind" text NOT NULL,
	"chain_id" integer NOT NULL,
	"signer" text NOT NULL,
	"nonce" integer NOT NULL,
	"to_address" text,
	"signed_at_block" bigint,
	"subject" jsonb DEFAULT '{}' NOT NULL,
	"status" text DEFAULT 'SUBMITTED' NOT NULL,
	"mined_tx_hash" text,
	"block_number" bigint,
	"contract_address" text,
	"revert_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chain_write_chain_id_signer_nonce_unique" UNIQUE("chain_id","signer","nonce")
);
--> statement-breakpoint
ALTER TABLE "mint_request" DROP CONSTRAINT "mint_request_batch_id_mint_batch_id_fkey";--> statement-breakpoint
-- Existing mint batches become chain writes (same ids) with their signed versions, before the old columns go.
INSERT INTO "chain_write" ("id", "kind", "chain_id", "signer", "nonce", "to_address", "status", "mined_tx_hash", "block_number", "subject", "created_at", "updated_at")
  SELECT "id", 'MINT_BATCH', "chain_id", "signer", "nonce", "token_address", "status", "mined_tx_hash", "block_number", jsonb_build_object('trancheId', "tranche_id"), "created_at", "updated_at" FROM "mint_batch";--> statement-breakpoint
INSERT INTO "chain_tx" ("hash", "write_id", "signed_tx", "max_fee_per_gas", "created_at")
  SELECT "hash", "batch_id", "signed_tx", "max_fee_per_gas", "created_at" FROM "mint_tx";--> statement-breakpoint
DROP TABLE "mint_tx";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP CONSTRAINT "mint_batch_chain_id_signer_nonce_unique";--> statement-breakpoint
DROP INDEX "mint_batch_status_idx";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP COLUMN "chain_id";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP COLUMN "signer";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP COLUMN "nonce";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP COLUMN "status";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP COLUMN "mined_tx_hash";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP COLUMN "block_number";--> statement-breakpoint
ALTER TABLE "mint_batch" DROP COLUMN "updated_at";--> statement-breakpoint
ALTER TABLE "mint_batch" ALTER COLUMN "id" DROP DEFAULT;--> statement-breakpoint
CREATE INDEX "chain_tx_write_idx" ON "chain_tx" ("write_id");--> statement-breakpoint
CREATE INDEX "chain_write_status_idx" ON "chain_write" ("status");--> statement-breakpoint
ALTER TABLE "mint_batch" ADD CONSTRAINT "mint_batch_id_chain_write_id_fkey" FOREIGN KEY ("id") REFERENCES "chain_write"("id");--> statement-breakpoint
ALTER TABLE "mint_request" ADD CONSTRAINT "mint_request_batch_id_chain_write_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "chain_write"("id");--> statement-breakpoint
ALTER TABLE "chain_tx" ADD CONSTRAINT "chain_tx_write_id_chain_write_id_fkey" FOREIGN KEY ("write_id") REFERENCES "chain_write"("id");