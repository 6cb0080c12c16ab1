/**
 * Dataset versions: which exist, their status and publication date, and each version's field tree
 * and code lists. The tree in `fields.ts` and the lists in `code-lists.ts` are the latest version's;
 * a field or code added by a later version carries `since`, so an earlier version's tree is the
 * latest one without what came after it. A minor version only adds (docs/versioning.md), so this is
 * the whole difference between versions; a field whose rule changed would need more than this.
 */
import { codeLists, type CodeList } from './code-lists.js';
import { recordFields, type FieldDefinition } from './fields.js';

export type DatasetVersionStatus = 'current' | 'supported' | 'deprecated';

export interface DatasetVersionEntry {
  readonly version: string;
  /** The day the version was first served (ISO date): a fixed fact, not when this server started. */
  readonly publishedAt: string;
  /** Set when a version is deprecated; returns declaring it are still accepted until its sunset. */
  readonly deprecated?: boolean;
}

/**
 * Every dataset version, oldest first; the last is the current one. A version other than the
 * current one is frozen: its documents are served from `published/{version}/` exactly as first
 * published (test/schema/published-versions.test.ts guards them).
 */
export const DATASET_VERSION_LIST: readonly DatasetVersionEntry[] = [
  // First served with the v1 service (CHANGELOG "Dataset definition 1.0.0 as data"; git log of src/schema/dataset).
  { version: '1.0.0', publishedAt: '2026-11-23' },
  // The v1.1 contract, section 2: the five vawgTypes and the record additions (status, victim.localAuthority, onward referral and closure outcomes, supportProvided).
  { version: '1.1.0', publishedAt: '2026-12-02' },
];

export const LATEST_DATASET_VERSION = DATASET_VERSION_LIST.at(-1)!.version;

export function datasetVersionStatus(entry: DatasetVersionEntry): DatasetVersionStatus {
  if (entry.version === LATEST_DATASET_VERSION) return 'current';
  return entry.deprecated ? 'deprecated' : 'supported';
}

function parts(version: string): number[] {
  return version.split('.').map(Number);
}

/** Semver order of two `x.y.z` versions: negative when `a` is earlier. */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function inVersion(item: { readonly since?: string }, version: string): boolean {
  return item.since === undefined || compareVersions(item.since, version) <= 0;
}

const listCache = new Map<string, CodeList>();

/** A code list as it is in a version: without the codes later versions added. */
export function codeListAt(list: CodeList, version: string): CodeList {
  if (list.codes.every((c) => inVersion(c, version))) return list;
  const key = `${version} ${list.id}`;
  let found = listCache.get(key);
  if (!found) {
    found = { ...list, codes: list.codes.filter((c) => inVersion(c, version)) };
    listCache.set(key, found);
  }
  return found;
}

/** The field tree of a version: without the fields later versions added, each code list as it was in that version. */
export function fieldsAt(version: string, fields: readonly FieldDefinition[] = recordFields): readonly FieldDefinition[] {
  // The latest version's tree is the one every other module holds: the same objects, not copies.
  if (version === LATEST_DATASET_VERSION && fields === recordFields) return recordFields;
  const kept = fields.filter((f) => inVersion(f, version));
  // A rule conditioned on a field the version lacks (victim optional when subject is perpetrator) is not part of it.
  const has = (name: string) => kept.some((f) => f.name === name);
  return kept.map(({ optionalWhen, itemsWhen, ...f }) => ({
    ...f,
    ...(optionalWhen && has(optionalWhen.field) ? { optionalWhen } : {}),
    ...(itemsWhen && has(itemsWhen.field) ? { itemsWhen } : {}),
    ...(f.codeList ? { codeList: codeListAt(f.codeList, version) } : {}),
    ...(f.fields ? { fields: fieldsAt(version, f.fields) } : {}),
  }));
}

/** Every code list of a version, by id. */
export function codeListsAt(version: string): Record<string, CodeList> {
  return Object.fromEntries(
    Object.values(codeLists)
      .filter((list) => inVersion(list, version))
      .map((list) => [list.id, codeListAt(list, version)]),
  );
}
