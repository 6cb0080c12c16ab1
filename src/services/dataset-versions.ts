/**
 * The dataset by version: its description and its record JSON Schema. The schema served is the
 * document the returns validator compiles (for a frozen version, its committed snapshot), with an
 * entity tag.
 */
import { createHash } from 'node:crypto';
import { problem } from '../lib/problem.js';
import { DATASET_VERSIONS, datasetVersionDefinition, type DatasetVersionDefinition } from '../schema/dataset/index.js';

export interface SchemaDocument {
  body: string;
  etag: string;
}

const schemaDocuments = new Map<string, SchemaDocument>();

function definitionOf(version: string): DatasetVersionDefinition {
  const found = datasetVersionDefinition(version);
  // The path segment is the client's own text: named as "the version", not quoted.
  if (!found) throw problem(404, 'notFound', `no such dataset version; available: ${DATASET_VERSIONS.join(', ')} (GET /v1/dataset/versions)`);
  return found;
}

/** The dataset description of a version; 404 for a version this server does not publish. */
export function describeDatasetVersion(version: string): Record<string, unknown> {
  return definitionOf(version).describe();
}

/** The record JSON Schema of a version as served, and its entity tag; 404 for an unknown version. */
export function recordSchemaDocument(version: string): SchemaDocument {
  const definition = definitionOf(version);
  // A published version never changes: hashed once.
  let document = schemaDocuments.get(definition.version);
  if (!document) {
    const body = definition.recordSchemaBody;
    document = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
    schemaDocuments.set(definition.version, document);
  }
  return document;
}

/** Whether an `If-None-Match` header names the entity tag (weak or strong, or one of a list). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch !== undefined && ifNoneMatch !== '' && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
