CREATE TABLE "linkage_frequencies" (
	"subject" text NOT NULL,
	"comparison" text NOT NULL,
	"value" text NOT NULL,
	"holders" integer NOT NULL,
	CONSTRAINT "linkage_frequencies_subject_comparison_value_pk" PRIMARY KEY("subject","comparison","value")
);
--> statement-breakpoint
-- A new database's counts start built (and empty); an upgraded one's are built by its first full relink.
INSERT INTO "linkage_frequencies" ("subject", "comparison", "value", "holders")
SELECT subject, '*', '', 0 FROM (VALUES ('victim'), ('perpetrator')) AS s(subject)
WHERE NOT EXISTS (SELECT 1 FROM "records");
