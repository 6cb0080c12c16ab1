/**
 * How many people were seen by one, two, three or more services; which services share people
 * (the pair matrix); and whether onward referrals found their person at the receiving service.
 * People are the persons linkage assigned (`people.ts`).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { readLinkageCurrency } from '../linkage/linkage-queue.js';
import type { Principal } from '../api-keys.js';
import { cellKeyOf, describePerturbation } from './cell-key.js';
import { applyDisclosureControl, describeDisclosureRule, isSmall, perturbPublished, type CellInput } from './disclosure.js';
import { personAnchorJoin, personCellKeySql, personKeySql } from './people.js';
import { problem } from '../../lib/problem.js';
import { currentRecordsIn, queryRows, readInOneSnapshot, resolveScope, scopeQueryOf, type ScopeQuery, type ScopeQueryInput } from './scope.js';

/** An onward referral counts as found when the person reaches the receiving service within this many days. */
export const ONWARD_WINDOW_DAYS = 183;
const SERVICE_COUNT_BANDS = ['1', '2', '3', '4+'] as const;
const OUTCOMES = ['found', 'not_found', 'untraceable'] as const;

export const SERVICE_COUNT_LABELS: Readonly<Record<string, string>> = {
  '1': 'Seen by 1 service',
  '2': 'Seen by 2 services',
  '3': 'Seen by 3 services',
  '4+': 'Seen by 4 or more services',
} satisfies Record<(typeof SERVICE_COUNT_BANDS)[number], string>;

export const ONWARD_OUTCOME_LABELS: Readonly<Record<string, string>> = {
  found: 'Found at the receiving service',
  not_found: 'Not found (unmet need or a lost referral)',
  untraceable: 'Untraceable (no linkage key)',
} satisfies Record<(typeof OUTCOMES)[number], string>;

export interface OverlapParams extends ScopeQuery {
  exact: boolean;
  threshold: number;
}

export interface ReadOverlapsParams {
  query: ScopeQueryInput;
  principal: Pick<Principal, 'role'>;
  threshold: number;
}

/** The overlaps a principal may see: admins get exact figures, everyone else the disclosure-controlled ones. */
export async function readOverlaps(db: Database, { query, principal, threshold }: ReadOverlapsParams): Promise<Overlaps> {
  return computeOverlaps(db, { ...scopeQueryOf(query), exact: principal.role === 'admin', threshold });
}

type Published = { value: number | null; status: 'ok' | 'suppressed' };

/** Primary suppression, then the cell key's noise (cell-key.ts), for analysts. */
function publish(value: number, cellKey: number, exact: boolean, threshold: number): Published {
  if (exact) return { value, status: 'ok' };
  return isSmall(value, threshold) ? { value: null, status: 'suppressed' } : perturbPublished({ value, status: 'ok' }, cellKey, threshold);
}

type KeyedCount = { n: string | number; k: string | number | null };

export type Overlaps = Awaited<ReturnType<typeof overlapsInSnapshot>>;

export async function computeOverlaps(db: Database, params: OverlapParams): Promise<Overlaps> {
  return readInOneSnapshot(db, (snapshot) => overlapsInSnapshot(snapshot, params));
}

async function overlapsInSnapshot(db: Database, params: OverlapParams) {
  // Overlaps follow victims: their persons, and their onward referrals found at the receiving
  // service. People who harm are counted across services by `measure=perpetrators`.
  if (params.subject === 'perpetrator') {
    throw problem(400, 'badRequest', 'overlaps are for victims: subject must be victim', [
      {
        parameter: 'subject',
        code: 'not_supported',
        detail: 'overlaps count victims; count people who harm across services with GET /v1/aggregates?measure=perpetrators&groupBy=service',
      },
    ]);
  }
  const scope = await resolveScope(db, params);
  // `ck`: the person's cell-key contribution, a function of `pk`, so each person sums her key once per count.
  const seen = params.exact
    ? sql`select distinct ${personKeySql()} as pk, 0 as ck, r.service_id as service ${currentRecordsIn(scope)}`
    : sql`select distinct ${personKeySql()} as pk, ${personCellKeySql()} as ck, r.service_id as service ${currentRecordsIn(scope, personAnchorJoin())}`;

  // One after another: the caller holds one snapshot, on one connection (see readInOneSnapshot).
  const perPerson = await queryRows<{ band: string } & KeyedCount>(
    db,
    sql`select case when n >= 4 then '4+' else n::text end as band, count(*) as n, sum(ck) as k
        from (select pk, min(ck) as ck, count(*) as n from (${seen}) s group by pk) p group by 1`,
  );
  const pairs = await queryRows<{ a: string; b: string } & KeyedCount>(
    db,
    sql`select x.service as a, y.service as b, count(*) as n, sum(x.ck) as k from (${seen}) x join (${seen}) y on x.pk = y.pk and x.service < y.service group by 1, 2`,
  );
  const perService = await queryRows<{ service: string } & KeyedCount>(db, sql`select service, count(*) as n, sum(ck) as k from (${seen}) s group by 1`);
  const onward = await queryRows<{ service_type: string; outcome: string } & KeyedCount>(
    db,
    sql`select o.value->>'serviceType' as service_type,
          case when r.person_id is null and r.victim_linkage_slk581_token is null then 'untraceable'
               when exists (
                 select 1 from analytic_records r2
                 join services s2 on s2.id = r2.service_id
                 where r2.id <> r.id
                   and ${personKeySql('r2')} = ${personKeySql('r')}
                   and (case when o.value ? 'service' then s2.id = o.value->>'service' else s2.service_type = o.value->>'serviceType' end)
                   and r2.referral_date between r.referral_date and r.referral_date + ${sql.raw(String(ONWARD_WINDOW_DAYS))}
               ) then 'found' else 'not_found' end as outcome,
          count(*) as n, sum(r.record_key) as k
        ${currentRecordsIn(scope, sql`cross join lateral jsonb_array_elements(r.onward_referrals) as o(value)`)}
        group by 1, 2`,
  );

  const total = perPerson.reduce((n, row) => n + Number(row.n), 0);
  // Bands and onward cells hold disjoint people and entries: their keys add up to their total's.
  const totalKey = cellKeyOf(perPerson.reduce((k, row) => k + cellKeyOf(row.k), 0));
  const bandKeys = SERVICE_COUNT_BANDS.map((band) => cellKeyOf(perPerson.find((r) => r.band === band)?.k));
  const histogram: CellInput[] = SERVICE_COUNT_BANDS.map((band) => ({
    key: { services: band },
    value: Number(perPerson.find((r) => r.band === band)?.n ?? 0),
  }));
  const serviceIds = scope.services.map((s) => s.id);
  const onwardTypes = [...new Set(onward.map((r) => r.service_type))].sort();
  const onwardCells: CellInput[] = onwardTypes.flatMap((type) =>
    OUTCOMES.map((outcome) => ({
      key: { serviceType: type, outcome },
      value: Number(onward.find((r) => r.service_type === type && r.outcome === outcome)?.n ?? 0),
    })),
  );
  const onwardMargins = {
    serviceType: onwardTypes.map((type) => ({
      key: { serviceType: type },
      value: onwardCells.filter((c) => c.key.serviceType === type).reduce((n, c) => n + c.value, 0),
    })),
    outcome: OUTCOMES.map((outcome) => ({ key: { outcome }, value: onwardCells.filter((c) => c.key.outcome === outcome).reduce((n, c) => n + c.value, 0) })),
  };
  const onwardTotal = onwardCells.reduce((n, c) => n + c.value, 0);
  const onwardKeys = onwardTypes.flatMap((type) =>
    OUTCOMES.map((outcome) => cellKeyOf(onward.find((r) => r.service_type === type && r.outcome === outcome)?.k)),
  );

  // One-dimensional and two-dimensional tables with totals get full secondary suppression; the
  // pair matrix (people counted in several pairs, so nothing adds up) gets primary suppression.
  const protect = (cells: CellInput[], dims: string[], totalValue: number, margins: Record<string, CellInput[]> = {}) =>
    params.exact
      ? { cells: cells.map((c) => ({ ...c, status: 'ok' as const })), total: { value: totalValue, status: 'ok' as const } }
      : applyDisclosureControl({ dimensions: dims, cells, margins, total: totalValue, threshold: params.threshold });
  const byServiceCount = protect(histogram, ['services'], total);
  const onwardTable = protect(onwardCells, ['serviceType', 'outcome'], onwardTotal, onwardTypes.length ? onwardMargins : {});
  const noisy = <T extends Published>(value: T, cellKey: number): T => (params.exact ? value : perturbPublished(value, cellKey, params.threshold));
  const serviceCount = (id: string) => perService.find((r) => r.service === id);
  const pairCount = (a: string, b: string) => pairs.find((r) => r.a === a && r.b === b);

  return {
    period: scope.description,
    unit: 'people (de-duplicated across the services in scope)',
    people: noisy({ value: byServiceCount.total.value, status: byServiceCount.total.status }, totalKey),
    byServiceCount: byServiceCount.cells.map((c, i) => ({ services: c.key.services!, ...noisy({ value: c.value, status: c.status }, bandKeys[i]!) })),
    services: serviceIds.map((id) => ({
      service: id,
      ...publish(Number(serviceCount(id)?.n ?? 0), cellKeyOf(serviceCount(id)?.k), params.exact, params.threshold),
    })),
    pairs: serviceIds.flatMap((a, i) =>
      serviceIds
        .slice(i + 1)
        .map((b) => ({ a, b, ...publish(Number(pairCount(a, b)?.n ?? 0), cellKeyOf(pairCount(a, b)?.k), params.exact, params.threshold) })),
    ),
    onwardReferrals: {
      unit: 'onward referrals',
      windowDays: ONWARD_WINDOW_DAYS,
      cells: onwardTable.cells.map((c, i) => ({
        serviceType: c.key.serviceType!,
        outcome: c.key.outcome!,
        ...noisy({ value: c.value, status: c.status }, onwardKeys[i]!),
      })),
    },
    linkage: await readLinkageCurrency(db),
    disclosure: {
      applied: !params.exact,
      ...describeDisclosureRule(params.threshold),
      ...(params.exact ? {} : { perturbation: describePerturbation(params.threshold) }),
    },
  };
}
