/**
 * The scope of an analytic query: which quarters, and which services (by id, type or area). Every
 * aggregate, indicator and completeness figure reads only the current version of each return.
 */
import { and, asc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { returns, services } from '../../db/tables.js';
import { parseQuarter, quartersOf, type Quarter } from '../../lib/periods.js';
import { problem } from '../../lib/problem.js';
import { isKnownArea } from '../areas.js';

export interface ScopeQuery {
  period?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  service?: string | undefined;
  serviceType?: string | undefined;
  area?: string | undefined;
  /** Whom the records are about: victims (the default) or people who harm referred themselves. */
  subject?: Subject | undefined;
  /** The local authority (GSS code) where the person lives. */
  localAuthority?: string | undefined;
  basis?: Basis | undefined;
}

export type Subject = 'victim' | 'perpetrator';

/** A validated query's scope parameters, as the schema leaves them (strings), before narrowing. */
export type ScopeQueryInput = { [K in keyof ScopeQuery]?: string | undefined };

/**
 * The scope parameters of a validated query, narrowed rather than cast: the schema has checked
 * `subject` and `basis` against `SUBJECTS` and `BASES`, so a value outside them (a schema that
 * drifted) is a 400 naming the parameter, never quoting it.
 */
export function scopeQueryOf(query: ScopeQueryInput): ScopeQuery {
  const { period, from, to, service, serviceType, area, subject, localAuthority, basis } = query;
  const narrow = <T extends string>(parameter: string, value: string | undefined, allowed: readonly T[]): T | undefined => {
    if (value === undefined) return undefined;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw problem(400, 'badRequest', `${parameter} is not known`, [{ parameter, code: 'not_in_code_list', detail: `must be among: ${allowed.join(', ')}` }]);
  };
  return {
    period,
    from,
    to,
    service,
    serviceType,
    area,
    subject: narrow('subject', subject, SUBJECTS),
    localAuthority,
    basis: narrow('basis', basis, BASES),
  };
}
/**
 * Which records a period selects: `referral`, referrals received in it (the default); `closure`,
 * referrals closed in it (by the record or a later update); `activity`, cases open at any time in
 * it. All three read every current return of the services, whatever quarter it is for.
 */
export type Basis = 'referral' | 'closure' | 'activity';
export const BASES: readonly Basis[] = ['referral', 'closure', 'activity'];
export const SUBJECTS: readonly Subject[] = ['victim', 'perpetrator'];

export interface Scope {
  quarters: Quarter[];
  /** Services the query covers, in id order. */
  services: Array<{ id: string; serviceType: string; area: string }>;
  subject: Subject;
  localAuthority?: string;
  basis: Basis;
  description: {
    period: string;
    quarters: string[];
    service?: string;
    serviceType?: string;
    area?: string;
    subject?: Subject;
    localAuthority?: string;
    basis?: Basis;
    noLongerHeld?: string[];
  };
}

function quartersBetween(from: Quarter, to: Quarter): Quarter[] {
  const quarters: Quarter[] = [];
  let year = Number(from.financialYear.slice(0, 4));
  let q: number = from.quarter;
  for (;;) {
    const id = `${year}-${String((year + 1) % 100).padStart(2, '0')}-Q${q}`;
    quarters.push(parseQuarter(id)!);
    if (id === to.id || quarters.length > 400) break;
    q += 1;
    if (q > 4) {
      q = 1;
      year += 1;
    }
  }
  return quarters;
}

function badPeriod(parameter: string, detail: string) {
  return problem(400, 'badRequest', detail, [{ parameter, code: 'invalid_format', detail }]);
}

export function resolveQuarters(query: ScopeQuery): { quarters: Quarter[]; label: string } {
  if (query.period && (query.from || query.to)) throw badPeriod('period', 'give either period or from/to, not both');
  if (query.period) {
    const quarters = quartersOf(query.period);
    if (!quarters) throw badPeriod('period', `period ${query.period} is not a financial year (2022-23) or quarter (2022-23-Q1)`);
    return { quarters, label: query.period };
  }
  if (query.from || query.to) {
    const from = parseQuarter(query.from ?? query.to!);
    const to = parseQuarter(query.to ?? query.from!);
    if (!from) throw badPeriod('from', 'from must be a quarter such as 2022-23-Q1');
    if (!to) throw badPeriod('to', 'to must be a quarter such as 2022-23-Q4');
    if (from.start > to.start) throw badPeriod('to', 'to must not be before from');
    return { quarters: quartersBetween(from, to), label: `${from.id}/${to.id}` };
  }
  throw problem(400, 'badRequest', 'a period is required', [
    { parameter: 'period', code: 'required', detail: 'give period (2022-23 or 2022-23-Q1) or from and to' },
  ]);
}

export async function resolveScope(db: Database, query: ScopeQuery): Promise<Scope> {
  const { quarters, label } = resolveQuarters(query);
  const filters: SQL[] = [];
  if (query.service) filters.push(eq(services.id, query.service));
  if (query.serviceType) filters.push(eq(services.serviceType, query.serviceType));
  if (query.area) filters.push(eq(services.area, query.area));
  const rows = await db
    .select({ id: services.id, serviceType: services.serviceType, area: services.area })
    .from(services)
    .where(and(...filters))
    .orderBy(asc(services.id));
  // Neither the service id nor the area code is echoed: problems never quote what a client sent.
  if (query.service && rows.length === 0) throw problem(404, 'notFound', 'no service is registered with that id');
  if (query.area && rows.length === 0 && !(await isKnownArea(db, query.area)))
    throw problem(404, 'notFound', 'no registered area or service has that area code');
  const subject = query.subject ?? 'victim';
  const basis = query.basis ?? 'referral';
  const noLongerHeld = await quartersNoLongerHeld(
    db,
    quarters.map((q) => q.id),
    rows.map((r) => r.id),
  );
  return {
    quarters,
    services: rows,
    subject,
    basis,
    ...(query.localAuthority ? { localAuthority: query.localAuthority } : {}),
    description: {
      period: label,
      quarters: quarters.map((q) => q.id),
      ...(query.service ? { service: query.service } : {}),
      ...(query.serviceType ? { serviceType: query.serviceType } : {}),
      ...(query.area ? { area: query.area } : {}),
      // Stated only when not the default, so 1.0 answers keep their shape.
      ...(subject !== 'victim' ? { subject } : {}),
      ...(query.localAuthority ? { localAuthority: query.localAuthority } : {}),
      ...(basis !== 'referral' ? { basis } : {}),
      // Stated only when there is one, as above.
      ...(noLongerHeld.length ? { noLongerHeld } : {}),
    },
  };
}

/**
 * The quarters in which a service in scope sent a return whose records were deleted at the end of
 * the retention period (services/retention.ts): the figures hold nothing of them, which must not
 * read as nothing having happened.
 */
async function quartersNoLongerHeld(db: Database, quarters: string[], serviceIds: string[]): Promise<string[]> {
  if (quarters.length === 0 || serviceIds.length === 0) return [];
  const rows = await db
    .selectDistinct({ period: returns.period })
    .from(returns)
    .where(and(isNull(returns.supersededAt), isNotNull(returns.recordsDeletedAt), inArray(returns.period, quarters), inArray(returns.serviceId, serviceIds)))
    .orderBy(asc(returns.period));
  return rows.map((r) => r.period);
}

export interface RecordsInOptions {
  /**
   * Overrides the scope's basis: closure indicators count closures in the period whatever the
   * basis, and `all` (activity figures: residents, open cases) reads every current referral of the
   * services, leaving the period to the figure's own condition.
   */
  basis?: Basis | 'all';
  /** Leaves out the subject and local-authority filters (a figure that counts both subjects). */
  anySubject?: boolean;
  /**
   * Leaves out the subject filter but keeps the local authority, read from each record's own
   * person (the victim's, or the perpetrator referred): `measure=perpetrators` and `groupBy=subject`
   * with no `subject` given cover both subjects.
   */
  bothSubjects?: boolean;
}

/** The local authority of the person a record is about: the victim's, or the perpetrator referred's. */
export function personLocalAuthoritySql(alias = 'r'): SQL {
  const r = sql.raw(alias);
  return sql`(case when ${r}.subject = 'perpetrator' then ${r}.perpetrators -> 0 ->> 'localAuthority' else ${r}.victim_local_authority end)`;
}

/** The first and last day the scope's quarters cover (they are contiguous). */
export function scopeDates(scope: Scope): { start: string; end: string } {
  return { start: scope.quarters[0]!.start, end: scope.quarters.at(-1)!.end };
}

function basisCondition(scope: Scope, basis: Basis | 'all'): SQL {
  const { start, end } = scopeDates(scope);
  switch (basis) {
    case 'referral':
      return sql`r.period in ${inList(scope.quarters.map((q) => q.id))}`;
    case 'closure':
      return sql`r.closure_closed_date between ${start}::date and ${end}::date`;
    case 'activity':
      return sql`r.referral_date <= ${end}::date and (r.closure_closed_date is null or r.closure_closed_date >= ${start}::date)`;
    case 'all':
      return sql`true`;
  }
}

/** The subject a record is about: absent means a victim. */
export function subjectCondition(subject: Subject, alias = 'r'): SQL {
  const column = sql.raw(`${alias}.subject`);
  return subject === 'victim' ? sql`(${column} is null or ${column} = 'victim')` : sql`${column} = 'perpetrator'`;
}

/**
 * SQL `from … where …` over the current records in scope, aliased `r` (the analytic projection:
 * records of current returns in their current state, with their return's `period` and
 * `service_id`; analytic-projection.ts) and `s` (services), for analytic queries to add their own
 * select and grouping to. The period selects by the scope's basis (referrals received in it by default).
 */
export function currentRecordsIn(scope: Scope, extraJoins: SQL = sql``, options: RecordsInOptions = {}): SQL {
  const filters: SQL[] = [basisCondition(scope, options.basis ?? scope.basis)];
  if (options.bothSubjects && !options.anySubject) {
    if (scope.localAuthority) filters.push(sql`${personLocalAuthoritySql()} = ${scope.localAuthority}`);
  } else if (!options.anySubject) {
    filters.push(subjectCondition(scope.subject));
    if (scope.localAuthority)
      filters.push(
        scope.subject === 'victim'
          ? sql`r.victim_local_authority = ${scope.localAuthority}`
          : sql`r.perpetrators -> 0 ->> 'localAuthority' = ${scope.localAuthority}`,
      );
  }
  // A left join on the services' key: every record's service is registered (returns reference
  // services), so it is the inner join's answer, and the planner drops it from the many queries
  // that read no `s.` column instead of probing it for each record.
  return sql`from analytic_records r
    left join services s on s.id = r.service_id
    ${extraJoins}
    where r.service_id in ${inList(scope.services.map((s) => s.id))}
      and ${sql.join(filters, sql` and `)}`;
}

/** `(…)` of bound values; `(null)` matches nothing when the list is empty. */
function inList(values: string[]): SQL {
  return values.length
    ? sql`(${sql.join(
        values.map((v) => sql`${v}`),
        sql`, `,
      )})`
    : sql`(null)`;
}

/** Rows of a raw query, whichever driver ran it. */
export async function queryRows<T>(db: Database, query: SQL): Promise<T[]> {
  const result = await db.execute(query);
  return (result as unknown as { rows: T[] }).rows;
}

/**
 * Runs an analytic computation on one snapshot of the database. Its figures come from several
 * queries, and some are published as differences (duplicates = referrals − people): read at
 * different moments, beside a return being committed, they disagree and a difference can go
 * negative. A read-only repeatable-read transaction makes every query see the same data. Queries
 * inside run one after another (one connection holds the snapshot).
 */
export async function readInOneSnapshot<T>(db: Database, work: (snapshot: Database) => Promise<T>): Promise<T> {
  return db.transaction((tx) => work(tx as unknown as Database), { isolationLevel: 'repeatable read', accessMode: 'read only' });
}
