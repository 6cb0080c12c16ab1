/**
 * Linkage at scale (issue 16): N stored, linked records loaded straight through SQL (no app), then
 * a full relink of all of them in a child process (time, peak memory), then one 10,000-record
 * return through the app (time to the 201 and until persons are current), each beside a baseline
 * measured in the same run.
 *
 * The records come from a synthetic population built in SQL: about 1.7 records a person (1 to 4, in
 * different services, spread over the four quarters of 2022-23), birth dates over 70 years, family
 * letters drawn from 4,000 values and given letters from all 676, both falling as 1 / (rank + c)
 * (Zipf-like), 92% female. Each record is the person's key as a service recorded it: 2% a
 * different family name, 3% a letter of the family or given name wrong, 3% no given name, 1% the
 * date a day or a year out, 2% day and month swapped, 1% sex not stated, and 3% of records carry no
 * key at all. The token columns are what services/linkage/tokens.ts derives from that key, computed
 * by PostgreSQL (pgcrypto's HMAC-SHA-256 under the bench app's linkage secret, truncated and
 * base64url-encoded alike), so a key submitted through the app for one of these people gives the
 * very tokens stored for her. `person_id` starts as the true person (the smallest record id of the
 * person's keyed records), so the data is linked before any relink runs.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { codeLists, listCodes, personAnswerCodes } from '../src/schema/dataset/code-lists.js';
import { recordPartitionOf } from '../src/db/record-partitions.js';
import { rebuildAnalyticProjection } from '../src/services/analytics/analytic-projection.js';
import { ATTRIBUTE_NAMES } from '../src/services/linkage/comparison-levels.js';
import { deriveLinkageTokens } from '../src/services/linkage/tokens.js';
import { ATTRIBUTE_DISTRIBUTIONS } from '../test/support/synthetic.js';
import { makeRecord } from '../test/support/records.js';
import { dropRecordIndexes } from './records-indexes.js';
import { BENCH_ADMIN_KEY, createBenchDatabase } from './bench-app.js';

/** The bench app's secret (bench-app.ts): the SQL tokens must be the ones the app would derive. */
export const SCALE_LINKAGE_SECRET = 'bench-linkage-secret-0123456789abcdef';
const SERVICES = 20;
const QUARTERS = ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3', '2022-23-Q4'];
const QUARTER_STARTS = ['2022-04-01', '2022-07-01', '2022-10-01', '2023-01-01'];
const AREA = 'E09000001';
/** The arriving return and its no-key baseline go to quarters nothing stored is in. */
const ARRIVING_PERIOD = '2023-24-Q1';
const NO_KEYS_PERIOD = '2023-24-Q2';
const WARM_UP_PERIOD = '2023-24-Q3';
/** Records a person, 1 to 4: truncated geometric of ratio 0.48, mean 1.70 (as generatePopulation draws them). */
const RECORD_COUNT_CUMULATIVE = [0.549, 0.8127, 0.9393];
const RECORDS_PER_PERSON = 1.7;
const FAMILY_VALUES = 4000;
/** Records are numbered person × 4 + j, so a person's record ids are known without a lookup. */
const ID_STRIDE = 4;
const LOAD_CHUNK_PEOPLE = 500_000;

/** The app as bench-app.ts builds it, with automatic re-estimation off so "persons current" is the return's own linkage job. */
export async function buildScaleApp(databaseUrl: string) {
  const config = await loadConfig({
    DATABASE_URL: databaseUrl,
    VAWG_DATA_DIR: 'memory://',
    VAWG_LINKAGE_SECRET: SCALE_LINKAGE_SECRET,
    VAWG_BOOTSTRAP_ADMIN_KEY: BENCH_ADMIN_KEY,
    VAWG_LINKAGE_REESTIMATE: 'off',
    LOG_LEVEL: 'silent',
  });
  const app = await buildApp({ ...config, port: 0 });
  await app.ready();
  return app;
}

/** A uniform draw in [0, 1) from a text seed (PostgreSQL's hashtext: stable, no state). */
const u = (seed: string) => `((hashtext(${seed})::float8 + 2147483648) / 4294967296)`;
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** A value drawn from shares (ATTRIBUTE_DISTRIBUTIONS), 'not_known' for the rest, as drawValue does. */
function drawSql(distribution: ReadonlyArray<readonly [string, number]>, roll: string): string {
  let cumulative = 0;
  const branches = distribution.map(([value, share]) => `when ${roll} < ${(cumulative += share).toFixed(6)} then ${literal(value)}`);
  return `case ${branches.join(' ')} else 'not_known' end`;
}

/** A uniform pick from a list (an attribute recorded wrongly: another value, or by chance the same). */
function pickSql(values: readonly string[], roll: string): string {
  return `(array[${values.map(literal).join(',')}])[1 + floor(${roll} * ${values.length})::int]`;
}

/** Family letters: a Zipf-like rank over FAMILY_VALUES, spread over all 3-letter codes by a bijection. */
const familyCode = (roll: string) => `((least(${FAMILY_VALUES - 1}, floor(10 * power(${(FAMILY_VALUES + 10) / 10}, ${roll}) - 10))::int * 7919 + 13) % 17576)`;
const givenCode = (roll: string) => `((least(675, floor(6 * power(${682 / 6}, ${roll}) - 6))::int * 97 + 5) % 676)`;
/** One letter of a 3-letter (base 26) code replaced by another. */
const familyTypo = (code: string, pos: string, delta: string) =>
  `case ${pos} when 0 then ((${code} / 676 + ${delta}) % 26) * 676 + ${code} % 676 when 1 then (${code} / 676) * 676 + (((${code} / 26) % 26 + ${delta}) % 26) * 26 + ${code} % 26 else (${code} / 26) * 26 + (${code} % 26 + ${delta}) % 26 end`;
const givenTypo = (code: string, pos: string, delta: string) =>
  `case ${pos} when 0 then ((${code} / 26 + ${delta}) % 26) * 26 + ${code} % 26 else (${code} / 26) * 26 + (${code} % 26 + ${delta}) % 26 end`;

const ATTRIBUTE_COLUMNS = {
  ethnicity: 'victim_ethnicity',
  religion: 'victim_religion',
  sexualOrientation: 'victim_sexual_orientation',
  disability: 'victim_disability',
} as const;
type SyntheticAttribute = keyof typeof ATTRIBUTE_COLUMNS;

/**
 * The recorded components of records: `people` is a FROM item giving `p` (person numbers),
 * `recordsOf` a FROM item over `a` giving `j` (the person's record numbers). Columns: p, j, id,
 * fam (code, never missing), giv (code, null when not recorded), birth (date), sex ('1', '2', '3',
 * '9'), keyed, ret (return index 0..79), person (the true person's record id), one per attribute.
 */
function recordedSql(people: string, recordsOf: string): string {
  const pj = `(a.p::text || ':' || j::text)`;
  const attributes = (Object.keys(ATTRIBUTE_COLUMNS) as SyntheticAttribute[])
    .map((name) => {
      const values = ATTRIBUTE_DISTRIBUTIONS[name].map(([v]) => v);
      return `case when a.${name} = 'not_known' or ${u(`${pj} || ':${name}-nk'`)} < 0.15 then 'not_known'
        when ${u(`${pj} || ':${name}-w'`)} < 0.03 then ${pickSql(values, u(`${pj} || ':${name}-v'`))} else a.${name} end as ${name}`;
    })
    .join(',\n      ');
  const keyedRoll = (j: string) => u(`a.p::text || ':' || ${j}::text || ':nk'`);
  return `select b.p, b.j, b.p * ${ID_STRIDE} + b.j as id, b.keyed, b.ret, b.person, b.sex,
      case when b.fam_typo then ${familyTypo('b.fam1', 'b.fam_pos', 'b.fam_delta')} else b.fam1 end as fam,
      case when b.giv_missing then null when b.giv_typo then ${givenTypo('b.giv0', 'b.giv_pos', 'b.giv_delta')} else b.giv0 end as giv,
      case when b.swap and extract(day from b.birth1) <= 12 and extract(day from b.birth1) <> extract(month from b.birth1)
        then make_date(extract(year from b.birth1)::int, extract(day from b.birth1)::int, extract(month from b.birth1)::int) else b.birth1 end as birth,
      ${(Object.keys(ATTRIBUTE_COLUMNS) as SyntheticAttribute[]).map((n) => `b.${n}`).join(', ')}
    from (
      select a.p, j,
        ${keyedRoll('j')} >= 0.03 as keyed,
        floor(4 * ${u(`${pj} || ':q'`)})::int * ${SERVICES} + (a.service + 7 * j) % ${SERVICES} as ret,
        a.p * ${ID_STRIDE} + fk.first_keyed as person,
        case when ${u(`${pj} || ':sx'`)} < 0.01 then '9' else a.sex end as sex,
        case when ${u(`${pj} || ':fc'`)} < 0.02 then ${familyCode(u(`${pj} || ':fn'`))} else a.fam end as fam1,
        ${u(`${pj} || ':ft'`)} < 0.03 as fam_typo, floor(3 * ${u(`${pj} || ':fp'`)})::int as fam_pos, 1 + floor(25 * ${u(`${pj} || ':fd'`)})::int as fam_delta,
        a.giv as giv0,
        ${u(`${pj} || ':gt'`)} < 0.03 as giv_typo, floor(2 * ${u(`${pj} || ':gp'`)})::int as giv_pos, 1 + floor(25 * ${u(`${pj} || ':gd'`)})::int as giv_delta,
        ${u(`${pj} || ':gm'`)} < 0.03 as giv_missing,
        case when ${u(`${pj} || ':do'`)} >= 0.01 then a.birth
          when ${u(`${pj} || ':dk'`)} < 0.5 then a.birth + case when ${u(`${pj} || ':ds'`)} < 0.5 then -1 else 1 end
          else (a.birth + case when ${u(`${pj} || ':ds'`)} < 0.5 then interval '-1 year' else interval '1 year' end)::date end as birth1,
        ${u(`${pj} || ':sw'`)} < 0.02 as swap,
      ${attributes}
      from (
        select p,
          ${familyCode(u(`p::text || ':f'`))} as fam,
          ${givenCode(u(`p::text || ':g'`))} as giv,
          date '1940-01-01' + floor(25567 * ${u(`p::text || ':b'`)})::int as birth,
          case when ${u(`p::text || ':x'`)} < 0.92 then '2' when ${u(`p::text || ':x'`)} < 0.995 then '1' else '3' end as sex,
          case when ${u(`p::text || ':k'`)} < ${RECORD_COUNT_CUMULATIVE[0]} then 1 when ${u(`p::text || ':k'`)} < ${RECORD_COUNT_CUMULATIVE[1]} then 2
            when ${u(`p::text || ':k'`)} < ${RECORD_COUNT_CUMULATIVE[2]} then 3 else 4 end as k,
          floor(${SERVICES} * ${u(`p::text || ':s'`)})::int as service,
          ${(Object.keys(ATTRIBUTE_COLUMNS) as SyntheticAttribute[]).map((n) => `${drawSql(ATTRIBUTE_DISTRIBUTIONS[n], u(`p::text || ':${n}'`))} as ${n}`).join(',\n          ')}
        from ${people}
      ) a
      cross join lateral ${recordsOf}
      cross join lateral (select min(jj) as first_keyed from generate_series(0, a.k - 1) jj where ${keyedRoll('jj')} >= 0.03) fk
    ) b`;
}

/** The 14-character key as a provider's SLK-581, from codes. */
const letters3 = (code: string) => `chr(65 + ${code} / 676) || chr(65 + (${code} / 26) % 26) || chr(65 + ${code} % 26)`;
const letters2 = (code: string) => `chr(65 + ${code} / 26) || chr(65 + ${code} % 26)`;

/** pgcrypto's HMAC-SHA-256, as tokens.ts encodes it (base64url, no padding; component tokens truncated to 16 bytes). */
async function createTokenFunctions(db: pg.Client) {
  await db.query('create extension if not exists pgcrypto');
  const secret = literal(SCALE_LINKAGE_SECRET);
  await db.query(`create or replace function bench_component(purpose text, value text) returns text language sql immutable parallel safe as
    $$ select rtrim(translate(encode(substring(hmac(purpose || ':' || value, ${secret}, 'sha256') from 1 for 16), 'base64'), '+/', '-_'), '=') $$`);
  await db.query(`create or replace function bench_key(slk text) returns text language sql immutable parallel safe as
    $$ select rtrim(translate(encode(hmac('slk581:' || upper(slk), ${secret}, 'sha256'), 'base64'), '+/', '-_'), '=') $$`);
  // Every value a component can take, tokenised once: records join these rather than hashing per row.
  await db.query(`create unlogged table bench_family as select code, fam, bench_component('family', fam) as tok,
      array[bench_component('family-partial', '_' || substr(fam, 2)), bench_component('family-partial', substr(fam, 1, 1) || '_' || substr(fam, 3)),
        bench_component('family-partial', substr(fam, 1, 2) || '_')] as partial
    from (select code, ${letters3('code')} as fam from generate_series(0, 17575) code) s`);
  await db.query(`create unlogged table bench_given as select code, giv, bench_component('given', giv) as tok,
      array[bench_component('given-partial', '_' || substr(giv, 2)), bench_component('given-partial', substr(giv, 1, 1) || '_')] as partial
    from (select code, ${letters2('code')} as giv from generate_series(0, 675) code) s`);
  await db.query(`create unlogged table bench_date as select d, to_char(d, 'DDMMYYYY') as ddmmyyyy,
      bench_component('birth-date', to_char(d, 'DDMMYYYY')) as tok,
      case when extract(day from d) <> extract(month from d) and extract(day from d) <= 12 then bench_component('birth-date', to_char(d, 'MMDDYYYY')) end as swapped,
      bench_component('birth-year', to_char(d, 'YYYY')) as year_tok, bench_component('birth-month-year', to_char(d, 'MMYYYY')) as month_year_tok,
      bench_component('birth-day-month', to_char(d, 'DDMM')) as day_month_tok
    from generate_series(date '1938-12-01', date '2011-02-01', interval '1 day') g, lateral (select g::date as d) x`);
  await db.query(`create unlogged table bench_sex as select code, bench_component('sex', code) as tok from unnest(array['1', '2', '3']) code`);
  for (const t of ['bench_family', 'bench_given', 'bench_date', 'bench_sex']) await db.query(`analyze ${t}`);
}

export interface ScaleLoad {
  /** People generated (some have no keyed record, so fewer persons are stored). */
  syntheticPeople: number;
  records: number;
  keyedRecords: number;
  people: number;
  insertSeconds: number;
  indexSeconds: number;
  analyzeSeconds: number;
  projectionSeconds: number;
  frequencySeconds: number;
  indexes: string[];
  databaseBytes: number;
  recordsBytes: number;
}

/**
 * Loads about `records` records (20 services × 4 quarters, one version each) with the secondary
 * indexes and constraints of `records` dropped and rebuilt from their own definitions (pg_indexes,
 * pg_constraint: whatever the migrations made), then `vacuum analyze`, the analytic projection and
 * the term frequencies (as rebuildFrequencies would leave them, counted by SQL).
 */
export async function loadLinkedRecords(
  db: pg.Client,
  appDb: Parameters<typeof rebuildAnalyticProjection>[0],
  records: number,
  progress: (line: string) => void,
) {
  const people = Math.max(1, Math.round(records / RECORDS_PER_PERSON));
  await db.query(`set maintenance_work_mem = '2GB'`);
  await db.query(`set work_mem = '256MB'`);
  // JIT compiling the generator's expressions took 17 s of an 18 s statement at 2,000 records.
  await db.query('set jit = off');
  await createTokenFunctions(db);
  const serviceTypes = listCodes(codeLists.serviceType);
  await db.query('create unlogged table bench_return (idx int primary key, id uuid not null, start date not null, period text not null)');
  for (let s = 0; s < SERVICES; s++) {
    await db.query(`insert into services (id, name, service_type, area) values ($1, $1, $2, $3)`, [`svc-${s}`, serviceTypes[s % serviceTypes.length], AREA]);
    for (let q = 0; q < QUARTERS.length; q++) {
      const { rows } = await db.query(
        `insert into returns (service_id, period, version, dataset_version, record_count) values ($1, $2, 1, '1.0.0', 0) returning id`,
        [`svc-${s}`, QUARTERS[q]],
      );
      await db.query('insert into bench_return values ($1, $2, $3, $4)', [q * SERVICES + s, rows[0].id, QUARTER_STARTS[q], QUARTERS[q]]);
    }
  }

  const dropped = await dropRecordIndexes(db);

  // The year's partition, as the submit path makes it before a return's records (db/record-partitions.ts).
  const partition = recordPartitionOf(QUARTERS[0]!)!;
  await db.query(`create table if not exists "${partition.name}" partition of records for values from ('${partition.from}') to ('${partition.to}')`);

  const pick = (list: readonly string[], salt: string) => pickSql(list, u(`x.id::text || '${salt}'`));
  const started = performance.now();
  for (let lo = 1; lo <= people; lo += LOAD_CHUNK_PEOPLE) {
    const hi = Math.min(people, lo + LOAD_CHUNK_PEOPLE - 1);
    const insertSql = `insert into records (id, return_id, period, position, referral_id, referral_date, referral_source, category, vawg_types, non_vawg_crime_type,
        police_involvement, risk_level, repeat_referral, children_in_household, victim_age, victim_sex, victim_ethnicity, victim_religion,
        victim_sexual_orientation, victim_disability, victim_linkage_slk581_token, linkage_family, linkage_family_partial, linkage_given,
        linkage_given_partial, linkage_birth_date, linkage_birth_date_swapped, linkage_birth_year, linkage_birth_month_year, linkage_birth_day_month,
        linkage_sex, person_id, perpetrators, onward_referrals)
      select x.id, rt.id, rt.period, x.p, 'R' || x.id, rt.start + (x.id % 90)::int,
        ${pick(listCodes(codeLists.referralSource), 'src')},
        case when x.id % 8 = 0 then 'non_vawg' else 'vawg' end,
        case when x.id % 8 = 0 then null else array[${pick(listCodes(codeLists.vawgType), 'vt')}] end,
        case when x.id % 8 = 0 then ${pick(listCodes(codeLists.nonVawgCrimeType), 'nv')} else null end,
        ${pick(listCodes(codeLists.policeInvolvement), 'pol')}, ${pick(listCodes(codeLists.riskLevel), 'risk')},
        x.id % 6 = 0, (x.id % 4)::int, least(99, greatest(0, 2022 - extract(year from x.birth)::int)),
        case x.sex when '1' then 'male' when '2' then 'female' else 'not_known' end,
        x.ethnicity, x.religion, x.sexualOrientation, x.disability,
        case when x.keyed then bench_key(f.fam || coalesce(gv.giv, '99') || dt.ddmmyyyy || x.sex) end,
        case when x.keyed then f.tok end, case when x.keyed then f.partial end,
        case when x.keyed then gv.tok end, case when x.keyed then coalesce(gv.partial, '{}') end,
        case when x.keyed then dt.tok end, case when x.keyed then dt.swapped end, case when x.keyed then dt.year_tok end,
        case when x.keyed then dt.month_year_tok end, case when x.keyed then dt.day_month_tok end,
        case when x.keyed then sx.tok end,
        case when x.keyed then x.person end,
        '[]'::jsonb, '[]'::jsonb
      from (${recordedSql(`generate_series(${lo}, ${hi}) p`, '(select generate_series(0, a.k - 1) as j) js')}) x
      join bench_return rt on rt.idx = x.ret
      join bench_family f on f.code = x.fam
      left join bench_given gv on gv.code = x.giv
      join bench_date dt on dt.d = x.birth
      left join bench_sex sx on sx.code = x.sex`;
    await db.query(insertSql);
    progress(`  loaded people ${lo.toLocaleString('en-GB')}–${hi.toLocaleString('en-GB')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  await db.query(`select setval(pg_get_serial_sequence('records', 'id'), (select max(id) from records))`);
  await db.query(`update returns ret set record_count = c.n from (select return_id, count(*)::int as n from records group by 1) c where c.return_id = ret.id`);
  const insertSeconds = (performance.now() - started) / 1000;

  const indexStart = performance.now();
  await dropped.restore();
  const indexSeconds = (performance.now() - indexStart) / 1000;
  progress(`  indexes (${dropped.indexes.length} + ${dropped.constraints.length} constraints) in ${indexSeconds.toFixed(1)} s`);

  const analyzeStart = performance.now();
  await db.query('vacuum analyze');
  const analyzeSeconds = (performance.now() - analyzeStart) / 1000;

  const projectionStart = performance.now();
  await rebuildAnalyticProjection(appDb);
  await db.query('vacuum analyze analytic_records');
  const projectionSeconds = (performance.now() - projectionStart) / 1000;

  await db.query('reset jit');
  const frequencyStart = performance.now();
  await db.query(`delete from linkage_frequencies where subject = 'victim'`);
  await db.query(`insert into linkage_frequencies (subject, comparison, value, holders) ${frequenciesSql()}`);
  const frequencySeconds = (performance.now() - frequencyStart) / 1000;

  const { rows: counts } = await db.query(
    `select count(*)::int as records, count(victim_linkage_slk581_token)::int as keyed, count(distinct person_id)::int as people,
       pg_database_size(current_database())::float8 as database_bytes, (select sum(pg_total_relation_size(relid)) from pg_partition_tree('records'))::float8 as records_bytes from records`,
  );
  return {
    syntheticPeople: people,
    records: counts[0].records as number,
    keyedRecords: counts[0].keyed as number,
    people: counts[0].people as number,
    insertSeconds,
    indexSeconds,
    analyzeSeconds,
    projectionSeconds,
    frequencySeconds,
    indexes: dropped.indexes.map((i) => i.name),
    databaseBytes: counts[0].database_bytes as number,
    recordsBytes: counts[0].records_bytes as number,
  } satisfies ScaleLoad;
}

/**
 * The rows rebuildFrequencies writes for the victims' records (frequency-table.ts rowsOf): per
 * comparison the count of each value and its total (value ''), and the records counted ('*').
 * Over what relink.ts links: current victims' records with a key, a birth date and a birth year;
 * attributes not known or not said count as missing.
 */
function frequenciesSql(subject = 'victim'): string {
  const unknown = personAnswerCodes.map((c) => literal(c.code)).join(', ');
  const known = (column: string) => `case when ${column} in (${unknown}) then null else ${column} end`;
  const columns: Record<string, string> = {
    family: 'r.linkage_family',
    given: 'r.linkage_given',
    birthDate: 'r.linkage_birth_date',
    ethnicity: known('r.victim_ethnicity'),
    religion: known('r.victim_religion'),
    sexualOrientation: known('r.victim_sexual_orientation'),
    disability: known('r.victim_disability'),
    serviceArea: 's.area',
  };
  for (const name of ATTRIBUTE_NAMES) if (!(name in columns)) throw new Error(`no column for the linkage attribute ${name}`);
  const from = `from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null join services s on s.id = ret.service_id`;
  const where = `where r.victim_linkage_slk581_token is not null and (r.subject is null or r.subject = 'victim')
    and r.linkage_birth_date is not null and r.linkage_birth_year is not null`;
  const values = Object.entries(columns)
    .map(([name, column]) => `(${literal(name)}, ${column})`)
    .join(', ');
  return `select ${literal(subject)}, x.comparison, coalesce(x.value, ''), count(x.value)::int
      ${from} cross join lateral (values ${values}) x(comparison, value) ${where}
      group by grouping sets ((x.comparison, x.value), (x.comparison)) having grouping(x.value) = 1 or x.value is not null
    union all select ${literal(subject)}, '*', '', count(*)::int ${from} ${where}`;
}

/** Stored records' keys rebuilt in JS from the same components, tokenised by tokens.ts, against their columns. */
async function checkTokens(db: pg.Client, sample = 200): Promise<number> {
  await db.query('set jit = off');
  const { rows } = await db.query(
    `select x.id, ${letters3('x.fam')} || coalesce(${letters2('x.giv')}, '99') || to_char(x.birth, 'DDMMYYYY') || x.sex as slk,
       r.victim_linkage_slk581_token as key, r.linkage_family as family, r.linkage_family_partial as family_partial, r.linkage_given as given,
       r.linkage_given_partial as given_partial, r.linkage_birth_date as birth_date, r.linkage_birth_date_swapped as birth_date_swapped,
       r.linkage_birth_year as birth_year, r.linkage_birth_month_year as birth_month_year, r.linkage_birth_day_month as birth_day_month, r.linkage_sex as sex
     from (${recordedSql(`(select distinct id / ${ID_STRIDE} as p from records where victim_linkage_slk581_token is not null order by 1 limit ${sample}) p`, '(select generate_series(0, a.k - 1) as j) js')}) x
     join records r on r.id = x.id where x.keyed`,
  );
  await db.query('reset jit');
  let wrong = 0;
  for (const row of rows) {
    const t = deriveLinkageTokens(row.slk as string, SCALE_LINKAGE_SECRET);
    const expected = t && [
      t.key,
      t.family,
      t.familyPartial,
      t.given,
      t.givenPartial,
      t.birthDate,
      t.birthDateSwapped,
      t.birthYear,
      t.birthMonthYear,
      t.birthDayMonth,
      t.sex,
    ];
    const stored = [
      row.key,
      row.family,
      row.family_partial,
      row.given,
      row.given_partial,
      row.birth_date,
      row.birth_date_swapped,
      row.birth_year,
      row.birth_month_year,
      row.birth_day_month,
      row.sex,
    ];
    if (JSON.stringify(expected) !== JSON.stringify(stored)) wrong++;
  }
  if (rows.length === 0) throw new Error('token check: no keyed records');
  if (wrong) throw new Error(`token check: ${wrong} of ${rows.length} stored records do not carry the tokens tokens.ts derives from their key`);
  return rows.length;
}

export interface RelinkRun {
  estimate: boolean;
  seconds: number;
  result: Record<string, unknown> | null;
  error: string | null;
  maxRssMiB: number;
  peakHeapMiB: number;
  maxOldSpaceMiB: number;
  /** What the child was doing, second by second, as the server saw it. */
  phases: Array<{ phase: string; fromS: number; toS: number }>;
}

/**
 * `POST /v1/linkage/relink` in a child process (bench/linkage-scale-relink.ts), so its peak
 * resident memory is its own (`process.resourceUsage().maxRSS`), beside the largest heap sampled.
 */
async function relinkInChild(url: string, estimate: boolean, maxOldSpaceMiB: number, progress: (line: string) => void): Promise<RelinkRun> {
  const script = fileURLToPath(new URL('./linkage-scale-relink.ts', import.meta.url));
  const child = spawn(process.execPath, [`--max-old-space-size=${maxOldSpaceMiB}`, '--import', 'tsx', script, url, String(estimate)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line.trim()) progress(`    [relink child] ${line.slice(0, 300)}`);
  });
  const start = performance.now();
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  // Where the time goes, seen from the server: the child's statement (or its transaction idle
  // while JavaScript matches) every second, consecutive samples of one kind merged.
  const phases: Array<{ phase: string; fromS: number; toS: number }> = [];
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  let done = false;
  void closed.then(() => (done = true));
  while (!done) {
    const { rows } = await watcher.query<{ state: string; head: string }>(
      `select state, regexp_replace(left(query, 48), '\\s+', ' ', 'g') as head from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and state <> 'idle' and xact_start is not null
         order by xact_start limit 1`,
    );
    const at = (performance.now() - start) / 1000;
    const phase = rows[0] ? (rows[0].state === 'active' ? rows[0].head : 'JavaScript (transaction idle)') : 'no transaction';
    const last = phases[phases.length - 1];
    if (last && last.phase === phase) last.toS = at;
    else {
      phases.push({ phase, fromS: at, toS: at });
      progress(`    [relink phase] ${at.toFixed(0)} s: ${phase}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await watcher.end();
  const code = await closed;
  const wall = (performance.now() - start) / 1000;
  const last = out.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(last) as Omit<RelinkRun, 'estimate' | 'maxOldSpaceMiB' | 'phases'>;
    return { estimate, maxOldSpaceMiB, phases, ...parsed };
  } catch {
    return {
      estimate,
      maxOldSpaceMiB,
      phases,
      seconds: wall,
      result: null,
      error: `child exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ').slice(0, 600)}`,
      maxRssMiB: NaN,
      peakHeapMiB: NaN,
    };
  }
}

export interface ArrivalRun {
  step: string;
  records: number;
  seconds: number;
  currentSeconds: number;
  job: { records: number; seeds: number; timings: Record<string, number>; personsWritten?: number; linksWritten?: number } | null;
}

export interface LinkageScaleOptions {
  adminUrl: string;
  records: number;
  database?: string;
  /** Which full relinks to run: none, plain (no estimate), estimate, both (plain first). */
  relink?: 'none' | 'plain' | 'estimate' | 'both';
  maxOldSpaceMiB?: number;
  arrivingRecords?: number;
  keepDatabase?: boolean;
  progress?: (line: string) => void;
}

export async function benchLinkageScale({
  adminUrl,
  records,
  database = 'vawg_bench_linkage_scale',
  relink = 'both',
  maxOldSpaceMiB = 16384,
  arrivingRecords = 10_000,
  keepDatabase = false,
  progress = () => {},
}: LinkageScaleOptions) {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new Error('the bench database name must be a plain lower-case identifier');
  const url = await createBenchDatabase(adminUrl, database);
  const app = await buildScaleApp(url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const stamp = () => new Date().toISOString().slice(11, 19);
  const say = (line: string) => progress(`${stamp()} ${line}`);
  try {
    say(`loading ${records.toLocaleString('en-GB')} records into ${database}`);
    const load = await loadLinkedRecords(db, app.db, records, say);
    say(`loaded: ${JSON.stringify(load)}`);
    const tokensChecked = await checkTokens(db);
    say(`token check: ${tokensChecked} stored records carry exactly the tokens tokens.ts derives from their keys`);

    // Baseline for the relink: one pass of plain SQL over the same rows, grouping on two blocking keys.
    const baselineStart = performance.now();
    const { rows: baselineRows } = await db.query(
      `select count(*)::int as n, count(distinct r.linkage_birth_date || r.linkage_family)::int as date_family,
         count(distinct r.linkage_birth_date || r.linkage_given)::int as date_given
       from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null join services s on s.id = ret.service_id
       where r.victim_linkage_slk581_token is not null and (r.subject is null or r.subject = 'victim')`,
    );
    const baselineSeconds = (performance.now() - baselineStart) / 1000;
    say(`relink baseline (SQL count distinct over the blocking keys): ${baselineSeconds.toFixed(2)} s ${JSON.stringify(baselineRows[0])}`);

    // The app holds no connection the relink waits for; closed so the child's pool has the server to itself.
    await app.close();
    const relinks: RelinkRun[] = [];
    const plan = relink === 'both' ? [false, true] : relink === 'plain' ? [false] : relink === 'estimate' ? [true] : [];
    let frequencyCheck: { rows: number; differing: number } | null = null;
    for (const estimate of plan) {
      say(`full relink (estimate ${estimate}) in a child process, --max-old-space-size=${maxOldSpaceMiB}`);
      const run = await relinkInChild(url, estimate, maxOldSpaceMiB, say);
      relinks.push(run);
      say(`full relink: ${JSON.stringify(run)}`);
      if (run.error === null && frequencyCheck === null) {
        // relinkAll rebuilt the counts in JS: the loader's SQL must give the same rows.
        const { rows } = await db.query(
          `select (select count(*)::int from linkage_frequencies where subject = 'victim') as rows,
             (select count(*)::int from ((${frequenciesSql()}) except (select subject, comparison, value, holders from linkage_frequencies where subject = 'victim')) d) as differing`,
        );
        frequencyCheck = rows[0] as { rows: number; differing: number };
        say(`frequency check: ${JSON.stringify(frequencyCheck)}`);
      }
      await db.query('vacuum analyze records');
    }
    const { rows: linkedRows } = await db.query(
      'select count(distinct person_id)::int as persons, (select count(*)::int from person_links) as links from records',
    );
    // The return after the relinks, onto persons with their links (until 2026-12-04 it came first,
    // and its job wrote links for every linked pair of its neighbourhood, which the loader does
    // not write). With no relink, onto the loader's persons without links, as before.
    const arrivingApp = await buildScaleApp(url);
    const arrivals = await arrive(arrivingApp, db, load.syntheticPeople, arrivingRecords, say).finally(() => arrivingApp.close());

    const { rows: sizeRows } = await db.query(`select pg_database_size(current_database())::float8 as bytes`);
    return {
      database,
      load,
      tokensChecked,
      baseline: { seconds: baselineSeconds, ...(baselineRows[0] as { n: number; date_family: number; date_given: number }) },
      relinks,
      frequencyCheck,
      persons: linkedRows[0].persons as number,
      links: linkedRows[0].links as number,
      arrivals,
      databaseBytesAtEnd: sizeRows[0].bytes as number,
    };
  } finally {
    await db.end();
    await app.close().catch(() => {});
    if (!keepDatabase) {
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${database} with (force)`);
      await cleanup.end();
    }
  }
}

/**
 * One return of `count` records through the app: half of them new records of stored people (a
 * fresh record of each, its key recorded with the same error rates), half of new people; then the
 * same records without keys into another quarter (the baseline: validation and insert, nothing to
 * link). A 500-record return without keys warms the app up first.
 */
async function arrive(app: Awaited<ReturnType<typeof buildScaleApp>>, db: pg.Client, people: number, count: number, say: (line: string) => void) {
  const headers = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };
  const jsonHeaders = { ...headers, 'content-type': 'application/json' };
  for (const [id, serviceType] of [
    ['bench-arriving', 'idva'],
    ['bench-no-keys', 'other'],
    ['bench-warm-up', 'other'],
  ] as const) {
    const res = await app.inject({ method: 'POST', url: '/v1/services', headers, payload: { id, name: id, serviceType, area: AREA } });
    if (res.statusCode !== 201) throw new Error(`registering ${id}: ${res.statusCode} ${res.body.slice(0, 300)}`);
  }
  // Stored people spread over the population (every k-th), then people never stored (numbers above it).
  const known = Math.floor(count / 2);
  const step = Math.max(1, Math.floor(people / known));
  const chosen = [...Array.from({ length: known }, (_, i) => 1 + i * step), ...Array.from({ length: count - known }, (_, i) => people + 1 + i)];
  await db.query('set jit = off');
  const { rows } = await db.query(
    `select x.p, ${letters3('x.fam')} || coalesce(${letters2('x.giv')}, '99') || to_char(x.birth, 'DDMMYYYY') || x.sex as slk,
       x.sex, x.ethnicity, x.religion, x.sexualorientation as sexual_orientation, x.disability
     from (${recordedSql('unnest($1::int[]) p', '(select 9 as j) js')}) x order by x.p`,
    [chosen],
  );
  await db.query('reset jit');
  const build = (r: (typeof rows)[number], i: number, period: string, withKey: boolean) => {
    const record = makeRecord(i, period);
    const victim: Record<string, unknown> = {
      ...(record.victim as Record<string, unknown>),
      sex: r.sex === '1' ? 'male' : r.sex === '2' ? 'female' : 'not_known',
      ethnicity: r.ethnicity,
      religion: r.religion,
      sexualOrientation: r.sexual_orientation,
      disability: r.disability,
    };
    if (withKey) victim.linkage = { slk581: r.slk };
    return { ...record, victim };
  };
  const withKeys = rows.map((r, i) => build(r, i, ARRIVING_PERIOD, true));
  const withoutKeys = rows.map((r, i) => build(r, i, NO_KEYS_PERIOD, false));
  const runs: ArrivalRun[] = [];
  const submit = async (step: string, service: string, period: string, body: unknown[]) => {
    const payload = JSON.stringify({ service, period, records: body });
    const start = performance.now();
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: jsonHeaders, payload });
    const seconds = (performance.now() - start) / 1000;
    if (res.statusCode !== 201) throw new Error(`submitting a return: ${res.statusCode} ${res.body.slice(0, 500)}`);
    const summary = res.json() as { id: string };
    await app.linkage.drain();
    const currentSeconds = (performance.now() - start) / 1000;
    const job = await db.query("select result from jobs where kind = 'linkage' and payload->>'returnId' = $1", [summary.id]);
    const { rows: unlinked } = await db.query(
      'select count(*)::int as n from records where return_id = $1 and victim_linkage_slk581_token is not null and person_id is null',
      [summary.id],
    );
    if (unlinked[0].n !== 0) throw new Error(`${unlinked[0].n} records of return ${summary.id} were not linked`);
    // As relink.ts's bench does: autovacuum is off on this server, and statistics matter to the next queries. Not timed.
    await db.query('analyze');
    const run = { step, records: body.length, seconds, currentSeconds, job: (job.rows[0]?.result ?? null) as ArrivalRun['job'] };
    say(`  ${step}: 201 in ${seconds.toFixed(2)} s, persons current in ${currentSeconds.toFixed(2)} s, job ${JSON.stringify(run.job)}`);
    runs.push(run);
  };
  await submit(
    'warm-up (not reported)',
    'bench-warm-up',
    WARM_UP_PERIOD,
    Array.from({ length: 500 }, (_, i) => makeRecord(i, WARM_UP_PERIOD)),
  );
  runs.length = 0;
  await submit('return with linkage keys', 'bench-arriving', ARRIVING_PERIOD, withKeys);
  await submit('baseline: the same records without linkage keys (another quarter)', 'bench-no-keys', NO_KEYS_PERIOD, withoutKeys);
  const { rows: joined } = await db.query(
    `select count(*)::int as n from records r join returns ret on ret.id = r.return_id where ret.service_id = 'bench-arriving'
       and r.person_id is not null and exists (select 1 from records o where o.person_id = r.person_id and o.return_id <> r.return_id)`,
  );
  say(`  arriving records now in a person with stored records: ${joined[0].n} of ${withKeys.length} (${known} are of stored people)`);
  return { runs, knownPeople: known, joinedStored: joined[0].n as number };
}
