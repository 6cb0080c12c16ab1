-- The masked-letter blocking rule (services/linkage/neighbourhood.ts): the same birth date and a
-- masked family-letter token in common. Hand-written above the generated indexes, as drizzle-kit
-- cannot express a function: a row's birth date joined to each of its three masked family tokens
-- (tokens.ts; null when the family name is missing), and one GIN index over the three, so the rule
-- is an index probe and one index to keep up on ingest rather than three btree indexes or a stored
-- column. A plain SQL expression, so PostgreSQL inlines it in the index and in the query alike and
-- matches the two.
CREATE FUNCTION "linkage_date_family_masks"("birth_date" text, "family_partial" text[]) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT ARRAY["birth_date" || "family_partial"[1], "birth_date" || "family_partial"[2], "birth_date" || "family_partial"[3]] $$;--> statement-breakpoint
CREATE INDEX "perpetrator_keys_blocking_date_family_masks_index" ON "perpetrator_keys" USING gin (linkage_date_family_masks("linkage_birth_date", "linkage_family_partial"));--> statement-breakpoint
CREATE INDEX "records_blocking_date_family_masks_index" ON "records" USING gin (linkage_date_family_masks("linkage_birth_date", "linkage_family_partial"));