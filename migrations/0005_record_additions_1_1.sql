ALTER TABLE "records" ADD COLUMN "status" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "victim_local_authority" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "support_provided" text[];--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "closure_abuse_reduced" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "closure_quality_of_life_improved" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "closure_children_safer" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "closure_risk_level_at_closure" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "closure_relationship_at_closure" text;