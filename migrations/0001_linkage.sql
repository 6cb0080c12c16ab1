CREATE TABLE "linkage_models" (
	"version" text PRIMARY KEY NOT NULL,
	"model" jsonb NOT NULL,
	"trained_on_records" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "person_links" (
	"record_a" bigint NOT NULL,
	"record_b" bigint NOT NULL,
	"weight" double precision NOT NULL,
	"levels" jsonb NOT NULL,
	"model_version" text NOT NULL,
	CONSTRAINT "person_links_record_a_record_b_pk" PRIMARY KEY("record_a","record_b")
);
--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_family" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_family_partial" text[];--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_given" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_given_partial" text[];--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_birth_date" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_birth_date_swapped" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_birth_year" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_sex" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "person_id" bigint;--> statement-breakpoint
ALTER TABLE "person_links" ADD CONSTRAINT "person_links_record_a_records_id_fk" FOREIGN KEY ("record_a") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_links" ADD CONSTRAINT "person_links_record_b_records_id_fk" FOREIGN KEY ("record_b") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "person_links_record_b_index" ON "person_links" USING btree ("record_b");--> statement-breakpoint
CREATE INDEX "records_linkage_birth_date_index" ON "records" USING btree ("linkage_birth_date");--> statement-breakpoint
CREATE INDEX "records_linkage_birth_date_swapped_index" ON "records" USING btree ("linkage_birth_date_swapped");--> statement-breakpoint
CREATE INDEX "records_linkage_family_linkage_birth_year_index" ON "records" USING btree ("linkage_family","linkage_birth_year");--> statement-breakpoint
CREATE INDEX "records_person_id_index" ON "records" USING btree ("person_id");