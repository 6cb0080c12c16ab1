/**
 * What changed between two versions of a return: records are matched by `referralId` and compared
 * field by field over the dataset's field tree, so a new dataset field is compared without a change
 * here. Linkage keys are compared by their tokens and reported by path only: a diff never carries a
 * key, a token or a record's values.
 */
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { records, returns } from '../../db/tables.js';
import { problem } from '../../lib/problem.js';
import { recordFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import { assertServiceAccess, type Principal } from '../api-keys.js';
import { recordAuditEvent } from '../audit.js';
import type { RecordRow } from './record-rows.js';

/** Rows compared per query: bounded memory whatever the size of the return. */
const CHUNK = 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type ReturnRow = typeof returns.$inferSelect;

export interface DiffReturnsParams {
  principal: Principal;
  /** The version to compare to (the newer one, usually). */
  id: string;
  /** A version number or a return id of the same service and period; default the previous version. */
  from?: string | undefined;
  requestId?: string;
}

function describe(row: ReturnRow) {
  return {
    id: row.id,
    version: row.version,
    status: row.supersededAt ? ('superseded' as const) : ('current' as const),
    recordCount: row.recordCount,
    receivedAt: row.receivedAt.toISOString(),
    submittedBy: row.submittedBy,
  };
}

async function findFrom(db: Database, to: ReturnRow, from: string | undefined): Promise<ReturnRow> {
  const sameReturn = and(eq(returns.serviceId, to.serviceId), eq(returns.period, to.period));
  if (from === undefined) {
    if (to.version === 1) {
      throw problem(404, 'notFound', `version 1 of ${to.serviceId} ${to.period} is the first: there is no earlier version to compare it with`);
    }
    const [previous] = await db
      .select()
      .from(returns)
      .where(and(sameReturn, eq(returns.version, to.version - 1)));
    if (!previous) throw problem(404, 'notFound', `no version ${to.version - 1} of ${to.serviceId} ${to.period}`);
    return previous;
  }
  const byVersion = /^[0-9]+$/.test(from);
  if (!byVersion && !UUID.test(from)) {
    throw problem(400, 'badRequest', 'from must be a version number or a return id', [
      { parameter: 'from', code: 'invalid_format', detail: 'give a version number (2) or a return id (uuid)' },
    ]);
  }
  const [found] = await db
    .select()
    .from(returns)
    .where(and(sameReturn, byVersion ? eq(returns.version, Number(from)) : eq(returns.id, from)));
  if (!found) throw problem(404, 'notFound', `${from} is not a version of ${to.serviceId} ${to.period}`);
  return found;
}

export async function diffReturns(db: Database, params: DiffReturnsParams) {
  const [to] = await db.select().from(returns).where(eq(returns.id, params.id));
  if (!to) throw problem(404, 'notFound', `no return ${params.id}`);
  assertServiceAccess(params.principal, to.serviceId);
  const from = await findFrom(db, to, params.from);

  const [fromKeys, toKeys] = await Promise.all([referralIdsOf(db, from.id), referralIdsOf(db, to.id)]);
  const fromByReferral = new Map(fromKeys.map((r) => [r.referralId, r.id]));
  const toReferrals = new Set(toKeys.map((r) => r.referralId));
  const added = toKeys.filter((r) => !fromByReferral.has(r.referralId)).map((r) => r.referralId);
  const removed = fromKeys.filter((r) => !toReferrals.has(r.referralId)).map((r) => r.referralId);
  const pairs = toKeys
    .filter((r) => fromByReferral.has(r.referralId))
    .map((r) => ({ referralId: r.referralId, fromId: fromByReferral.get(r.referralId)!, toId: r.id }));

  const changed: Array<{ referralId: string; fields: string[] }> = [];
  for (let i = 0; i < pairs.length; i += CHUNK) {
    const chunk = pairs.slice(i, i + CHUNK);
    const rows = await db
      .select()
      .from(records)
      .where(inArray(records.id, [...chunk.map((p) => p.fromId), ...chunk.map((p) => p.toId)]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const pair of chunk) {
      const fields = changedFields(recordFields, [], byId.get(pair.fromId)!, byId.get(pair.toId)!);
      if (fields.length > 0) changed.push({ referralId: pair.referralId, fields });
    }
  }

  const result = {
    service: to.serviceId,
    period: to.period,
    from: describe(from),
    to: describe(to),
    added,
    removed,
    changed,
    unchanged: pairs.length - changed.length,
  };
  await recordAuditEvent(db, {
    action: 'return.diff_read',
    principal: params.principal,
    outcome: 'success',
    resourceType: 'return',
    resourceId: to.id,
    detail: { service: to.serviceId, period: to.period, fromId: from.id, fromVersion: from.version, toVersion: to.version },
    ...(params.requestId ? { requestId: params.requestId } : {}),
  });
  return result;
}

/** In the order of the return (position), so added and changed read as the provider sent them. */
function referralIdsOf(db: Database, returnId: string) {
  return db.select({ id: records.id, referralId: records.referralId }).from(records).where(eq(records.returnId, returnId)).orderBy(asc(records.position));
}

/** The `records` column of a field path, as `record-rows.ts` names it: `victim.ethnicity` → `victimEthnicity`. */
function columnKey(path: string[]): string {
  return path.map((part, i) => (i === 0 ? part : part[0]!.toUpperCase() + part.slice(1))).join('');
}

function changedFields(fields: readonly FieldDefinition[], path: string[], a: RecordRow, b: RecordRow): string[] {
  const changed: string[] = [];
  for (const field of fields) {
    const fieldPath = [...path, field.name];
    if (field.type === 'object') {
      changed.push(...changedFields(field.fields ?? [], fieldPath, a, b));
      continue;
    }
    // Linkage keys are stored only as tokens: the same key gives the same token under one secret.
    const key = field.linkageKey ? `${columnKey(fieldPath)}Token` : columnKey(fieldPath);
    const before = (a as unknown as Record<string, unknown>)[key];
    const after = (b as unknown as Record<string, unknown>)[key];
    if (canonical(field, before) !== canonical(field, after)) changed.push(fieldPath.join('.'));
  }
  return changed;
}

/** A comparable form: lists are sets (codes) or multisets (objects), so order alone is no change. */
function canonical(field: FieldDefinition, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (field.type === 'codes' && Array.isArray(value)) return JSON.stringify([...new Set(value.map(String))].sort());
  if (field.type === 'objects' && Array.isArray(value)) return JSON.stringify(value.map(stableJson).sort());
  return stableJson(value);
}

/** JSON with object keys sorted and lists of plain values sorted, so equal content gives equal text. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) {
    const items = value.map(stableJson);
    return `[${(value.every((v) => v === null || typeof v !== 'object') ? items.sort() : items).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
