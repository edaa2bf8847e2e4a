CREATE TABLE "trusted_issuer" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"did" text NOT NULL UNIQUE,
	"name" text NOT NULL,
	"registered_by" text NOT NULL,
	"registered_by_org_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wallet_challenge" (
	"nonce" text PRIMARY KEY,
	"investor_id" uuid NOT NULL,
	"wallet_address" text NOT NULL,
	"domain" text NOT NULL,
	"chain_id" integer NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "investor" ADD COLUMN "wallet_proven_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "investor" ADD COLUMN "kyc_issuer_did" text;--> statement-breakpoint
ALTER TABLE "investor" ADD COLUMN "kyc_evidence_digest" text;--> statement-breakpoint
CREATE INDEX "wallet_challenge_investor_idx" ON "wallet_challenge" ("investor_id");--> statement-breakpoint
ALTER TABLE "trusted_issuer" ADD CONSTRAINT "trusted_issuer_registered_by_org_id_organization_id_fkey" FOREIGN KEY ("registered_by_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "wallet_challenge" ADD CONSTRAINT "wallet_challenge_investor_id_investor_id_fkey" FOREIGN KEY ("investor_id") REFERENCES "investor"("id");