CREATE TABLE "chain_event" (
	"chain_id" integer,
	"block_hash" text,
	"tx_hash" text,
	"log_index" integer,
	"block_number" bigint NOT NULL,
	"contract" text NOT NULL,
	"event_name" text NOT NULL,
	"args" jsonb NOT NULL,
	"from_address" text,
	"to_address" text,
	"value" numeric(78,0),
	"removed" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chain_event_pkey" PRIMARY KEY("chain_id","block_hash","tx_hash","log_index")
);
--> statement-breakpoint
CREATE TABLE "chain_reorg" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"chain_id" integer NOT NULL,
	"common_ancestor" bigint NOT NULL,
	"detected_at_block" bigint NOT NULL,
	"removed_events" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "indexed_block" (
	"chain_id" integer,
	"number" bigint,
	"hash" text NOT NULL,
	CONSTRAINT "indexed_block_pkey" PRIMARY KEY("chain_id","number")
);
--> statement-breakpoint
CREATE TABLE "indexer_cursor" (
	"chain_id" integer,
	"contract" text,
	"next_block" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "indexer_cursor_pkey" PRIMARY KEY("chain_id","contract")
);
--> statement-breakpoint
CREATE TABLE "indexer_state" (
	"chain_id" integer PRIMARY KEY,
	"finality_depth" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_run" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	"chain_id" integer NOT NULL,
	"trigger" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"tokens_checked" integer DEFAULT 0 NOT NULL,
	"holdings_checked" integer DEFAULT 0 NOT NULL,
	"drift" jsonb DEFAULT '[]' NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "webhook_delivery" (
	"id" bigserial PRIMARY KEY,
	"format" text NOT NULL,
	"delivery_key" text NOT NULL UNIQUE,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"applied_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE INDEX "chain_event_contract_idx" ON "chain_event" ("chain_id","contract","block_number");--> statement-breakpoint
CREATE INDEX "chain_event_tx_idx" ON "chain_event" ("tx_hash");--> statement-breakpoint
CREATE INDEX "reconciliation_run_started_idx" ON "reconciliation_run" ("started_at");--> statement-breakpoint
CREATE INDEX "webhook_delivery_pending_idx" ON "webhook_delivery" ("applied_at","id");