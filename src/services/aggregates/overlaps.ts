/**
 * How many people were seen by one, two, three or more services; which services share people
 * (the pair matrix); and whether onward referrals found their person at the receiving service.
 * People are the persons linkage assigned (`people.ts`).
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/connect.js';
import { applyDisclosureControl, describeDisclosureRule, isSmall, type CellInput } from './disclosure.js';
import { personKeySql } from './people.js';
import { currentRecordsIn, queryRows, resolveScope, type ScopeQuery } from './scope.js';

/** An onward referral counts as found when the person reaches the receiving service within this many days. */
export const ONWARD_WINDOW_DAYS = 183;
const SERVICE_COUNT_BANDS = ['1', '2', '3', '4+'];
const OUTCOMES = ['found', 'not_found', 'untraceable'];

export interface OverlapParams extends ScopeQuery {
  exact: boolean;
  threshold: number;
}

type Published = { value: number | null; status: 'ok' | 'suppressed' };

function publish(value: number, exact: boolean, threshold: number): Published {
  return !exact && isSmall(value, threshold) ? { value: null, status: 'suppressed' } : { value, status: 'ok' };
}

export async function computeOverlaps(db: Database, params: OverlapParams) {
  const scope = await resolveScope(db, params);
  const seen = sql`select distinct ${personKeySql()} as pk, ret.service_id as service ${currentRecordsIn(scope)}`;

  const [perPerson, pairs, perService, onward] = await Promise.all([
    queryRows<{ band: string; n: string | number }>(
      db,
      sql`select case when n >= 4 then '4+' else n::text end as band, count(*) as n from (select pk, count(*) as n from (${seen}) s group by pk) p group by 1`,
    ),
    queryRows<{ a: string; b: string; n: string | number }>(
      db,
      sql`select x.service as a, y.service as b, count(*) as n from (${seen}) x join (${seen}) y on x.pk = y.pk and x.service < y.service group by 1, 2`,
    ),
    queryRows<{ service: string; n: string | number }>(db, sql`select service, count(*) as n from (${seen}) s group by 1`),
    queryRows<{ service_type: string; outcome: string; n: string | number }>(
      db,
      sql`select o.value->>'serviceType' as service_type,
          case when r.person_id is null and r.victim_linkage_slk581_token is null then 'untraceable'
               when exists (
                 select 1 from records r2
                 join returns ret2 on ret2.id = r2.return_id and ret2.superseded_at is null
                 join services s2 on s2.id = ret2.service_id
                 where r2.id <> r.id
                   and ${personKeySql('r2')} = ${personKeySql('r')}
                   and (case when o.value ? 'service' then s2.id = o.value->>'service' else s2.service_type = o.value->>'serviceType' end)
                   and r2.referral_date between r.referral_date and r.referral_date + ${sql.raw(String(ONWARD_WINDOW_DAYS))}
               ) then 'found' else 'not_found' end as outcome,
          count(*) as n
        ${currentRecordsIn(scope, sql`cross join lateral jsonb_array_elements(r.onward_referrals) as o(value)`)}
        group by 1, 2`,
    ),
  ]);

  const total = perPerson.reduce((n, row) => n + Number(row.n), 0);
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

  // One-dimensional and two-dimensional tables with totals get full secondary suppression; the
  // pair matrix (people counted in several pairs, so nothing adds up) gets primary suppression.
  const protect = (cells: CellInput[], dims: string[], totalValue: number, margins: Record<string, CellInput[]> = {}) =>
    params.exact
      ? { cells: cells.map((c) => ({ ...c, status: 'ok' as const })), total: { value: totalValue, status: 'ok' as const } }
      : applyDisclosureControl({ dimensions: dims, cells, margins, total: totalValue, threshold: params.threshold });
  const byServiceCount = protect(histogram, ['services'], total);
  const onwardTable = protect(onwardCells, ['serviceType', 'outcome'], onwardTotal, onwardTypes.length ? onwardMargins : {});

  return {
    period: scope.description,
    unit: 'people (de-duplicated across the services in scope)',
    people: { value: byServiceCount.total.value, status: byServiceCount.total.status },
    byServiceCount: byServiceCount.cells.map((c) => ({ services: c.key.services!, value: c.value, status: c.status })),
    services: serviceIds.map((id) => ({ service: id, ...publish(Number(perService.find((r) => r.service === id)?.n ?? 0), params.exact, params.threshold) })),
    pairs: serviceIds.flatMap((a, i) =>
      serviceIds.slice(i + 1).map((b) => ({ a, b, ...publish(Number(pairs.find((r) => r.a === a && r.b === b)?.n ?? 0), params.exact, params.threshold) })),
    ),
    onwardReferrals: {
      unit: 'onward referrals',
      windowDays: ONWARD_WINDOW_DAYS,
      cells: onwardTable.cells.map((c) => ({ serviceType: c.key.serviceType!, outcome: c.key.outcome!, value: c.value, status: c.status })),
    },
    disclosure: { applied: !params.exact, ...describeDisclosureRule(params.threshold) },
  };
}
