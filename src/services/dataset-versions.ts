/**
 * The dataset by version: its description and its record JSON Schema. The schema served is the
 * object the returns validator compiles (`recordJsonSchema`), serialised once, with an entity tag.
 */
import { createHash } from 'node:crypto';
import { problem } from '../lib/problem.js';
import { DATASET_VERSION, DATASET_VERSIONS, describeDataset, recordJsonSchema } from '../schema/dataset/index.js';

interface PublishedVersion {
  describe: () => Record<string, unknown>;
  recordSchema: Readonly<Record<string, unknown>>;
}

/** The versions this server can serve. Only the current one is defined in code today. */
const published = new Map<string, PublishedVersion>([[DATASET_VERSION, { describe: describeDataset, recordSchema: recordJsonSchema }]]);

export interface SchemaDocument {
  body: string;
  etag: string;
}

let schemaDocuments: Map<string, SchemaDocument> | undefined;

function unknownVersion(version: string) {
  return problem(404, 'notFound', `no dataset version ${version}; available: ${DATASET_VERSIONS.join(', ')}`);
}

/** The dataset description of a version; 404 for a version this server does not publish. */
export function describeDatasetVersion(version: string): Record<string, unknown> {
  const found = published.get(version);
  if (!found) throw unknownVersion(version);
  return found.describe();
}

/** The record JSON Schema of a version as served, and its entity tag; 404 for an unknown version. */
export function recordSchemaDocument(version: string): SchemaDocument {
  // A published version never changes: serialised and hashed once.
  schemaDocuments ??= new Map(
    [...published].map(([v, { recordSchema }]) => {
      const body = `${JSON.stringify(recordSchema, null, 2)}\n`;
      return [v, { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` }];
    }),
  );
  const document = schemaDocuments.get(version);
  if (!document) throw unknownVersion(version);
  return document;
}

/** Whether an `If-None-Match` header names the entity tag (weak or strong, or one of a list). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch !== undefined && ifNoneMatch !== '' && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
