-- Hand-written (drizzle-kit cannot express PARTITION BY): `records` becomes partitioned by range of
-- its return's period, one partition per financial year (db/record-partitions.ts names and bounds
-- them), rows, ids and the id sequence kept. A unique constraint of a partitioned table must hold
-- the partition key, so nothing can reference records(id) any more: the five foreign keys that
-- did go, and one statement trigger deletes what they cascaded to (the end of this file).
ALTER TABLE "analytic_records" DROP CONSTRAINT "analytic_records_id_records_id_fk";--> statement-breakpoint
ALTER TABLE "perpetrator_keys" DROP CONSTRAINT "perpetrator_keys_record_id_records_id_fk";--> statement-breakpoint
ALTER TABLE "person_links" DROP CONSTRAINT "person_links_record_a_records_id_fk";--> statement-breakpoint
ALTER TABLE "person_links" DROP CONSTRAINT "person_links_record_b_records_id_fk";--> statement-breakpoint
ALTER TABLE "referral_states" DROP CONSTRAINT "referral_states_record_id_records_id_fk";--> statement-breakpoint
-- The columns in the snapshot's order; `id` draws from the old table's sequence, owned below.
CREATE TABLE "records_partitioned" (
	"id" bigint DEFAULT nextval('records_id_seq'::regclass) NOT NULL,
	"return_id" uuid NOT NULL,
	"period" text NOT NULL,
	"position" integer NOT NULL,
	"referral_id" text NOT NULL,
	"referral_date" date NOT NULL,
	"referral_source" text NOT NULL,
	"subject" text,
	"category" text NOT NULL,
	"vawg_types" text[],
	"non_vawg_crime_type" text,
	"police_involvement" text NOT NULL,
	"risk_level" text NOT NULL,
	"risk_tool" text,
	"repeat_referral" boolean NOT NULL,
	"children_in_household" integer NOT NULL,
	"victim_age" integer,
	"victim_sex" text,
	"victim_gender_identity_same_as_sex" text,
	"victim_sexual_orientation" text,
	"victim_ethnicity" text,
	"victim_religion" text,
	"victim_disability" text,
	"victim_pregnancy" text,
	"victim_marital_status" text,
	"victim_interpreter_required" boolean,
	"victim_relationship_to_area" text,
	"victim_residence" text,
	"victim_local_authority" text,
	"victim_vulnerabilities" text[],
	"victim_linkage_slk581_token" text,
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
	"perpetrators" jsonb NOT NULL,
	"support_needs" text[],
	"support_provided" text[],
	"onward_referrals" jsonb NOT NULL,
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
	"programme_partner_supported" boolean,
	"safeguarding_child_in_need" boolean,
	"safeguarding_child_protection_plan" boolean,
	"safeguarding_adult_safeguarding_concern" boolean,
	"safeguarding_section42_enquiry" boolean,
	"health_setting" text,
	"health_disclosure" boolean,
	"record_key" integer DEFAULT floor(random() * 256)::int NOT NULL
) PARTITION BY RANGE ("period");
--> statement-breakpoint
-- A partition per financial year some return is for (`2022-23` sorts before its quarters, `2023-24`
-- after them), and the default, which catches a period of no year and otherwise stays empty.
DO $$
DECLARE
  year text;
BEGIN
  FOR year IN SELECT DISTINCT substring(period for 7) FROM returns
      WHERE period ~ '^[0-9]{4}-[0-9]{2}' AND substring(period from 6 for 2)::int = (left(period, 4)::int + 1) % 100 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF records_partitioned FOR VALUES FROM (%L) TO (%L)',
      'records_y' || replace(year, '-', '_'), year,
      (left(year, 4)::int + 1)::text || '-' || lpad(((left(year, 4)::int + 2) % 100)::text, 2, '0'));
  END LOOP;
END
$$;
--> statement-breakpoint
CREATE TABLE "records_default" PARTITION OF "records_partitioned" DEFAULT;--> statement-breakpoint
-- Every row, its period from its return; constraints and indexes come after, built once.
INSERT INTO "records_partitioned" (id, return_id, period, position, referral_id, referral_date, referral_source, subject, category, vawg_types, non_vawg_crime_type, police_involvement, risk_level, risk_tool, repeat_referral, children_in_household, victim_age, victim_sex, victim_gender_identity_same_as_sex, victim_sexual_orientation, victim_ethnicity, victim_religion, victim_disability, victim_pregnancy, victim_marital_status, victim_interpreter_required, victim_relationship_to_area, victim_residence, victim_local_authority, victim_vulnerabilities, victim_linkage_slk581_token, linkage_family, linkage_family_partial, linkage_given, linkage_given_partial, linkage_birth_date, linkage_birth_date_swapped, linkage_birth_year, linkage_birth_month_year, linkage_birth_day_month, linkage_sex, person_id, perpetrators, support_needs, support_provided, onward_referrals, status, closure_closed_date, closure_reason, closure_risk_reduced, closure_feels_safer, closure_abuse_reduced, closure_quality_of_life_improved, closure_children_safer, closure_risk_level_at_closure, closure_relationship_at_closure, sanctuary_security_measures, sanctuary_property_secured, sanctuary_tenure, housing_homelessness_approach, housing_temporary_accommodation, housing_moved_due_to_abuse, housing_outcome, refuge_admission_date, refuge_departure_date, refuge_children_accommodated, court_case_heard, court_attended_court, court_support_at_court, court_outcome, court_early_guilty_plea, court_pre_sentence_report, programme_programme_type, programme_stage, programme_partner_supported, safeguarding_child_in_need, safeguarding_child_protection_plan, safeguarding_adult_safeguarding_concern, safeguarding_section42_enquiry, health_setting, health_disclosure, record_key)
  SELECT r.id, r.return_id, ret.period, r.position, r.referral_id, r.referral_date, r.referral_source, r.subject, r.category, r.vawg_types, r.non_vawg_crime_type, r.police_involvement, r.risk_level, r.risk_tool, r.repeat_referral, r.children_in_household, r.victim_age, r.victim_sex, r.victim_gender_identity_same_as_sex, r.victim_sexual_orientation, r.victim_ethnicity, r.victim_religion, r.victim_disability, r.victim_pregnancy, r.victim_marital_status, r.victim_interpreter_required, r.victim_relationship_to_area, r.victim_residence, r.victim_local_authority, r.victim_vulnerabilities, r.victim_linkage_slk581_token, r.linkage_family, r.linkage_family_partial, r.linkage_given, r.linkage_given_partial, r.linkage_birth_date, r.linkage_birth_date_swapped, r.linkage_birth_year, r.linkage_birth_month_year, r.linkage_birth_day_month, r.linkage_sex, r.person_id, r.perpetrators, r.support_needs, r.support_provided, r.onward_referrals, r.status, r.closure_closed_date, r.closure_reason, r.closure_risk_reduced, r.closure_feels_safer, r.closure_abuse_reduced, r.closure_quality_of_life_improved, r.closure_children_safer, r.closure_risk_level_at_closure, r.closure_relationship_at_closure, r.sanctuary_security_measures, r.sanctuary_property_secured, r.sanctuary_tenure, r.housing_homelessness_approach, r.housing_temporary_accommodation, r.housing_moved_due_to_abuse, r.housing_outcome, r.refuge_admission_date, r.refuge_departure_date, r.refuge_children_accommodated, r.court_case_heard, r.court_attended_court, r.court_support_at_court, r.court_outcome, r.court_early_guilty_plea, r.court_pre_sentence_report, r.programme_programme_type, r.programme_stage, r.programme_partner_supported, r.safeguarding_child_in_need, r.safeguarding_child_protection_plan, r.safeguarding_adult_safeguarding_concern, r.safeguarding_section42_enquiry, r.health_setting, r.health_disclosure, r.record_key
  FROM records r JOIN returns ret ON ret.id = r.return_id;
--> statement-breakpoint
ALTER SEQUENCE "records_id_seq" OWNED BY "records_partitioned"."id";--> statement-breakpoint
DROP TABLE "records";--> statement-breakpoint
ALTER TABLE "records_partitioned" RENAME TO "records";--> statement-breakpoint
ALTER TABLE "records" ADD CONSTRAINT "records_id_period_pk" PRIMARY KEY("id","period");--> statement-breakpoint
ALTER TABLE "records" ADD CONSTRAINT "records_returnId_referralId_period_unique" UNIQUE("return_id","referral_id","period");--> statement-breakpoint
ALTER TABLE "records" ADD CONSTRAINT "records_return_id_returns_id_fk" FOREIGN KEY ("return_id") REFERENCES "public"."returns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "records_return_id_position_index" ON "records" USING btree ("return_id","position");
--> statement-breakpoint
CREATE INDEX "records_victim_linkage_slk581_token_index" ON "records" USING btree ("victim_linkage_slk581_token");
--> statement-breakpoint
CREATE INDEX "records_blocking_date_family_index" ON "records" USING btree ("linkage_birth_date","linkage_family");
--> statement-breakpoint
CREATE INDEX "records_blocking_date_given_index" ON "records" USING btree ("linkage_birth_date","linkage_given");
--> statement-breakpoint
CREATE INDEX "records_blocking_name_year_index" ON "records" USING btree ("linkage_family","linkage_given","linkage_birth_year");
--> statement-breakpoint
CREATE INDEX "records_blocking_name_day_month_index" ON "records" USING btree ("linkage_family","linkage_given","linkage_birth_day_month");
--> statement-breakpoint
CREATE INDEX "records_person_id_index" ON "records" USING btree ("person_id");
--> statement-breakpoint
-- The trigger of migration 0010 went with the old table: person_id still follows into the projection.
CREATE TRIGGER records_person_id_to_analytic_records AFTER UPDATE ON records
  REFERENCING NEW TABLE AS changed_records FOR EACH STATEMENT EXECUTE FUNCTION analytic_records_follow_persons();
--> statement-breakpoint
-- What the foreign keys' ON DELETE CASCADE did: a record's state, projection, perpetrator keys and
-- links go with it (a return's delete cascades to its records, and so on here). One statement
-- trigger on the partitioned table, so deleting a return's records is one join per table.
CREATE FUNCTION records_delete_dependents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM referral_states s USING gone_records g WHERE s.record_id = g.id;
  DELETE FROM analytic_records a USING gone_records g WHERE a.id = g.id;
  DELETE FROM perpetrator_keys k USING gone_records g WHERE k.record_id = g.id;
  DELETE FROM person_links l USING gone_records g WHERE l.record_a = g.id;
  DELETE FROM person_links l USING gone_records g WHERE l.record_b = g.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER records_deleted_to_dependents AFTER DELETE ON records
  REFERENCING OLD TABLE AS gone_records FOR EACH STATEMENT EXECUTE FUNCTION records_delete_dependents();
