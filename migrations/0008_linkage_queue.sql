ALTER TABLE "jobs" ADD COLUMN "payload" jsonb;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "owner" text;--> statement-breakpoint
CREATE INDEX "jobs_kind_status_created_at_index" ON "jobs" USING btree ("kind","status","created_at");