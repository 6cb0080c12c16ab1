/**
 * Completeness of the returns in scope: which services submitted which quarters (and which version
 * counts), and how often each victim field holds a known answer in the current records.
 */
import { and, asc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { countReturns, returns, services } from '../../db/tables.js';
import { parseQuarter } from '../../lib/periods.js';
import {
  SUBMISSION_KINDS,
  type Completeness,
  type FieldCompleteness,
  type ServiceCompleteness,
  type Timeliness,
  type TimelinessSummary,
} from '../../schema/api/completeness.js';
import { fieldSql } from '../../schema/dataset/columns.js';
import { moduleFields, recordFields, victimField, victimFields, type FieldDefinition } from '../../schema/dataset/fields.js';
import type { Role } from '../api-keys.js';
import { literal, modulePresentSql } from './dimensions.js';
import { cellKeyOf, describePerturbation, perturb } from './cell-key.js';
import { applyDisclosureControl, describeDisclosureRule, isSmall } from './disclosure.js';
import { currentRecordsIn, queryRows, readInOneSnapshot, resolveScope, type Scope, type ScopeQuery } from './scope.js';

/** Coded victim fields that also take the person answers `not_known` and `prefer_not_to_say`. */
export const codedPersonVictimFields: readonly FieldDefinition[] = victimFields.filter((f) => f.type === 'code' && f.personAnswers);

/** The fields completeness is measured on: coded person fields, and required fields whose null means "not known" (age, interpreter). */
export const completenessVictimFields: readonly FieldDefinition[] = victimFields.filter(
  (f) => (f.type === 'code' && f.personAnswers) || (f.required && f.nullable === true),
);

/** The `records` column (alias `r`) of a top-level victim field: `ethnicity` → `r.victim_ethnicity`. */
export function victimColumnSql(field: FieldDefinition): SQL {
  return fieldSql(['victim', field.name]);
}

/** A known answer in `column`: present, and for coded fields not `not_known` (`prefer_not_to_say` was asked and answered). */
function knownSql(field: FieldDefinition, column: SQL = victimColumnSql(field)): SQL {
  // A string field may take `not_known` too (`localAuthority`).
  return field.type === 'code' || field.type === 'string' ? sql`${column} is not null and ${column} <> ${literal('not_known')}` : sql`${column} is not null`;
}

/** A field completeness is measured on: its path, how a known answer reads, and which records it applies to (null: all). */
interface MeasuredField {
  path: string;
  label: string;
  known: SQL;
  appliesTo: SQL | null;
}

const recordField = (name: string) => recordFields.find((f) => f.name === name)!;

/**
 * The 1.1.0 record fields whose answer may be missing (`status` and `subject` are not among them:
 * absent means accepted, and a victim), then each field of `closure` and of every service module,
 * over the records carrying it: a module is given whole, so its denominator is its own records,
 * never the referrals that had no such work.
 */
export const completenessRecordFields: readonly MeasuredField[] = [
  { path: 'victim.localAuthority', label: victimField('localAuthority').label, known: knownSql(victimField('localAuthority')), appliesTo: null },
  { path: 'supportProvided', label: recordField('supportProvided').label, known: sql`${fieldSql('supportProvided')} is not null`, appliesTo: null },
  ...[recordField('closure'), ...moduleFields].flatMap((module) =>
    (module.fields ?? []).map((f) => ({
      path: `${module.name}.${f.name}`,
      label: `${module.label}: ${f.label}`,
      known: knownSql(f, fieldSql([module.name, f.name])),
      appliesTo: modulePresentSql(module.name),
    })),
  ),
];

export interface CompletenessParams extends ScopeQuery {
  role: Role;
  /** Counts from 1 to threshold − 1 are suppressed for analysts. */
  threshold: number;
  /** Decides `missing` against `due`; tests pass deadlines far from any clock instead. */
  now?: Date;
}

export async function computeCompleteness(db: Database, params: CompletenessParams): Promise<Completeness> {
  return readInOneSnapshot(db, (snapshot) => completenessInSnapshot(snapshot, params));
}

async function completenessInSnapshot(db: Database, params: CompletenessParams): Promise<Completeness> {
  const scope = await resolveScope(db, params);
  const applied = params.role === 'analyst';
  const submissions = await findSubmissions(db, scope, params.now ?? new Date());
  const fields = await measureFieldCompleteness(db, scope);
  const returnKeys = applied ? await findReturnKeys(db, scope) : new Map<string, number>();
  return {
    period: scope.description,
    services: applied ? suppressRecordCounts(submissions, params.threshold, returnKeys) : submissions,
    timeliness: summariseTimeliness(submissions),
    fields: fields.slice(0, completenessVictimFields.length).map((f) => publishField(f, applied, params.threshold)),
    // Apart from `fields`, so the victim fields' list reads as it did in 1.0.
    recordFields: fields.slice(completenessVictimFields.length).map((f) => publishField(f, applied, params.threshold)),
    disclosure: {
      applied,
      ...describeDisclosureRule(params.threshold),
      secondary:
        `When record counts are suppressed, further counts are suppressed so that none can be recovered from the total of the records in scope ` +
        `(the fields' total) and the suppressed counts add up to at least ${params.threshold}.`,
      rates:
        `A field's completeness is suppressed when the records in scope, the known answers or the unknown answers number from 1 to ${params.threshold - 1}, ` +
        'since any of them would reveal the other by subtraction. Published counts carry the cell key noise, as the same ' +
        "records' counts do in every other response (a return's record count is its quarter's referrals for the service), and " +
        'completeness is the published known ÷ the published total.',
      ...(applied ? { perturbation: describePerturbation(params.threshold) } : {}),
    },
  };
}

/** The cell key of each current return's records, by `service period`. */
async function findReturnKeys(db: Database, scope: Scope): Promise<Map<string, number>> {
  const rows = await queryRows<{ service_id: string; period: string; k: number | string | null }>(
    db,
    // A return's record count is all its records, whatever the subject, local authority or basis asked for.
    sql`select r.service_id, r.period, sum(r.record_key) as k ${currentRecordsIn(scope, sql``, { basis: 'referral', anySubject: true })} group by 1, 2`,
  );
  return new Map(rows.map((row) => [`${row.service_id} ${row.period}`, cellKeyOf(row.k)]));
}

interface ScheduleOf {
  expectedFrom: string | null;
  expectedUntil: string | null;
  deadlineDays: number;
}

/** Where a service's expected quarters come from: the schedule set on it, or its own history. */
export type ScheduleBasis = 'schedule' | 'inferred' | 'none';

/** The quarter `date` falls in, e.g. 2024-05-01 → `2024-25-Q1`. */
export function quarterContaining(date: Date): string {
  const month = date.getUTCMonth() + 1;
  const start = month >= 4 ? date.getUTCFullYear() : date.getUTCFullYear() - 1;
  const quarter = month >= 4 ? Math.ceil((month - 3) / 3) : 4;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}-Q${quarter}`;
}

/**
 * A service with no schedule set is expected to go on as it began: a return for every quarter from
 * its first one to the current quarter (or its latest, if later), so "who has not submitted" does not
 * read "nobody" until an admin sets a schedule. A service that never sent a return is expected none.
 */
export function inferSchedule(set: ScheduleOf, history: { first: string; last: string } | undefined, now: Date): ScheduleOf & { basis: ScheduleBasis } {
  if (set.expectedFrom !== null) return { ...set, basis: 'schedule' };
  if (!history) return { ...set, basis: 'none' };
  const current = quarterContaining(now);
  // Quarter ids sort chronologically as text.
  return { expectedFrom: history.first, expectedUntil: history.last > current ? history.last : current, deadlineDays: set.deadlineDays, basis: 'inferred' };
}

/** Quarter ids sort chronologically as text (`2022-23-Q4` < `2023-24-Q1`). */
function isExpected(schedule: ScheduleOf, period: string): boolean {
  return schedule.expectedFrom !== null && period >= schedule.expectedFrom && (schedule.expectedUntil === null || period <= schedule.expectedUntil);
}

/** The quarter's last day plus `deadlineDays`, as an ISO date; the return is due by the end of that day (UTC). */
export function deadlineOf(period: string, deadlineDays: number): string {
  const end = new Date(`${parseQuarter(period)!.end}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() + deadlineDays);
  return end.toISOString().slice(0, 10);
}

/** The first instant after the deadline day. */
function afterDeadline(deadline: string): number {
  return new Date(`${deadline}T00:00:00Z`).getTime() + 86_400_000;
}

function timelinessOf(expected: boolean, deadline: string | null, firstReceivedAt: Date | null, now: Date): Timeliness {
  if (!expected || deadline === null) return firstReceivedAt ? 'submitted_unscheduled' : 'not_expected';
  const cutoff = afterDeadline(deadline);
  if (firstReceivedAt) return firstReceivedAt.getTime() < cutoff ? 'on_time' : 'late';
  return now.getTime() < cutoff ? 'due' : 'missing';
}

function summariseTimeliness(submissions: ServiceCompleteness[]): TimelinessSummary {
  const summary: TimelinessSummary = { expected: 0, expectedInferred: 0, onTime: 0, late: 0, missing: 0, due: 0, notExpected: 0, submittedUnscheduled: 0 };
  const key = {
    on_time: 'onTime',
    late: 'late',
    missing: 'missing',
    due: 'due',
    not_expected: 'notExpected',
    submitted_unscheduled: 'submittedUnscheduled',
  } as const;
  for (const s of submissions) {
    for (const q of s.quarters) {
      if (q.expected) summary.expected += 1;
      if (q.expected && s.schedule.basis === 'inferred') summary.expectedInferred += 1;
      summary[key[q.timeliness as Timeliness]] += 1;
    }
  }
  return summary;
}

/** What a service sent for a quarter: a record return, a count return, or both. */
type SubmissionKind = (typeof SUBMISSION_KINDS)[number];

/** The current version of a service's record return or count return for a quarter. */
interface CurrentVersion {
  version: number;
  receivedAt: Date;
  size: number;
}

async function findSubmissions(db: Database, scope: Scope, now: Date): Promise<ServiceCompleteness[]> {
  if (scope.services.length === 0) return [];
  const quarterIds = scope.quarters.map((q) => q.id);
  const serviceIds = scope.services.map((s) => s.id);
  // Record returns and count returns alike: a police force or a helpline that reports totals is as
  // expected, on time or late as a service that sends records.
  const versionsOf = async (table: typeof returns | typeof countReturns, size: typeof returns.recordCount | typeof countReturns.cellCount) => {
    // Version 1 decides timeliness: amending a return after its deadline does not make it late.
    const first = await db
      .select({ serviceId: table.serviceId, period: table.period, receivedAt: table.receivedAt })
      .from(table)
      .where(and(eq(table.version, 1), inArray(table.serviceId, serviceIds), inArray(table.period, quarterIds)));
    // Every quarter each service ever sent one for, in or out of scope: the history a schedule is inferred from.
    const history = await db
      .select({ serviceId: table.serviceId, first: sql<string>`min(${table.period})`, last: sql<string>`max(${table.period})` })
      .from(table)
      .where(inArray(table.serviceId, serviceIds))
      .groupBy(table.serviceId);
    const current = await db
      .select({ serviceId: table.serviceId, period: table.period, version: table.version, receivedAt: table.receivedAt, size })
      .from(table)
      .where(and(isNull(table.supersededAt), inArray(table.serviceId, serviceIds), inArray(table.period, quarterIds)));
    return {
      first: new Map(first.map((r) => [`${r.serviceId} ${r.period}`, r.receivedAt])),
      history,
      current: new Map<string, CurrentVersion>(current.map((r) => [`${r.serviceId} ${r.period}`, r])),
    };
  };
  const records = await versionsOf(returns, returns.recordCount);
  const counts = await versionsOf(countReturns, countReturns.cellCount);
  // Record returns whose records were deleted at the end of the retention period: received, no longer held.
  const deleted = await db
    .select({ serviceId: returns.serviceId, period: returns.period, at: returns.recordsDeletedAt })
    .from(returns)
    .where(and(isNull(returns.supersededAt), isNotNull(returns.recordsDeletedAt), inArray(returns.serviceId, serviceIds), inArray(returns.period, quarterIds)));
  const deletedAt = new Map(deleted.map((r) => [`${r.serviceId} ${r.period}`, r.at!]));
  const historyOf = new Map<string, { first: string; last: string }>();
  // Quarter ids sort chronologically as text.
  for (const h of [...records.history, ...counts.history]) {
    const before = historyOf.get(h.serviceId);
    historyOf.set(h.serviceId, before ? { first: h.first < before.first ? h.first : before.first, last: h.last > before.last ? h.last : before.last } : h);
  }
  const rows = await db
    .select({
      id: services.id,
      name: services.name,
      serviceType: services.serviceType,
      area: services.area,
      expectedFrom: services.expectedFrom,
      expectedUntil: services.expectedUntil,
      deadlineDays: services.deadlineDays,
    })
    .from(services)
    .where(inArray(services.id, serviceIds))
    .orderBy(asc(services.id));

  return rows.map((row) => {
    const schedule = inferSchedule(row, historyOf.get(row.id), now);
    const quarters = quarterIds.map((period) => {
      const key = `${row.id} ${period}`;
      const recordReturn = records.current.get(key);
      const countReturn = counts.current.get(key);
      const expected = isExpected(schedule, period);
      const deadline = expected ? deadlineOf(period, schedule.deadlineDays) : null;
      // The earlier version 1 of the two; a current version without a version 1 cannot happen, so fall back to it if it does.
      const firsts = [records.first.get(key) ?? recordReturn?.receivedAt, counts.first.get(key) ?? countReturn?.receivedAt].filter((d) => d !== undefined);
      const first = firsts.length ? new Date(Math.min(...firsts.map((d) => d.getTime()))) : null;
      const timing = { expected, deadline, firstReceivedAt: first?.toISOString() ?? null, timeliness: timelinessOf(expected, deadline, first, now) };
      const shown = recordReturn ?? countReturn;
      const kind: SubmissionKind | null = recordReturn && countReturn ? 'records_and_counts' : recordReturn ? 'records' : countReturn ? 'counts' : null;
      return {
        period,
        submitted: shown !== undefined,
        kind,
        version: shown?.version ?? null,
        receivedAt: shown?.receivedAt.toISOString() ?? null,
        recordCount: recordReturn?.size ?? null,
        cellCount: countReturn?.size ?? null,
        status: 'ok',
        ...(deletedAt.has(key) ? { recordsDeletedAt: deletedAt.get(key)!.toISOString() } : {}),
        ...timing,
      };
    });
    return { service: row.id, name: row.name, serviceType: row.serviceType, area: row.area, schedule, quarters };
  });
}

/**
 * The fields' `total` published beside the record counts is their sum, so one suppressed count
 * would be the total less the others: suppression is that of a one-dimensional table with its
 * total. Quarters with no record return are left out, being known to hold no records from `kind`
 * (a count return counts cells reported as totals, never people, so it is published exactly).
 */
function suppressRecordCounts(submissions: ServiceCompleteness[], threshold: number, keys: Map<string, number>): ServiceCompleteness[] {
  // A count whose records are no longer held has no record keys to perturb it with, and is not in
  // the fields' total: it is neither published nor part of the table.
  submissions = submissions.map((s) => ({ ...s, quarters: s.quarters.map((q) => (q.recordsDeletedAt ? { ...q, recordCount: null } : q)) }));
  const cells = submissions.flatMap((s) =>
    s.quarters.filter((q) => q.recordCount !== null).map((q) => ({ key: { cell: `${s.service} ${q.period}` }, value: q.recordCount ?? 0 })),
  );
  if (cells.length === 0) return submissions;
  const result = applyDisclosureControl({ dimensions: ['cell'], cells, margins: {}, total: cells.reduce((n, c) => n + c.value, 0), threshold });
  const hidden = new Set(result.cells.filter((c) => c.status === 'suppressed').map((c) => c.key.cell));
  return submissions.map((s) => ({
    ...s,
    quarters: s.quarters.map((q) => {
      const cell = `${s.service} ${q.period}`;
      if (hidden.has(cell)) return { ...q, recordCount: null, status: 'suppressed' };
      return q.recordCount === null ? q : { ...q, recordCount: perturb(q.recordCount, keys.get(cell) ?? 0, threshold) };
    }),
  }));
}

interface FieldCounts {
  path: string;
  label: string;
  known: number;
  total: number;
  /** Cell keys of the known answers and of all the records in scope. */
  knownKey: number;
  totalKey: number;
}

async function measureFieldCompleteness(db: Database, scope: Scope): Promise<FieldCounts[]> {
  const fields: MeasuredField[] = [
    ...completenessVictimFields.map((f) => ({ path: `victim.${f.name}`, label: f.label, known: knownSql(f), appliesTo: null })),
    ...completenessRecordFields,
  ];
  // Columns are numbered, not named after paths: `k3` is the known count of the fourth field.
  const measures = fields.flatMap((f, i) => {
    const applies = f.appliesTo ?? sql`true`;
    return [
      sql`(count(*) filter (where ${applies} and ${f.known}))::int as ${sql.identifier(`k${i}`)}`,
      sql`sum(r.record_key) filter (where ${applies} and ${f.known}) as ${sql.identifier(`kk${i}`)}`,
      ...(f.appliesTo
        ? [
            sql`(count(*) filter (where ${applies}))::int as ${sql.identifier(`t${i}`)}`,
            sql`sum(r.record_key) filter (where ${applies}) as ${sql.identifier(`tk${i}`)}`,
          ]
        : []),
    ];
  });
  const [row] = await queryRows<Record<string, number | string | null>>(
    db,
    sql`select count(*)::int as total, sum(r.record_key) as total_key, ${sql.join(measures, sql`, `)} ${currentRecordsIn(scope)}`,
  );
  return fields.map((f, i) => ({
    path: f.path,
    label: f.label,
    known: Number(row?.[`k${i}`] ?? 0),
    total: Number((f.appliesTo ? row?.[`t${i}`] : row?.total) ?? 0),
    knownKey: cellKeyOf(row?.[`kk${i}`]),
    totalKey: cellKeyOf(f.appliesTo ? row?.[`tk${i}`] : row?.total_key),
  }));
}

function publishField(counts: FieldCounts, applied: boolean, threshold: number): FieldCompleteness {
  const { path, label, known, total } = counts;
  if (applied && [total, known, total - known].some((n) => isSmall(n, threshold))) {
    // The total (the records the field applies to) is safe unless small itself; the known count is what would reveal.
    return {
      path,
      label,
      known: null,
      total: isSmall(total, threshold) ? null : perturb(total, counts.totalKey, threshold),
      completeness: null,
      status: 'suppressed',
    };
  }
  if (total === 0) return { path, label, known, total, completeness: null, status: 'not_available' };
  if (!applied) return { path, label, known, total, completeness: known / total, status: 'ok' };
  // Published known ÷ published total; all known is the same records, so the same noise and exactly 1.
  const publishedKnown = perturb(known, counts.knownKey, threshold);
  const publishedTotal = perturb(total, counts.totalKey, threshold);
  return { path, label, known: publishedKnown, total: publishedTotal, completeness: Math.min(1, publishedKnown / publishedTotal), status: 'ok' };
}
