ALTER TABLE "records" ADD COLUMN "linkage_birth_month_year" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "linkage_birth_day_month" text;--> statement-breakpoint
CREATE INDEX "records_linkage_family_linkage_birth_day_month_index" ON "records" USING btree ("linkage_family","linkage_birth_day_month");