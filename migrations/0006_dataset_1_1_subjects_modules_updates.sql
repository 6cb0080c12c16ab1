CREATE TABLE "perpetrator_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"record_id" bigint NOT NULL,
	"position" integer NOT NULL,
	"slk581_token" text NOT NULL,
	"linkage_family" text,
	"linkage_family_partial" text[],
	"linkage_given" text,
	"linkage_given_partial" text[],
	"linkage_birth_date" text,
	"linkage_birth_date_swapped" text,
	"linkage_birth_year" text,
	"linkage_birth_month_year" text,
	"linkage_birth_day_month" text,
	"linkage_sex" text,
	"person_id" bigint,
	CONSTRAINT "perpetrator_keys_recordId_position_unique" UNIQUE("record_id","position")
);
--> statement-breakpoint
CREATE TABLE "record_updates" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"return_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"referral_id" text NOT NULL,
	"referral_period" text NOT NULL,
	"patch" jsonb NOT NULL,
	CONSTRAINT "record_updates_returnId_referralId_referralPeriod_unique" UNIQUE("return_id","referral_id","referral_period")
);
--> statement-breakpoint
CREATE TABLE "referral_states" (
	"record_id" bigint PRIMARY KEY NOT NULL,
	"status" text,
	"closure_closed_date" date,
	"closure_reason" text,
	"closure_risk_reduced" boolean,
	"closure_feels_safer" boolean,
	"closure_abuse_reduced" boolean,
	"closure_quality_of_life_improved" boolean,
	"closure_children_safer" boolean,
	"closure_risk_level_at_closure" text,
	"closure_relationship_at_closure" text,
	"sanctuary_security_measures" text[],
	"sanctuary_property_secured" boolean,
	"sanctuary_tenure" text,
	"housing_homelessness_approach" boolean,
	"housing_temporary_accommodation" boolean,
	"housing_moved_due_to_abuse" boolean,
	"housing_outcome" text,
	"refuge_admission_date" date,
	"refuge_departure_date" date,
	"refuge_children_accommodated" integer,
	"court_case_heard" boolean,
	"court_attended_court" boolean,
	"court_support_at_court" boolean,
	"court_outcome" text,
	"court_early_guilty_plea" boolean,
	"court_pre_sentence_report" boolean,
	"programme_programme_type" text,
	"programme_stage" text,
	"programme_partner_supported" boolean
);
--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_sex" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_gender_identity_same_as_sex" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_sexual_orientation" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_ethnicity" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_religion" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_disability" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_relationship_to_area" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_residence" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ALTER COLUMN "victim_vulnerabilities" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "subject" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "sanctuary_security_measures" text[];--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "sanctuary_property_secured" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "sanctuary_tenure" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "housing_homelessness_approach" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "housing_temporary_accommodation" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "housing_moved_due_to_abuse" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "housing_outcome" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "refuge_admission_date" date;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "refuge_departure_date" date;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "refuge_children_accommodated" integer;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "court_case_heard" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "court_attended_court" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "court_support_at_court" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "court_outcome" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "court_early_guilty_plea" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "court_pre_sentence_report" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "programme_programme_type" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "programme_stage" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "programme_partner_supported" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "safeguarding_child_in_need" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "safeguarding_child_protection_plan" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "safeguarding_adult_safeguarding_concern" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "safeguarding_section42_enquiry" boolean;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "health_setting" text;--> statement-breakpoint
ALTER TABLE "records" ADD COLUMN "health_disclosure" boolean;--> statement-breakpoint
ALTER TABLE "perpetrator_keys" ADD CONSTRAINT "perpetrator_keys_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "record_updates" ADD CONSTRAINT "record_updates_return_id_returns_id_fk" FOREIGN KEY ("return_id") REFERENCES "public"."returns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "referral_states" ADD CONSTRAINT "referral_states_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "perpetrator_keys_slk581_token_index" ON "perpetrator_keys" USING btree ("slk581_token");--> statement-breakpoint
CREATE INDEX "perpetrator_keys_person_id_index" ON "perpetrator_keys" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "perpetrator_keys_linkage_birth_date_index" ON "perpetrator_keys" USING btree ("linkage_birth_date");--> statement-breakpoint
CREATE INDEX "record_updates_referral_period_referral_id_index" ON "record_updates" USING btree ("referral_period","referral_id");