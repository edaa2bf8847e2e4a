ALTER TABLE "asset_revenue" ADD COLUMN "delivery_id" text;--> statement-breakpoint
ALTER TABLE "asset_revenue" ADD CONSTRAINT "asset_revenue_delivery_id_key" UNIQUE("delivery_id");