CREATE TABLE "chain_binding" (
	"chain_id" integer PRIMARY KEY,
	"genesis_hash" text NOT NULL,
	"bound_at" timestamp with time zone DEFAULT now() NOT NULL
);
