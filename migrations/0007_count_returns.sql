CREATE TABLE "count_cells" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"count_return_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"measure" text NOT NULL,
	"area" text NOT NULL,
	"value" integer NOT NULL,
	"breakdown" jsonb,
	"cell_key" integer DEFAULT floor(random() * 256)::int NOT NULL
);
--> statement-breakpoint
CREATE TABLE "count_returns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"service_id" text NOT NULL,
	"period" text NOT NULL,
	"version" integer NOT NULL,
	"cell_count" integer NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"submitted_by" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"superseded_at" timestamp with time zone,
	CONSTRAINT "count_returns_serviceId_period_version_unique" UNIQUE("service_id","period","version")
);
--> statement-breakpoint
ALTER TABLE "count_cells" ADD CONSTRAINT "count_cells_count_return_id_count_returns_id_fk" FOREIGN KEY ("count_return_id") REFERENCES "public"."count_returns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "count_returns" ADD CONSTRAINT "count_returns_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "count_returns" ADD CONSTRAINT "count_returns_submitted_by_api_keys_id_fk" FOREIGN KEY ("submitted_by") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "count_cells_count_return_id_position_index" ON "count_cells" USING btree ("count_return_id","position");--> statement-breakpoint
CREATE INDEX "count_cells_measure_area_index" ON "count_cells" USING btree ("measure","area");--> statement-breakpoint
CREATE INDEX "count_returns_period_service_id_index" ON "count_returns" USING btree ("period","service_id");