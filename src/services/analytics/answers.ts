/**
 * What each analytic endpoint answers: its JSON, or (`format=csv`, `Accept: text/csv`) the same
 * figures as a CSV download. Routes hand over the validated query and the principal; who sees
 * exact figures is decided by the services, never by a route.
 */
import { asc } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { areas, services } from '../../db/tables.js';
import { chooseFormat, csvFile, type Answer, type CsvTable } from '../../lib/csv-response.js';
import type { Completeness } from '../../schema/api/completeness.js';
import type { IndicatorList } from '../../schema/api/indicators.js';
import type { Principal } from '../api-keys.js';
import { parseAggregateQuery, readAggregate, type Aggregate, type AggregateQueryInput } from './aggregates.js';
import { computeCompleteness } from './completeness.js';
import { tabulateAggregate, tabulateCompleteness, tabulateIndicators, tabulateOverlaps, type Names } from './csv-tables.js';
import { computeIndicators } from './indicators.js';
import { readOverlaps, type Overlaps } from './overlaps.js';
import { scopeQueryOf, type ScopeQueryInput } from './scope.js';

interface FormatQuery {
  format?: string | undefined;
}

export interface AnswerParams<Q> {
  query: Q & FormatQuery;
  /** The request's `Accept` header. */
  accept: string | undefined;
  principal: Pick<Principal, 'role'>;
  threshold: number;
}

/** The labels admins gave services and areas, for the CSV tables (analysts may list both). */
async function findNames(db: Database): Promise<Names> {
  const serviceRows = await db.select({ id: services.id, name: services.name }).from(services).orderBy(asc(services.id));
  const areaRows = await db.select({ code: areas.code, name: areas.name }).from(areas).orderBy(asc(areas.code));
  return { services: new Map(serviceRows.map((s) => [s.id, s.name])), areas: new Map(areaRows.map((a) => [a.code, a.name])) };
}

/** The period of a file name, from the validated query only: `2022-23`, `2022-23-Q1` or `2022-23-Q1_to_2022-23-Q4`. */
function periodOfName(query: ScopeQueryInput): string {
  return query.period ?? `${query.from ?? ''}_to_${query.to ?? ''}`;
}

async function answer<T>(
  db: Database,
  params: AnswerParams<ScopeQueryInput>,
  body: T,
  tabulate: (body: T, names: Names) => CsvTable,
  ...name: string[]
): Promise<Answer<T>> {
  if (chooseFormat(params.query.format, params.accept) === 'json') return { format: 'json', body };
  return { format: 'csv', file: csvFile(tabulate(body, await findNames(db)), ...name, periodOfName(params.query)) };
}

export async function answerAggregate(db: Database, params: AnswerParams<AggregateQueryInput>): Promise<Answer<Aggregate>> {
  const aggregate = await readAggregate(db, params);
  const { ageBands } = parseAggregateQuery(params.query);
  return answer(db, params, aggregate, (body, names) => tabulateAggregate(body, { names, ageBands }), 'aggregates', aggregate.measure);
}

export async function answerIndicators(db: Database, params: AnswerParams<ScopeQueryInput>): Promise<Answer<IndicatorList>> {
  const list = await computeIndicators(db, { ...scopeQueryOf(params.query), role: params.principal.role, threshold: params.threshold });
  return answer(db, params, list, tabulateIndicators, 'indicators');
}

export async function answerCompleteness(db: Database, params: AnswerParams<ScopeQueryInput>): Promise<Answer<Completeness>> {
  // Completeness takes no `service` (its schema has none): the scope is a service type or an area.
  const { service: _service, ...scope } = scopeQueryOf(params.query);
  const completeness = await computeCompleteness(db, { ...scope, role: params.principal.role, threshold: params.threshold });
  return answer(db, params, completeness, tabulateCompleteness, 'completeness');
}

export async function answerOverlaps(db: Database, params: AnswerParams<ScopeQueryInput>): Promise<Answer<Overlaps>> {
  return answer(db, params, await readOverlaps(db, params), tabulateOverlaps, 'overlaps');
}
