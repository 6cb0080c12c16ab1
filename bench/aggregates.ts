/**
 * Aggregates at scale: loads N synthetic records (default 1,000,000) straight into a fresh
 * PostgreSQL database through SQL, then times typical aggregate and indicator requests through the
 * app next to the equivalent raw SQL `GROUP BY` on the same database, in the same run.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { BENCH_ADMIN_KEY, buildBenchApp, createBenchDatabase } from './bench-app.js';
import { codeLists, listCodes } from '../src/schema/dataset/code-lists.js';
import { acceptedCodes, victimField } from '../src/schema/dataset/fields.js';

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
}

async function time(reps: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

export async function benchAggregates({ adminUrl, records, reps }: AggregateBenchOptions) {
  const url = await createBenchDatabase(adminUrl, 'vawg_bench');
  const app = await buildBenchApp(url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();

  const services = 20;
  const quarters = ['2022-23-Q1', '2022-23-Q2', '2022-23-Q3', '2022-23-Q4'];
  const starts = ['2022-04-01', '2022-07-01', '2022-10-01', '2023-01-01'];
  const perReturn = Math.ceil(records / (services * quarters.length));
  const serviceTypes = listCodes(codeLists.serviceType);

  const loadStart = performance.now();
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
        await db.query(`insert into records (return_id, position, referral_id, referral_date, referral_source, category, vawg_types, non_vawg_crime_type,
            police_involvement, risk_level, repeat_referral, children_in_household, victim_age, victim_sex, victim_gender_identity_same_as_sex,
            victim_sexual_orientation, victim_ethnicity, victim_religion, victim_disability, victim_interpreter_required, victim_relationship_to_area,
            victim_residence, victim_vulnerabilities, victim_linkage_slk581_token, perpetrators, support_needs, onward_referrals)
          select '${returnId}', g, 'R' || g, date '${starts[q]}' + (g % 90),
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
  await db.query('analyze');
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const { rows: countRows } = await db.query('select count(*)::int as n from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null');
  const current = countRows[0].n as number;

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
  const current_ = `from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null join services s on s.id = ret.service_id where ret.period like '2022-23-%'`;
  const ethnicityGroup = `case when r.victim_ethnicity like 'white%' then 'white' when r.victim_ethnicity like 'mixed%' then 'mixed' when r.victim_ethnicity like 'asian%' then 'asian' when r.victim_ethnicity like 'black%' then 'black' else 'other' end`;

  const scenarios: Array<{ name: string; endpoint: () => Promise<unknown>; sql: () => Promise<unknown> }> = [
    {
      name: 'referrals by quarter (FY)',
      endpoint: inject('/v1/aggregates?groupBy=period&period=2022-23'),
      sql: raw(`select ret.period, count(*) ${current_} group by 1`),
    },
    {
      name: 'referrals by ethnicityGroup × quarter',
      endpoint: inject('/v1/aggregates?groupBy=ethnicityGroup,period&period=2022-23'),
      sql: raw(`select ${ethnicityGroup}, ret.period, count(*) ${current_} group by 1, 2`),
    },
    {
      name: 'same, analyst view (disclosure control)',
      endpoint: inject('/v1/aggregates?groupBy=ethnicityGroup,period&period=2022-23', analyst),
      sql: raw(`select ${ethnicityGroup}, ret.period, count(*) ${current_} group by 1, 2`),
    },
    {
      name: 'referrals by vawgType × riskLevel (multi-valued)',
      endpoint: inject('/v1/aggregates?groupBy=vawgType,riskLevel&period=2022-23'),
      sql: raw(
        `select coalesce(v.code, 'none'), r.risk_level, count(*) ${current_.replace('where', 'left join lateral unnest(r.vawg_types) v(code) on true where')} group by 1, 2`,
      ),
    },
    {
      name: 'people by service',
      endpoint: inject('/v1/aggregates?measure=people&groupBy=service&period=2022-23'),
      sql: raw(`select ret.service_id, count(distinct r.victim_linkage_slk581_token) ${current_} group by 1`),
    },
    {
      name: 'indicators for the year (31 figures)',
      endpoint: inject('/v1/indicators?period=2022-23'),
      // The same figures as one hand-written statement: counts with filters, distinct people,
      // perpetrators aged 17 or under.
      sql: raw(
        `select count(*), count(distinct coalesce(r.victim_linkage_slk581_token, r.id::text)), sum(r.children_in_household),
           sum(jsonb_array_length(jsonb_path_query_array(r.perpetrators, '$[*] ? (@.age <= 17)'))),
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
         ${current_}`,
      ),
    },
  ];

  const results: Array<{ name: string; endpointMs: number; sqlMs: number; ratio: number }> = [];
  for (const scenario of scenarios) {
    const sqlMs = await time(reps, scenario.sql);
    const endpointMs = await time(reps, scenario.endpoint);
    results.push({ name: scenario.name, endpointMs, sqlMs, ratio: endpointMs / sqlMs });
  }
  await db.end();
  await app.close();
  return { records: current, loadSeconds, results };
}
