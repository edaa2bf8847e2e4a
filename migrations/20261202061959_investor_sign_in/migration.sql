ALTER TABLE "wallet_challenge" ADD COLUMN "purpose" text DEFAULT 'WALLET_PROOF' NOT NULL;--> statement-breakpoint
ALTER TABLE "wallet_challenge" ALTER COLUMN "investor_id" DROP NOT NULL;