/** Schemas of the metadata routes: the API's entry point, the OpenAPI document, the dataset description. */
import { Type } from 'typebox';
import { API_VERSION } from '../../lib/version.js';
import { DATASET_VERSION, DATASET_VERSIONS } from '../dataset/index.js';

const link = (description: string) => Type.String({ description });

export const metadataLinks = {
  openapi: '/v1/openapi.json',
  docs: '/docs',
  dataset: '/v1/dataset',
  datasetVersions: '/v1/dataset/versions',
  health: '/health',
  recordSchema: `/v1/dataset/${DATASET_VERSION}/record.schema.json`,
  template: '/v1/dataset/template.csv',
  codeLists: '/v1/dataset/code-lists',
  releaseNotes: '/v1/release-notes',
  versioningPolicy: '/v1/versioning-policy',
};

/** What `GET /v1` answers: fixed for the life of the process, so it is also the schema's example. */
export const apiMetadata = {
  name: 'VAWG Dataset API',
  apiVersion: API_VERSION,
  datasetVersion: DATASET_VERSION,
  datasetVersions: [...DATASET_VERSIONS],
  links: metadataLinks,
};

export const MetadataSchema = Type.Object(
  {
    name: Type.String(),
    apiVersion: Type.String({ description: 'Semver of the API; the path stays `/v1` while it only grows (see the versioning policy).' }),
    datasetVersion: Type.String({
      description: 'Semver of the current dataset definition, which a return is validated against unless it declares another `datasetVersion`.',
    }),
    datasetVersions: Type.Array(Type.String(), {
      description:
        'Every dataset version this server describes, publishes a record schema for and accepts returns in, oldest first (`GET /v1/dataset/versions` gives their status).',
    }),
    links: Type.Object({
      openapi: link('The OpenAPI 3.1 document.'),
      docs: link('Interactive documentation.'),
      dataset: link('The current dataset definition: fields, code lists, derived groupings.'),
      datasetVersions: link('Every dataset version with its status (`current`, `supported`, `deprecated`) and publication date.'),
      health: link('Liveness.'),
      recordSchema: link("The current dataset version's record JSON Schema (2020-12), the one the server validates with."),
      template: link('The CSV template of a return.'),
      codeLists: link('Every code list, with the crosswalks from other code systems (`.csv` for a table).'),
      releaseNotes: link('What changed for users, newest first (Markdown).'),
      versioningPolicy: link('What may change within v1, what counts as breaking, and how deprecation works (Markdown).'),
    }),
  },
  { examples: [apiMetadata] },
);

export const OpenApiDocumentSchema = Type.Object({}, { additionalProperties: true });

/** A Markdown document the repository ships (`CHANGELOG.md`, `docs/versioning.md`). */
export const markdownDocumentSchema = (file: string) => Type.String({ description: `${file} (Markdown).` });
