CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"label" text NOT NULL,
	"role" text NOT NULL,
	"key_hash" text NOT NULL,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_keyHash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "area_populations" (
	"area_code" text NOT NULL,
	"year" integer NOT NULL,
	"total" integer NOT NULL,
	"adult_female" integer,
	"by_group" jsonb,
	CONSTRAINT "area_populations_area_code_year_pk" PRIMARY KEY("area_code","year")
);
--> statement-breakpoint
CREATE TABLE "areas" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"return_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"referral_id" text NOT NULL,
	"referral_date" date NOT NULL,
	"referral_source" text NOT NULL,
	"category" text NOT NULL,
	"vawg_types" text[],
	"non_vawg_crime_type" text,
	"police_involvement" text NOT NULL,
	"risk_level" text NOT NULL,
	"risk_tool" text,
	"repeat_referral" boolean NOT NULL,
	"children_in_household" integer NOT NULL,
	"victim_age" integer,
	"victim_sex" text NOT NULL,
	"victim_gender_identity_same_as_sex" text NOT NULL,
	"victim_sexual_orientation" text NOT NULL,
	"victim_ethnicity" text NOT NULL,
	"victim_religion" text NOT NULL,
	"victim_disability" text NOT NULL,
	"victim_pregnancy" text,
	"victim_marital_status" text,
	"victim_interpreter_required" boolean,
	"victim_relationship_to_area" text NOT NULL,
	"victim_residence" text NOT NULL,
	"victim_vulnerabilities" text[] NOT NULL,
	"victim_linkage_slk581_token" text,
	"perpetrators" jsonb NOT NULL,
	"support_needs" text[],
	"onward_referrals" jsonb NOT NULL,
	"closure_closed_date" date,
	"closure_reason" text,
	"closure_risk_reduced" boolean,
	"closure_feels_safer" boolean,
	CONSTRAINT "records_returnId_referralId_unique" UNIQUE("return_id","referral_id")
);
--> statement-breakpoint
CREATE TABLE "returns" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"service_id" text NOT NULL,
	"period" text NOT NULL,
	"version" integer NOT NULL,
	"dataset_version" text NOT NULL,
	"record_count" integer NOT NULL,
	"warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"submitted_by" uuid,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"superseded_at" timestamp with time zone,
	CONSTRAINT "returns_serviceId_period_version_unique" UNIQUE("service_id","period","version")
);
--> statement-breakpoint
CREATE TABLE "services" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"service_type" text NOT NULL,
	"area" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "area_populations" ADD CONSTRAINT "area_populations_area_code_areas_code_fk" FOREIGN KEY ("area_code") REFERENCES "public"."areas"("code") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "records" ADD CONSTRAINT "records_return_id_returns_id_fk" FOREIGN KEY ("return_id") REFERENCES "public"."returns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "returns" ADD CONSTRAINT "returns_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "returns" ADD CONSTRAINT "returns_submitted_by_api_keys_id_fk" FOREIGN KEY ("submitted_by") REFERENCES "public"."api_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "records_return_id_position_index" ON "records" USING btree ("return_id","position");--> statement-breakpoint
CREATE INDEX "records_victim_linkage_slk581_token_index" ON "records" USING btree ("victim_linkage_slk581_token");--> statement-breakpoint
CREATE INDEX "returns_period_service_id_index" ON "returns" USING btree ("period","service_id");