/**
 * Linkage as returns arrive, end to end on PostgreSQL: a synthetic population (known identities,
 * default recording errors) is split into one quarterly return per service and submitted through
 * the app one return at a time (`POST /v1/returns`: validation and the insert transaction before the
 * response, then the linkage job for the return's neighbourhood, whose end is waited for and timed
 * apart: the time to the 201 and the time until persons are current). Then one return is
 * resubmitted (version 2 supersedes version 1) and every current record is relinked with a freshly
 * estimated model (`POST /v1/linkage/relink` with `estimate: true`). People are counted through
 * `GET /v1/indicators` after each stage and compared with the true number of people and with an
 * exact-key count; persons are read back from the database to score them pairwise.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { BENCH_ADMIN_KEY, buildBenchApp, createBenchDatabase } from './bench-app.js';
import { generatePopulation } from '../test/support/synthetic.js';
import { makeRecord, makeSyntheticRecord } from '../test/support/records.js';
import { measureAccuracy, type Accuracy } from '../test/support/linkage-accuracy.js';

const DATABASE = 'vawg_bench_relink';
const PERIOD = '2022-23-Q1';
/** The return without linkage keys goes to another quarter, so it leaves the people counted in PERIOD alone. */
const NO_KEYS_PERIOD = '2022-23-Q2';
const WARM_UP_PERIOD = '2022-23-Q3';
const SERVICE_TYPES = [
  'vva',
  'idva',
  'marac',
  'isva',
  'refuge',
  'sanctuary_scheme',
  'housing',
  'police',
  'helpline',
  'advocacy_counselling',
  'mental_health',
] as const;

export interface RelinkBenchOptions {
  adminUrl: string;
  /** Records in the population (about; the generator draws 1 to 4 records a person, 1.7 on average). */
  records: number;
  seed?: number;
}

export interface RelinkStep {
  step: string;
  records: number;
  /** Until the response (the 201 for a return). */
  seconds: number;
  /** For a return: from the request until linkage has brought persons current for it. */
  currentSeconds?: number;
}

export interface PeopleCount {
  people: number;
  accuracy: Accuracy;
}

export interface RelinkBenchResult {
  records: number;
  services: number;
  truePeople: number;
  steps: RelinkStep[];
  incremental: PeopleCount;
  resubmitted: PeopleCount;
  full: PeopleCount;
  exactKey: PeopleCount;
  /** The persons left by incremental linkage (after the resubmission) scored against the full relink's. */
  incrementalAgainstFull: Accuracy & { recordsInDifferentClusters: number };
}

/** Records (of `partition`) whose cluster is not exactly a cluster of `reference`. */
function recordsInDifferentClusters(reference: ArrayLike<number>, partition: ArrayLike<number>): number {
  const sizes = (values: string[]) => {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return counts;
  };
  const refKeys = Array.from(reference, String);
  const keys = Array.from(partition, String);
  const cellKeys = refKeys.map((r, i) => `${r}:${keys[i]}`);
  const refSizes = sizes(refKeys);
  const partSizes = sizes(keys);
  const cellSizes = sizes(cellKeys);
  let different = 0;
  for (let i = 0; i < refKeys.length; i++) {
    const cell = cellSizes.get(cellKeys[i]!)!;
    if (cell !== refSizes.get(refKeys[i]!) || cell !== partSizes.get(keys[i]!)) different++;
  }
  return different;
}

export async function benchRelink({ adminUrl, records, seed = 20261123 }: RelinkBenchOptions): Promise<RelinkBenchResult> {
  const url = await createBenchDatabase(adminUrl, DATABASE);
  const app = await buildBenchApp(url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const headers = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };
  const jsonHeaders = { ...headers, 'content-type': 'application/json' };

  try {
    const serviceIds = SERVICE_TYPES.map((t) => `bench-${t.replaceAll('_', '-')}`);
    const register = async (id: string, serviceType: string) => {
      const res = await app.inject({ method: 'POST', url: '/v1/services', headers, payload: { id, name: id, serviceType, area: 'E09000001' } });
      if (res.statusCode !== 201) throw new Error(`registering ${id}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    };
    for (const [i, id] of serviceIds.entries()) await register(id, SERVICE_TYPES[i]!);
    await register('bench-no-keys', 'other');
    await register('bench-warm-up', 'other');

    const recordsPerPersonMean = 1.7;
    const population = generatePopulation({ people: Math.round(records / recordsPerPersonMean), recordsPerPersonMean, services: serviceIds, seed });
    const truthOf = new Map(population.records.map((r) => [r.id, r.personId]));
    const truePeople = new Set(population.records.map((r) => r.personId)).size;

    // One return per service; referralIds (REF-<synthetic id>) are unique across the population.
    const returns = serviceIds.map((service) => {
      const members = population.records.filter((r) => r.service === service);
      return { service, members, body: JSON.stringify({ service, period: PERIOD, records: members.map((r) => makeSyntheticRecord(r, PERIOD)) }) };
    });

    const steps: RelinkStep[] = [];
    const report = (step: RelinkStep) => {
      steps.push(step);
      console.error(
        `  ${step.step}: ${step.records} records, 201 in ${step.seconds.toFixed(2)} s${step.currentSeconds === undefined ? '' : `, persons current in ${step.currentSeconds.toFixed(2)} s`}`,
      );
    };
    const submit = async (body: string, expectedVersion = 1) => {
      const start = performance.now();
      const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: jsonHeaders, payload: body });
      const seconds = (performance.now() - start) / 1000;
      if (res.statusCode !== 201) throw new Error(`submitting a return: ${res.statusCode} ${res.body.slice(0, 500)}`);
      const summary = res.json() as { id: string; version: number };
      if (summary.version !== expectedVersion) throw new Error(`expected version ${expectedVersion}, got ${summary.version}`);
      // The worker was nudged by the 201; waiting for it here is the time until persons are current.
      await app.linkage.drain();
      const currentSeconds = (performance.now() - start) / 1000;
      // The job's own account of where its time went (services/linkage/relink.ts).
      const job = await db.query("select result from jobs where kind = 'linkage' and payload->>'returnId' = $1", [summary.id]);
      const linked = job.rows[0]?.result as { records: number; seeds: number; timings: Record<string, number> } | undefined;
      if (linked) console.error(`    linkage: ${linked.seeds} seeds, neighbourhood of ${linked.records} records, ${JSON.stringify(linked.timings)}`);
      // Linkage runs after the commit and a failure there is only logged (silently here): check it happened.
      const { rows } = await db.query(
        'select count(*)::int as n from records where return_id = $1 and victim_linkage_slk581_token is not null and person_id is null',
        [summary.id],
      );
      if (rows[0].n !== 0) throw new Error(`${rows[0].n} records of return ${summary.id} were not linked`);
      // Autovacuum would analyze the table after each return this size (over 10% of it changed), but it
      // may be off on a bench server: without statistics the planner picks plans that take minutes
      // (the linked-repeats subquery of the indicators, for one). Not timed.
      await db.query('analyze');
      return { seconds, currentSeconds };
    };
    const linkedRecords = async () => {
      const { rows } = await db.query(
        'select count(*)::int as n from records r join returns ret on ret.id = r.return_id and ret.superseded_at is null where r.victim_linkage_slk581_token is not null',
      );
      return rows[0].n as number;
    };
    const peopleFromIndicators = async () => {
      const start = performance.now();
      const res = await app.inject({ method: 'GET', url: `/v1/indicators?period=${PERIOD}`, headers });
      console.error(`  (indicators read in ${((performance.now() - start) / 1000).toFixed(2)} s)`);
      if (res.statusCode !== 200) throw new Error(`indicators: ${res.statusCode} ${res.body.slice(0, 300)}`);
      const people = (res.json() as { indicators: Array<{ id: string; value: number | null }> }).indicators.find((i) => i.id === 'people')?.value;
      if (typeof people !== 'number') throw new Error('indicators: no people count');
      return people;
    };
    /** Current records of PERIOD with their true person, their linked person and their whole-key token. */
    const partitions = async () => {
      const { rows } = await db.query<{ referral_id: string; person_id: string | null; token: string }>(
        `select r.referral_id, r.person_id, r.victim_linkage_slk581_token as token from records r
           join returns ret on ret.id = r.return_id and ret.superseded_at is null where ret.period = $1 order by r.id`,
        [PERIOD],
      );
      const tokenIds = new Map<string, number>();
      const truth = Int32Array.from(rows, (r) => truthOf.get(Number(r.referral_id.slice('REF-'.length)))!);
      const linked = Int32Array.from(rows, (r, i) => (r.person_id === null ? -1 - i : Number(r.person_id)));
      const exact = Int32Array.from(rows, (r) => {
        let id = tokenIds.get(r.token);
        if (id === undefined) tokenIds.set(r.token, (id = tokenIds.size));
        return id;
      });
      return { truth, linked, exact };
    };

    // Warm-up, not reported: a small return without keys in another quarter (first request, pool, JIT).
    await submit(
      JSON.stringify({ service: 'bench-warm-up', period: WARM_UP_PERIOD, records: Array.from({ length: 500 }, (_, i) => makeRecord(i, WARM_UP_PERIOD)) }),
    );

    for (const [k, r] of returns.entries()) {
      const before = await linkedRecords();
      const timing = await submit(r.body);
      report({
        step: `return ${k + 1} of ${returns.length} (${r.service}, v1) onto ${before.toLocaleString('en-GB')} linked records`,
        records: r.members.length,
        ...timing,
      });
      if (k === 0) {
        // The same return without victim.linkage, into a fresh service: what submitting costs with no linkage work.
        const body = JSON.stringify({
          service: 'bench-no-keys',
          period: NO_KEYS_PERIOD,
          records: r.members.map((m) => makeRecord(m.id, NO_KEYS_PERIOD)),
        });
        report({
          step: `baseline: return 1 again without linkage keys (fresh service, ${NO_KEYS_PERIOD}): nothing to link`,
          records: r.members.length,
          ...(await submit(body)),
        });
      }
    }
    let current = await partitions();
    const incremental = { people: await peopleFromIndicators(), accuracy: measureAccuracy(current.truth, current.linked) };

    const first = returns[0]!;
    const beforeResubmission = await linkedRecords();
    report({
      step: `resubmission: return 1 as v2 (supersedes ${first.members.length.toLocaleString('en-GB')} records) onto ${beforeResubmission.toLocaleString('en-GB')} linked records`,
      records: first.members.length,
      ...(await submit(first.body, 2)),
    });
    current = await partitions();
    const resubmitted = { people: await peopleFromIndicators(), accuracy: measureAccuracy(current.truth, current.linked) };
    const incrementalLinked = current.linked;

    const start = performance.now();
    const res = await app.inject({ method: 'POST', url: '/v1/linkage/relink', headers, payload: { estimate: true } });
    const seconds = (performance.now() - start) / 1000;
    if (res.statusCode !== 200) throw new Error(`relink: ${res.statusCode} ${res.body.slice(0, 300)}`);
    const relinked = res.json() as { records: number; estimated: boolean };
    if (!relinked.estimated) throw new Error('relink: no model was estimated');
    report({ step: 'full relink with EM (`POST /v1/linkage/relink`, `estimate: true`)', records: relinked.records, seconds });
    current = await partitions();
    const full = { people: await peopleFromIndicators(), accuracy: measureAccuracy(current.truth, current.linked) };
    const exactKey = { people: new Set(current.exact).size, accuracy: measureAccuracy(current.truth, current.exact) };
    const agreement = measureAccuracy(current.linked, incrementalLinked);

    return {
      records: population.records.length,
      services: serviceIds.length,
      truePeople,
      steps,
      incremental,
      resubmitted,
      full,
      exactKey,
      incrementalAgainstFull: { ...agreement, recordsInDifferentClusters: recordsInDifferentClusters(current.linked, incrementalLinked) },
    };
  } finally {
    await db.end();
    await app.close();
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`drop database if exists ${DATABASE} with (force)`);
    await cleanup.end();
  }
}
