DROP INDEX "perpetrator_keys_blocking_date_family_index";--> statement-breakpoint
DROP INDEX "perpetrator_keys_blocking_date_given_index";--> statement-breakpoint
DROP INDEX "perpetrator_keys_blocking_name_year_index";--> statement-breakpoint
DROP INDEX "perpetrator_keys_blocking_name_day_month_index";--> statement-breakpoint
DROP INDEX "records_blocking_date_family_index";--> statement-breakpoint
DROP INDEX "records_blocking_date_given_index";--> statement-breakpoint
DROP INDEX "records_blocking_name_year_index";--> statement-breakpoint
DROP INDEX "records_blocking_name_day_month_index";--> statement-breakpoint
CREATE INDEX "perpetrator_keys_blocking_date_names_index" ON "perpetrator_keys" USING btree ("linkage_birth_date","linkage_family","linkage_given");--> statement-breakpoint
CREATE INDEX "perpetrator_keys_blocking_names_dates_index" ON "perpetrator_keys" USING btree ("linkage_family","linkage_given","linkage_birth_year","linkage_birth_day_month");--> statement-breakpoint
CREATE INDEX "records_blocking_date_names_index" ON "records" USING btree ("linkage_birth_date","linkage_family","linkage_given");--> statement-breakpoint
CREATE INDEX "records_blocking_names_dates_index" ON "records" USING btree ("linkage_family","linkage_given","linkage_birth_year","linkage_birth_day_month");