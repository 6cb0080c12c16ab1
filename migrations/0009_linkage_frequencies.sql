CREATE TABLE "linkage_frequencies" (
	"subject" text NOT NULL,
	"comparison" text NOT NULL,
	"value" text NOT NULL,
	"holders" integer NOT NULL,
	CONSTRAINT "linkage_frequencies_subject_comparison_value_pk" PRIMARY KEY("subject","comparison","value")
);
