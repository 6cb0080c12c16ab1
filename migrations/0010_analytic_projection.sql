CREATE TABLE "analytic_records" (
	"id" bigint PRIMARY KEY NOT NULL,
	"period" text NOT NULL,
	"service_id" text NOT NULL,
	"record_key" integer DEFAULT floor(random() * 256)::int NOT NULL,
	"person_id" bigint,
	"subject" text,
	"updated" boolean DEFAULT false NOT NULL,
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
	"health_disclosure" boolean
);
--> statement-breakpoint
ALTER TABLE "analytic_records" ADD CONSTRAINT "analytic_records_id_records_id_fk" FOREIGN KEY ("id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "analytic_records_service_id_period_index" ON "analytic_records" USING btree ("service_id","period");--> statement-breakpoint
CREATE INDEX "analytic_records_updated_index" ON "analytic_records" USING btree ("service_id") WHERE "analytic_records"."updated";--> statement-breakpoint
-- Hand-written below (drizzle-kit generates neither): the current records of an upgraded
-- database, projected at once (services/analytics/analytic-projection.ts inserts the same way)...
insert into analytic_records (id, period, service_id, record_key, person_id, subject, updated, referral_id, referral_date, referral_source, category, vawg_types, non_vawg_crime_type, police_involvement, risk_level, risk_tool, repeat_referral, children_in_household, victim_age, victim_sex, victim_gender_identity_same_as_sex, victim_sexual_orientation, victim_ethnicity, victim_religion, victim_disability, victim_pregnancy, victim_marital_status, victim_interpreter_required, victim_relationship_to_area, victim_residence, victim_local_authority, victim_vulnerabilities, victim_linkage_slk581_token, perpetrators, support_needs, support_provided, onward_referrals, status, closure_closed_date, closure_reason, closure_risk_reduced, closure_feels_safer, closure_abuse_reduced, closure_quality_of_life_improved, closure_children_safer, closure_risk_level_at_closure, closure_relationship_at_closure, sanctuary_security_measures, sanctuary_property_secured, sanctuary_tenure, housing_homelessness_approach, housing_temporary_accommodation, housing_moved_due_to_abuse, housing_outcome, refuge_admission_date, refuge_departure_date, refuge_children_accommodated, court_case_heard, court_attended_court, court_support_at_court, court_outcome, court_early_guilty_plea, court_pre_sentence_report, programme_programme_type, programme_stage, programme_partner_supported, safeguarding_child_in_need, safeguarding_child_protection_plan, safeguarding_adult_safeguarding_concern, safeguarding_section42_enquiry, health_setting, health_disclosure)
  select r0.id, ret.period, ret.service_id, r0.record_key, r0.person_id, r0.subject, st.record_id is not null, r0.referral_id, r0.referral_date, r0.referral_source, r0.category, r0.vawg_types, r0.non_vawg_crime_type, r0.police_involvement, r0.risk_level, r0.risk_tool, r0.repeat_referral, r0.children_in_household, r0.victim_age, r0.victim_sex, r0.victim_gender_identity_same_as_sex, r0.victim_sexual_orientation, r0.victim_ethnicity, r0.victim_religion, r0.victim_disability, r0.victim_pregnancy, r0.victim_marital_status, r0.victim_interpreter_required, r0.victim_relationship_to_area, r0.victim_residence, r0.victim_local_authority, r0.victim_vulnerabilities, r0.victim_linkage_slk581_token, r0.perpetrators, r0.support_needs, r0.support_provided, r0.onward_referrals, case when st.record_id is null then r0.status else st.status end, case when st.record_id is null then r0.closure_closed_date else st.closure_closed_date end, case when st.record_id is null then r0.closure_reason else st.closure_reason end, case when st.record_id is null then r0.closure_risk_reduced else st.closure_risk_reduced end, case when st.record_id is null then r0.closure_feels_safer else st.closure_feels_safer end, case when st.record_id is null then r0.closure_abuse_reduced else st.closure_abuse_reduced end, case when st.record_id is null then r0.closure_quality_of_life_improved else st.closure_quality_of_life_improved end, case when st.record_id is null then r0.closure_children_safer else st.closure_children_safer end, case when st.record_id is null then r0.closure_risk_level_at_closure else st.closure_risk_level_at_closure end, case when st.record_id is null then r0.closure_relationship_at_closure else st.closure_relationship_at_closure end, case when st.record_id is null then r0.sanctuary_security_measures else st.sanctuary_security_measures end, case when st.record_id is null then r0.sanctuary_property_secured else st.sanctuary_property_secured end, case when st.record_id is null then r0.sanctuary_tenure else st.sanctuary_tenure end, case when st.record_id is null then r0.housing_homelessness_approach else st.housing_homelessness_approach end, case when st.record_id is null then r0.housing_temporary_accommodation else st.housing_temporary_accommodation end, case when st.record_id is null then r0.housing_moved_due_to_abuse else st.housing_moved_due_to_abuse end, case when st.record_id is null then r0.housing_outcome else st.housing_outcome end, case when st.record_id is null then r0.refuge_admission_date else st.refuge_admission_date end, case when st.record_id is null then r0.refuge_departure_date else st.refuge_departure_date end, case when st.record_id is null then r0.refuge_children_accommodated else st.refuge_children_accommodated end, case when st.record_id is null then r0.court_case_heard else st.court_case_heard end, case when st.record_id is null then r0.court_attended_court else st.court_attended_court end, case when st.record_id is null then r0.court_support_at_court else st.court_support_at_court end, case when st.record_id is null then r0.court_outcome else st.court_outcome end, case when st.record_id is null then r0.court_early_guilty_plea else st.court_early_guilty_plea end, case when st.record_id is null then r0.court_pre_sentence_report else st.court_pre_sentence_report end, case when st.record_id is null then r0.programme_programme_type else st.programme_programme_type end, case when st.record_id is null then r0.programme_stage else st.programme_stage end, case when st.record_id is null then r0.programme_partner_supported else st.programme_partner_supported end, r0.safeguarding_child_in_need, r0.safeguarding_child_protection_plan, r0.safeguarding_adult_safeguarding_concern, r0.safeguarding_section42_enquiry, r0.health_setting, r0.health_disclosure
  from records r0
  join returns ret on ret.id = r0.return_id
  left join referral_states st on st.record_id = r0.id
  where ret.superseded_at is null;
--> statement-breakpoint
-- ...and person_id kept in step with records by whichever code moves a person (linkage, a repair):
-- one statement trigger, so a relink of a million records is one join, not a million calls.
CREATE FUNCTION analytic_records_follow_persons() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE analytic_records a SET person_id = changed.person_id
    FROM changed_records changed
    WHERE a.id = changed.id AND a.person_id IS DISTINCT FROM changed.person_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER records_person_id_to_analytic_records AFTER UPDATE ON records
  REFERENCING NEW TABLE AS changed_records FOR EACH STATEMENT EXECUTE FUNCTION analytic_records_follow_persons();
