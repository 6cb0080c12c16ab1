/** Schemas of the dataset routes: descriptions by version, the record JSON Schema, the code lists, the CSV files. */
import { Type } from 'typebox';
import { DATASET_VERSION } from '../dataset/index.js';

export const DatasetVersionParams = Type.Object({
  version: Type.String({
    description: `A dataset version (semver), e.g. \`${DATASET_VERSION}\`. \`GET /v1/dataset/versions\` lists them.`,
    examples: [DATASET_VERSION],
  }),
});

export const DatasetVersionSummarySchema = Type.Object(
  {
    version: Type.String({ description: 'The dataset version (semver).', examples: [DATASET_VERSION] }),
    status: Type.String({
      enum: ['current', 'supported', 'deprecated'],
      description:
        '`current`: what a return is validated against when it names no version. `supported`: an earlier version, frozen, whose returns are still accepted. `deprecated`: still accepted, but going away (docs/versioning.md).',
    }),
    publishedAt: Type.String({ format: 'date', description: 'The day the version was first published.' }),
  },
  { additionalProperties: false },
);

export const DatasetVersionsSchema = Type.Object(
  { versions: Type.Array(DatasetVersionSummarySchema, { description: 'Every dataset version this server publishes and accepts returns in, oldest first.' }) },
  { additionalProperties: false },
);

/** A dataset description (`GET /v1/dataset`, `GET /v1/dataset/{version}`): only its version is fixed here. */
export const DatasetDescriptionSchema = Type.Object({ datasetVersion: Type.String() }, { additionalProperties: true });

// Not described property by property: `$id` as a property name confuses the spec generator's resolver.
export const RecordJsonSchemaDocument = Type.Object(
  {},
  { additionalProperties: true, description: 'A JSON Schema 2020-12 document (`$schema`, `$id`, `properties`, …).' },
);

export const CodeListsSchema = Type.Object(
  { datasetVersion: Type.String(), codeLists: Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: true })) },
  { additionalProperties: true },
);

export const IfNoneMatchHeaders = Type.Object({
  'if-none-match': Type.Optional(
    Type.String({ maxLength: 1024, description: 'The `ETag` of a copy already held: answered with 304 and no body while it is current.' }),
  ),
});

export const ReturnTemplateCsvSchema = Type.String({ description: 'CSV header row.' });
export const CountReturnTemplateCsvSchema = Type.String({ description: 'CSV with a header row and a row per count measure.' });
export const CodeListsCsvSchema = Type.String({ description: 'CSV with a header row.' });
