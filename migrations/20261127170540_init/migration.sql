CREATE TABLE "organization" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"jurisdiction" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organization_license" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"organization_id" uuid NOT NULL,
	"type" text NOT NULL,
	"number" text NOT NULL,
	"valid_until" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organization_license_organization_id_type_number_unique" UNIQUE("organization_id","type","number")
);
--> statement-breakpoint
CREATE TABLE "data_asset" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"owner_org_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"category" text NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"format" text,
	"record_count" bigint,
	"byte_size" bigint,
	"content_digest" text NOT NULL,
	"security_level" text,
	"contains_personal_info" boolean DEFAULT false NOT NULL,
	"personal_info_treatment" text DEFAULT 'NONE' NOT NULL,
	"status" text DEFAULT 'DRAFT' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ownership_right" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"asset_id" uuid NOT NULL,
	"holder_org_id" uuid NOT NULL,
	"right_type" text NOT NULL,
	"share_bps" integer NOT NULL,
	"valid_from" timestamp with time zone DEFAULT now() NOT NULL,
	"valid_until" timestamp with time zone,
	"certificate_number" text,
	"document_digest" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "provenance_activity" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"asset_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"actor_org_id" uuid NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"inputs" jsonb DEFAULT '[]' NOT NULL,
	"output_digest" text NOT NULL,
	"parameters" jsonb DEFAULT '{}' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compliance_attestation" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"subject_type" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"requirement_code" text NOT NULL,
	"status" text NOT NULL,
	"pathway" text,
	"evidence_digest" text,
	"attested_by" text NOT NULL,
	"attested_by_org_id" uuid NOT NULL,
	"attested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "offering" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"issuer_org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"product_type" text NOT NULL,
	"allowed_investor_classes" text[] NOT NULL,
	"blocked_jurisdictions" text[] DEFAULT '{}'::text[] NOT NULL,
	"currency" text NOT NULL,
	"terms_digest" text NOT NULL,
	"status" text DEFAULT 'DRAFT' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "offering_asset" (
	"offering_id" uuid,
	"asset_id" uuid,
	CONSTRAINT "offering_asset_pkey" PRIMARY KEY("offering_id","asset_id")
);
--> statement-breakpoint
CREATE TABLE "tranche" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"offering_id" uuid NOT NULL,
	"name" text NOT NULL,
	"seniority" text NOT NULL,
	"coupon_bps" integer DEFAULT 0 NOT NULL,
	"supply_cap" numeric(78,0) NOT NULL,
	"token_name" text NOT NULL,
	"token_symbol" text NOT NULL,
	"token_address" text,
	"chain_id" integer,
	"deploy_tx_hash" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tranche_chain_id_token_address_unique" UNIQUE("chain_id","token_address")
);
--> statement-breakpoint
CREATE TABLE "tranche_whitelist" (
	"tranche_id" uuid,
	"wallet_address" text,
	"investor_id" uuid NOT NULL,
	"tx_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tranche_whitelist_pkey" PRIMARY KEY("tranche_id","wallet_address")
);
--> statement-breakpoint
CREATE TABLE "investor" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"did" text NOT NULL UNIQUE,
	"investor_class" text NOT NULL,
	"jurisdiction" text NOT NULL,
	"kyc_status" text DEFAULT 'PENDING' NOT NULL,
	"kyc_expires_at" timestamp with time zone,
	"wallet_address" text NOT NULL,
	"registered_by_org_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mint_request" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"requested_by_org_id" uuid NOT NULL,
	"requested_by" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"tranche_id" uuid NOT NULL,
	"investor_id" uuid NOT NULL,
	"recipient" text NOT NULL,
	"amount" numeric(78,0) NOT NULL,
	"status" text DEFAULT 'REQUESTED' NOT NULL,
	"tx_hash" text,
	"nonce" integer,
	"signed_tx" text,
	"block_number" bigint,
	"attempts" integer DEFAULT 0 NOT NULL,
	"error_code" text,
	"error_message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mint_request_requested_by_org_id_idempotency_key_unique" UNIQUE("requested_by_org_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "job" (
	"id" bigserial PRIMARY KEY,
	"queue" text NOT NULL,
	"payload" jsonb NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone,
	"locked_by" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "data_asset_owner_idx" ON "data_asset" ("owner_org_id");--> statement-breakpoint
CREATE INDEX "data_asset_page_idx" ON "data_asset" ("created_at","id");--> statement-breakpoint
CREATE INDEX "ownership_right_asset_idx" ON "ownership_right" ("asset_id");--> statement-breakpoint
CREATE INDEX "provenance_activity_asset_idx" ON "provenance_activity" ("asset_id");--> statement-breakpoint
CREATE INDEX "compliance_attestation_subject_idx" ON "compliance_attestation" ("subject_id","requirement_code");--> statement-breakpoint
CREATE INDEX "mint_request_status_idx" ON "mint_request" ("status");--> statement-breakpoint
CREATE INDEX "job_ready_idx" ON "job" ("queue","run_at");--> statement-breakpoint
ALTER TABLE "organization_license" ADD CONSTRAINT "organization_license_organization_id_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "data_asset" ADD CONSTRAINT "data_asset_owner_org_id_organization_id_fkey" FOREIGN KEY ("owner_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "ownership_right" ADD CONSTRAINT "ownership_right_asset_id_data_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "data_asset"("id");--> statement-breakpoint
ALTER TABLE "ownership_right" ADD CONSTRAINT "ownership_right_holder_org_id_organization_id_fkey" FOREIGN KEY ("holder_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "provenance_activity" ADD CONSTRAINT "provenance_activity_asset_id_data_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "data_asset"("id");--> statement-breakpoint
ALTER TABLE "provenance_activity" ADD CONSTRAINT "provenance_activity_actor_org_id_organization_id_fkey" FOREIGN KEY ("actor_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "compliance_attestation" ADD CONSTRAINT "compliance_attestation_attested_by_org_id_organization_id_fkey" FOREIGN KEY ("attested_by_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "offering" ADD CONSTRAINT "offering_issuer_org_id_organization_id_fkey" FOREIGN KEY ("issuer_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "offering_asset" ADD CONSTRAINT "offering_asset_offering_id_offering_id_fkey" FOREIGN KEY ("offering_id") REFERENCES "offering"("id");--> statement-breakpoint
ALTER TABLE "offering_asset" ADD CONSTRAINT "offering_asset_asset_id_data_asset_id_fkey" FOREIGN KEY ("asset_id") REFERENCES "data_asset"("id");--> statement-breakpoint
ALTER TABLE "tranche" ADD CONSTRAINT "tranche_offering_id_offering_id_fkey" FOREIGN KEY ("offering_id") REFERENCES "offering"("id");--> statement-breakpoint
ALTER TABLE "tranche_whitelist" ADD CONSTRAINT "tranche_whitelist_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "tranche_whitelist" ADD CONSTRAINT "tranche_whitelist_investor_id_investor_id_fkey" FOREIGN KEY ("investor_id") REFERENCES "investor"("id");--> statement-breakpoint
ALTER TABLE "investor" ADD CONSTRAINT "investor_registered_by_org_id_organization_id_fkey" FOREIGN KEY ("registered_by_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "mint_request" ADD CONSTRAINT "mint_request_requested_by_org_id_organization_id_fkey" FOREIGN KEY ("requested_by_org_id") REFERENCES "organization"("id");--> statement-breakpoint
ALTER TABLE "mint_request" ADD CONSTRAINT "mint_request_tranche_id_tranche_id_fkey" FOREIGN KEY ("tranche_id") REFERENCES "tranche"("id");--> statement-breakpoint
ALTER TABLE "mint_request" ADD CONSTRAINT "mint_request_investor_id_investor_id_fkey" FOREIGN KEY ("investor_id") REFERENCES "investor"("id");