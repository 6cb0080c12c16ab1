/**
 * Aggregates at scale: loads N synthetic records (default 1,000,000) straight into a fresh
 * PostgreSQL database through SQL, then times typical aggregate and indicator requests through the
 * app next to the equivalent raw SQL `GROUP BY` on the same database, in the same run.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { dropRecordIndexes } from './records-indexes.js';
import { BENCH_ADMIN_KEY, buildBenchApp, createBenchDatabase } from './bench-app.js';
import { codeLists, listCodes } from '../src/schema/dataset/code-lists.js';
import { acceptedCodes, victimField } from '../src/schema/dataset/fields.js';
import { recordPartitionOf } from '../src/db/record-partitions.js';
import { rebuildAnalyticProjection } from '../src/services/analytics/analytic-projection.js';

function sqlArray(codes: readonly string[]): string {
  return `array[${codes.map((c) => `'${c}'`).join(',')}]`;
}

/** A pseudo-random pick from a code list, different per column (salt) and per row (g). */
function pick(codes: readonly string[], salt: string): string {
  return `(${sqlArray(codes)})[1 + (abs(hashtext(g::text || '${salt}')) % ${codes.length})]`;
}

const victimCodes = (name: string) => acceptedCodes(victimField(name));

export interface AggregateBenchOptions {
  adminUrl: string;
  records: number;
  reps: number;
  /** The database to (re)create, so two runs on one server do not drop each other's (default vawg_bench). */
  database?: string;
  /** Told each step as it ends (a 10M run takes most of an hour), so a cut-short run still says something. */
  progress?: (line: string) => void;
}

/** p50 and p95 of timed samples, nearest rank: with 5 samples p95 is the slowest, with 20 the 19th. */
export interface Timing {
  p50Ms: number;
  p95Ms: number;
}

function percentiles(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { p50Ms: rank(0.5), p95Ms: rank(0.95) };
}

/**
 * Times the variants of one scenario in turn, rep by rep, rotating which goes first, so the
 * machine's noise (two cores shared with other work) falls on all of them alike rather than on
 * whichever ran during a busy minute. One warm-up each first.
 */
async function timeInTurn<K extends string>(reps: number, variants: Record<K, () => Promise<unknown>>): Promise<Record<K, Timing>> {
  const names = Object.keys(variants) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (const name of names) await variants[name]();
  for (let i = 0; i < reps; i++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length]!;
      const start = performance.now();
      await variants[name]();
      samples[name].push(performance.now() - start);
    }
  }
  return Object.fromEntries(names.map((n) => [n, percentiles(samples[n])])) as Record<K, Timing>;
}

const quarters = ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3', '2022-23-Q4'];
const starts = ['2022-04-01', '2022-07-01', '2022-10-01', '2023-01-01'];
const services = 20;

/**
 * Loads about `records` current synthetic records (20 services, four quarters, 10% of periods
 * resubmitted so a superseded version must be skipped) straight through SQL: one
 * `insert … select from generate_series` per return (a chunk of records / 80), with the secondary
 * indexes and constraints of `records` dropped for the load and rebuilt from their own definitions
 * after it (the database is fresh and nothing else writes to it), then `vacuum analyze`.
 */
export async function loadSyntheticRecords(db: pg.Client, records: number) {
  const perReturn = Math.ceil(records / (services * quarters.length));
  const serviceTypes = listCodes(codeLists.serviceType);
  await db.query(`set maintenance_work_mem = '1GB'`);

  const started = performance.now();
  const dropped = await dropRecordIndexes(db);
  // The year's partition, as the submit path makes it before a return's records (db/record-partitions.ts).
  const partition = recordPartitionOf(quarters[0]!)!;
  await db.query(`create table if not exists "${partition.name}" partition of records for values from ('${partition.from}') to ('${partition.to}')`);

  for (let s = 0; s < services; s++) {
    await db.query(`insert into services (id, name, service_type, area) values ($1, $1, $2, $3)`, [
      `svc-${s}`,
      serviceTypes[s % serviceTypes.length],
      s % 2 ? 'E09000001' : 'E09000012',
    ]);
    for (let q = 0; q < quarters.length; q++) {
      const versions = (s + q) % 10 === 0 ? 2 : 1; // some periods were resubmitted: version 1 must not count
      for (let v = 1; v <= versions; v++) {
        const { rows } = await db.query(
          `insert into returns (service_id, period, version, dataset_version, record_count, superseded_at) values ($1, $2, $3, '1.0.0', $4, $5) returning id`,
          [`svc-${s}`, quarters[q], v, perReturn, v < versions ? new Date() : null],
        );
        const returnId = rows[0].id as string;
        await db.query(`insert into records (return_id, period, position, referral_id, referral_date, referral_source, category, vawg_types, non_vawg_crime_type,
            police_involvement, risk_level, repeat_referral, children_in_household, victim_age, victim_sex, victim_gender_identity_same_as_sex,
            victim_sexual_orientation, victim_ethnicity, victim_religion, victim_disability, victim_interpreter_required, victim_relationship_to_area,
            victim_residence, victim_vulnerabilities, victim_linkage_slk581_token, perpetrators, support_needs, onward_referrals)
          select '${returnId}', '${quarters[q]}', g, 'R' || g, date '${starts[q]}' + (g % 90),
            ${pick(listCodes(codeLists.referralSource), 'src')},
            case when g % 8 = 0 then 'non_vawg' else 'vawg' end,
            case when g % 8 = 0 then null else array[${pick(listCodes(codeLists.vawgType), 'vt')}] end,
            case when g % 8 = 0 then ${pick(listCodes(codeLists.nonVawgCrimeType), 'nv')} else null end,
            ${pick(listCodes(codeLists.policeInvolvement), 'pol')}, ${pick(listCodes(codeLists.riskLevel), 'risk')},
            g % 6 = 0, g % 4, case when g % 17 = 0 then null else 16 + abs(hashtext(g::text || 'age')) % 60 end,
            case when g % 12 = 0 then 'male' else 'female' end, ${pick(victimCodes('genderIdentitySameAsSex'), 'gi')},
            ${pick(victimCodes('sexualOrientation'), 'so')}, ${pick(victimCodes('ethnicity'), 'eth')}, ${pick(victimCodes('religion'), 'rel')},
            ${pick(victimCodes('disability'), 'dis')}, g % 9 = 0, ${pick(victimCodes('relationshipToArea'), 'rta')}, ${pick(victimCodes('residence'), 'res')},
            case when g % 3 = 0 then array['mental_health','substance_misuse'] else '{}'::text[] end,
            'tok' || (abs(hashtext(g::text || '${s}-${q}')) % ${Math.round(records * 0.6)}),
            jsonb_build_array(jsonb_build_object('relationshipToVictim', ${pick(listCodes(codeLists.relationshipToVictim), 'rtv')}, 'sex', 'male', 'age', 18 + g % 50)),
            array['housing'], '[]'::jsonb
          from generate_series(0, ${perReturn - 1}) g`);
      }
    }
  }
  const insertSeconds = (performance.now() - started) / 1000;

  const indexStart = performance.now();
  await dropped.restore();
  const indexSeconds = (performance.now() - indexStart) / 1000;

  const analyzeStart = performance.now();
  await db.query('vacuum analyze');
  const analyzeSeconds = (performance.now() - analyzeStart) / 1000;
  return { insertSeconds, indexSeconds, analyzeSeconds };
}

/**
 * The baseline's narrow table: only the analytic columns of current records (the period and service
 * from `returns`, the dimensions, the person and record key), one row per current record, with the
 * perpetrators aged 17 or under counted once here rather than by a jsonpath on every query. The same
 * `GROUP BY` over it shows what reading a table no wider than the question costs.
 */
async function createNarrowTable(db: pg.Client) {
  const started = performance.now();
  await db.query(`create table bench_narrow as
    select r.id, ret.period, ret.service_id, r.referral_date, r.referral_source, r.category, r.vawg_types, r.non_vawg_crime_type,
      r.police_involvement, r.risk_level, r.repeat_referral, r.children_in_household, r.victim_age, r.victim_sex,
      r.victim_gender_identity_same_as_sex, r.victim_sexual_orientation, r.victim_ethnicity, r.victim_religion, r.victim_disability,
      r.victim_pregnancy, r.victim_marital_status, r.victim_interpreter_required, r.victim_relationship_to_area, r.victim_residence,
      r.victim_local_authority, r.victim_vulnerabilities, r.victim_linkage_slk581_token, r.person_id, r.record_key,
      jsonb_array_length(jsonb_path_query_array(r.perpetrators, '$[*] ? (@.age <= 17)')) as perpetrators_aged_17_or_under
    from records r join returns ret on ret.id = r.return_id
    where ret.superseded_at is null`);
  await db.query('vacuum analyze bench_narrow');
  return (performance.now() - started) / 1000;
}

export async function benchAggregates({ adminUrl, records, reps, database = 'vawg_bench', progress = () => {} }: AggregateBenchOptions) {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error('the bench database name must be a plain lower-case identifier');
  const url = await createBenchDatabase(adminUrl, database);
  const app = await buildBenchApp(url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();

  const load = await loadSyntheticRecords(db, records);
  progress(`loaded: ${JSON.stringify(load)}`);
  // The records were loaded straight by SQL, past the return workflow that keeps the app's
  // analytic projection: it is filled from them here, before anything is timed.
  const projectionStart = performance.now();
  await rebuildAnalyticProjection(app.db);
  // Vacuumed like the narrow table (visibility map, hint bits), so the endpoint and the baseline read equally settled tables.
  await db.query('vacuum analyze analytic_records');
  const projectionSeconds: number | undefined = (performance.now() - projectionStart) / 1000;
  progress(`projection: ${projectionSeconds.toFixed(1)} s`);
  const narrowSeconds = await createNarrowTable(db);

  const { rows: countRows } = await db.query('select count(*)::int as n from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null');
  const current = countRows[0].n as number;
  const { rows: sizeRows } = await db.query(
    `select pg_database_size(current_database())::float8 as database, (select sum(pg_total_relation_size(relid)) from pg_partition_tree('records'))::float8 as records,
       pg_total_relation_size('bench_narrow')::float8 as narrow, pg_total_relation_size('analytic_records')::float8 as projection`,
  );
  const sizes = {
    databaseBytes: sizeRows[0].database as number,
    recordsBytes: sizeRows[0].records as number,
    narrowBytes: sizeRows[0].narrow as number,
    projectionBytes: sizeRows[0].projection as number,
  };

  const analyst = (
    await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: { authorization: `Bearer ${BENCH_ADMIN_KEY}` },
      payload: { role: 'analyst', label: 'bench' },
    })
  ).json().key as string;
  const inject =
    (path: string, key = BENCH_ADMIN_KEY) =>
    async () => {
      const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key}` } });
      if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    };
  const raw = (query: string) => async () => db.query(query);
  /**
   * Where a baseline reads current records from, and how it names what the wide table keeps
   * elsewhere: the wide `records` joined to `returns` (and `services`, as the app's scope does), or
   * the narrow table alone.
   */
  interface Source {
    from: string;
    period: string;
    service: string;
    perpetratorsAged17OrUnder: string;
  }
  const wide: Source = {
    from: `from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null join services s on s.id = ret.service_id where ret.period like '2022-23-%'`,
    period: 'ret.period',
    service: 'ret.service_id',
    perpetratorsAged17OrUnder: `jsonb_array_length(jsonb_path_query_array(r.perpetrators, '$[*] ? (@.age <= 17)'))`,
  };
  const narrow: Source = {
    from: `from bench_narrow r where r.period like '2022-23-%'`,
    period: 'r.period',
    service: 'r.service_id',
    perpetratorsAged17OrUnder: 'r.perpetrators_aged_17_or_under',
  };
  const ethnicityGroup = `case when r.victim_ethnicity like 'white%' then 'white' when r.victim_ethnicity like 'mixed%' then 'mixed' when r.victim_ethnicity like 'asian%' then 'asian' when r.victim_ethnicity like 'black%' then 'black' else 'other' end`;

  const scenarios: Array<{ name: string; endpoint: () => Promise<unknown>; sql: (source: Source) => string }> = [
    {
      name: 'referrals by quarter (FY)',
      endpoint: inject('/v1/aggregates?groupBy=period&period=2022-23'),
      sql: (t) => `select ${t.period}, count(*) ${t.from} group by 1`,
    },
    {
      name: 'referrals by ethnicityGroup × quarter',
      endpoint: inject('/v1/aggregates?groupBy=ethnicityGroup,period&period=2022-23'),
      sql: (t) => `select ${ethnicityGroup}, ${t.period}, count(*) ${t.from} group by 1, 2`,
    },
    {
      name: 'same, analyst view (disclosure control)',
      endpoint: inject('/v1/aggregates?groupBy=ethnicityGroup,period&period=2022-23', analyst),
      sql: (t) => `select ${ethnicityGroup}, ${t.period}, count(*) ${t.from} group by 1, 2`,
    },
    {
      name: 'referrals by vawgType × riskLevel (multi-valued)',
      endpoint: inject('/v1/aggregates?groupBy=vawgType,riskLevel&period=2022-23'),
      sql: (t) =>
        `select coalesce(v.code, 'none'), r.risk_level, count(*) ${t.from.replace(' where ', ' left join lateral unnest(r.vawg_types) v(code) on true where ')} group by 1, 2`,
    },
    {
      name: 'people by service',
      endpoint: inject('/v1/aggregates?measure=people&groupBy=service&period=2022-23'),
      sql: (t) => `select ${t.service}, count(distinct r.victim_linkage_slk581_token) ${t.from} group by 1`,
    },
    {
      name: 'indicators for the year (31 figures)',
      endpoint: inject('/v1/indicators?period=2022-23'),
      // The same figures as one hand-written statement: counts with filters, distinct people,
      // perpetrators aged 17 or under.
      sql: (t) =>
        `select count(*), count(distinct coalesce(r.victim_linkage_slk581_token, r.id::text)), sum(r.children_in_household),
           sum(${t.perpetratorsAged17OrUnder}),
           ${[
             'r.repeat_referral',
             'r.children_in_household > 0',
             "r.risk_level = 'high'",
             "r.risk_level <> 'not_assessed'",
             "r.victim_ethnicity <> 'white_british'",
             "r.victim_ethnicity not in ('not_known', 'prefer_not_to_say')",
             "r.victim_sexual_orientation in ('gay_lesbian', 'bisexual', 'other') or r.victim_gender_identity_same_as_sex = 'no'",
             "r.victim_sexual_orientation = 'heterosexual' and r.victim_gender_identity_same_as_sex = 'yes'",
             "r.victim_disability = 'yes'",
             "r.victim_disability in ('yes', 'no')",
             "r.victim_sex = 'male'",
             "r.victim_sex in ('male', 'female')",
             "r.category = 'vawg'",
             "r.victim_relationship_to_area = 'resident'",
             "r.victim_relationship_to_area <> 'not_known'",
             'r.victim_interpreter_required',
             'r.victim_interpreter_required is not null',
             "r.referral_source = 'other'",
             'r.victim_age between 16 and 17',
             ...[
               'sex',
               'gender_identity_same_as_sex',
               'sexual_orientation',
               'ethnicity',
               'religion',
               'disability',
               'pregnancy',
               'marital_status',
               'relationship_to_area',
               'residence',
             ].map((c) => `r.victim_${c} = 'not_known'`),
           ]
             .map((condition) => `count(*) filter (where ${condition})`)
             .join(', ')}
         ${t.from}`,
    },
  ];

  const results: Array<{ name: string; endpoint: Timing; wide: Timing; narrow: Timing }> = [];
  for (const scenario of scenarios) {
    const timings = await timeInTurn(reps, {
      endpoint: scenario.endpoint,
      wide: raw(scenario.sql(wide)),
      narrow: raw(scenario.sql(narrow)),
    });
    results.push({ name: scenario.name, ...timings });
    progress(`${scenario.name}: ${JSON.stringify(timings)}`);
  }
  await db.end();
  await app.close();
  return { records: current, database, reps, ...load, projectionSeconds, narrowSeconds, ...sizes, results };
}
