/**
 * Property-based tests of the record validator and the CSV reader, with records generated from the
 * dataset definition itself (schema/dataset/fields.ts), so a new field is covered without a new test:
 * - the CSV reader gives back exactly the records a CSV was written from;
 * - a valid return is stored exactly, and the same return sent as CSV is stored identically;
 * - a return with one broken value stores nothing, answers 422 and never quotes the value.
 * Seeded and bounded: a failure prints its seed and path and replays.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import t from 'tap';
import { parseQuarter } from '../../src/lib/periods.js';
import { personAnswerCodes } from '../../src/schema/dataset/code-lists.js';
import { recordFields, type FieldDefinition } from '../../src/schema/dataset/fields.js';
import { readCsvRecords } from '../../src/services/returns/csv-records.js';
import { recordsToCsv } from '../support/csv.js';
import { admin, buildTestApp, registerService } from '../helper.js';

type Json = Record<string, unknown>;

const SEED = 11_2026;
const PERIOD = '2022-23-Q1';
const REPEATS = 3;
/** Looks like an SLK-581; a broken value that must never be quoted back. */
const MARKER = 'MIHAR010119802';

const quarter = parseQuarter(PERIOD)!;
const dayMs = 86_400_000;
const firstDay = Date.parse(`${quarter.start}T00:00:00Z`);
const days = Math.round((Date.parse(`${quarter.end}T00:00:00Z`) - firstDay) / dayMs) + 1;
const dateInQuarter = fc.integer({ min: 0, max: days - 1 }).map((d) => new Date(firstDay + d * dayMs).toISOString().slice(0, 10));

function codesOf(field: FieldDefinition): string[] {
  const codes = field.codeList!.codes.map((c) => c.code);
  return [...new Set([...codes, ...(field.personAnswers ? personAnswerCodes.map((c) => c.code) : [])])];
}

/** A valid value of one field, from its definition. */
function valueOf(field: FieldDefinition): fc.Arbitrary<unknown> {
  const value = ((): fc.Arbitrary<unknown> => {
    switch (field.type) {
      case 'string':
        return fc.stringMatching(new RegExp(field.pattern ?? '^[A-Za-z0-9]+$')).filter((s) => s.length >= 1 && s.length <= (field.maxLength ?? 64));
      case 'date':
        return dateInQuarter;
      case 'integer':
        return fc.integer({ min: field.minimum ?? 0, max: field.maximum ?? 1000 });
      case 'boolean':
        return fc.boolean();
      case 'code':
        return fc.constantFrom(...codesOf(field));
      case 'codes':
        // An optional list is left out or has codes: an empty cell cannot tell [] from absent, so CSV reads it as absent.
        return fc.uniqueArray(fc.constantFrom(...codesOf(field)), { minLength: field.minItems ?? (field.required ? 0 : 1), maxLength: 3 });
      case 'object':
        return objectOf(field.fields ?? []);
      case 'objects':
        return fc.array(objectOf(field.fields ?? []), { maxLength: REPEATS });
    }
  })();
  return field.nullable ? fc.option(value, { nil: null, freq: 4 }) : value;
}

function isBlank(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.every(isBlank);
  if (typeof value === 'object') return Object.values(value).every(isBlank);
  return false;
}

/** Fields that depend on another (`requiredWhen`) are generated always and dropped when their condition is false. */
function objectOf(fields: readonly FieldDefinition[]): fc.Arbitrary<Json> {
  const shape = Object.fromEntries(fields.map((field) => [field.name, valueOf(field)]));
  const requiredKeys = fields.filter((f) => f.required || f.requiredWhen).map((f) => f.name);
  return fc.record(shape, { requiredKeys }).map((value) => {
    const record = { ...(value as Json) };
    for (const field of fields) {
      if (field.requiredWhen && record[field.requiredWhen.field] !== field.requiredWhen.equals) delete record[field.name];
      // An optional group with nothing in it (`linkage: {}`) is the same as none: a row of empty cells.
      if (field.type === 'object' && !field.required && isBlank(record[field.name])) delete record[field.name];
    }
    return record;
  });
}

/** The rules across fields that the generator cannot state: dates in order, onward services registered, one person in a perpetrator's referral. */
function withCrossFieldRules(record: Json): Json {
  const fixed = structuredClone(record);
  const closure = fixed.closure as Json | undefined;
  if (closure && typeof closure.closedDate === 'string' && closure.closedDate < (fixed.referralDate as string)) closure.closedDate = fixed.referralDate;
  for (const onward of (fixed.onwardReferrals as Json[] | undefined) ?? []) {
    if ('service' in onward) onward.service = 'col-vva';
    if (typeof onward.date === 'string' && onward.date < (fixed.referralDate as string)) onward.date = fixed.referralDate;
  }
  // A perpetrator's referral is about exactly one person.
  if (fixed.subject === 'perpetrator' && (fixed.perpetrators as Json[]).length !== 1) delete fixed.subject;
  const refuge = fixed.refuge as Json | undefined;
  if (refuge && typeof refuge.departureDate === 'string' && refuge.departureDate < (refuge.admissionDate as string))
    refuge.departureDate = refuge.admissionDate;
  return fixed;
}

/**
 * An optional field that may be null means the same absent or null ("not asked"): it is stored as
 * NULL and read back absent, and an empty CSV cell cannot tell the two apart. The generated record
 * is written in that one form.
 */
function withoutNullOptionals(value: Json, fields: readonly FieldDefinition[] = recordFields): Json {
  for (const field of fields) {
    const child = value[field.name];
    if (child === null && field.nullable && !field.required && !field.requiredWhen) delete value[field.name];
    else if (field.type === 'object' && child && typeof child === 'object') withoutNullOptionals(child as Json, field.fields ?? []);
    else if (field.type === 'objects' && Array.isArray(child)) for (const item of child as Json[]) withoutNullOptionals(item, field.fields ?? []);
  }
  return value;
}

const recordArb = objectOf(recordFields).map((record) => withoutNullOptionals(withCrossFieldRules(record)));
const recordsArb = fc.uniqueArray(recordArb, { minLength: 1, maxLength: 4, selector: (r) => r.referralId });

/** What a record reads back as: the clear SLK is never returned. */
function asStored(record: Json): Json {
  const copy = structuredClone(record);
  if (copy.victim) delete (copy.victim as Json).linkage;
  for (const perpetrator of (copy.perpetrators as Json[] | undefined) ?? []) delete perpetrator.linkage;
  return copy;
}

async function readCsv(csv: string): Promise<Json[]> {
  const out: Json[] = [];
  for await (const { record, problems } of readCsvRecords(Readable.from([csv]))) {
    if (problems.length > 0) throw new Error(`unexpected cell problems: ${JSON.stringify(problems)}`);
    out.push(record);
  }
  return out;
}

t.test('the CSV reader gives back exactly the records a CSV was written from', async (t) => {
  await fc.assert(
    fc.asyncProperty(recordsArb, async (records) => {
      const read = (await readCsv(recordsToCsv(records, { repeats: REPEATS }))).map((record) => withoutNullOptionals(record));
      deepStrictEqual(read, records);
    }),
    { seed: SEED, numRuns: 150 },
  );
  t.pass('150 generated returns read back exactly');
});

t.test('submission: valid returns round-trip exactly as JSON and CSV; broken ones store nothing', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva');
  const submit = (records: Json[], format: 'json' | 'csv', service = 'col-vva') =>
    format === 'json'
      ? app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: { service, period: PERIOD, records } })
      : app.inject({
          method: 'POST',
          url: `/v1/returns?service=${service}&period=${PERIOD}`,
          headers: { ...admin, 'content-type': 'text/csv' },
          payload: recordsToCsv(records, { repeats: REPEATS }),
        });
  const storedRecords = async (id: string) => (await app.inject({ method: 'GET', url: `/v1/returns/${id}`, headers: admin })).json().records as Json[];

  await t.test('valid returns', async (t) => {
    await fc.assert(
      fc.asyncProperty(recordsArb, async (records) => {
        const json = await submit(records, 'json');
        if (json.statusCode !== 201) throw new Error(`JSON: ${json.statusCode} ${json.body}`);
        const csv = await submit(records, 'csv');
        if (csv.statusCode !== 201) throw new Error(`CSV: ${csv.statusCode} ${csv.body}`);
        const fromJson = await storedRecords(json.json().id);
        const fromCsv = await storedRecords(csv.json().id);
        deepStrictEqual(fromJson, records.map(asStored), 'JSON: stored exactly as sent (less the SLK)');
        deepStrictEqual(fromCsv, fromJson, 'CSV: stored exactly as the same records sent as JSON');
      }),
      { seed: SEED, numRuns: 15 },
    );
    t.pass('15 generated returns stored exactly, as JSON and as CSV');
  });

  // One value broken in one record: each mutation is one a CSV can carry too.
  const fieldsOfType = (type: FieldDefinition['type']) => recordFields.filter((f) => f.type === type && f.required).map((f) => f.name);
  const mutations: Array<{ name: string; apply: (record: Json, others: Json[]) => void }> = [
    { name: 'a code not in its code list', apply: (r) => void (r[fieldsOfType('code')[0]!] = MARKER) },
    ...fieldsOfType('code').map((name) => ({ name: `${name} not in its code list`, apply: (r: Json) => void (r[name] = MARKER) })),
    ...fieldsOfType('integer').map((name) => ({ name: `${name} not a number`, apply: (r: Json) => void (r[name] = MARKER) })),
    ...fieldsOfType('integer').map((name) => ({ name: `${name} out of range`, apply: (r: Json) => void (r[name] = 100_000) })),
    { name: 'a victim code not in its code list', apply: (r) => void ((r.victim as Json).ethnicity = MARKER) },
    { name: 'a malformed SLK', apply: (r) => void ((r.victim as Json).linkage = { slk581: `${MARKER}x` }) },
    { name: 'a date outside the quarter', apply: (r) => void (r.referralDate = '2019-01-01') },
    { name: 'an impossible date', apply: (r) => void (r.referralDate = '2022-13-45') },
    { name: 'a referralId that is not one', apply: (r) => void (r.referralId = `${MARKER} !`) },
    { name: 'a duplicate referralId', apply: (r, others) => void (r.referralId = others[0]?.referralId ?? r.referralId) },
    { name: 'a required value missing', apply: (r) => void delete r.referralSource },
  ];

  await t.test('returns with one broken value', async (t) => {
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(recordArb, { minLength: 2, maxLength: 4, selector: (r) => r.referralId }),
        fc.constantFrom(...mutations),
        fc.nat(),
        fc.constantFrom<'json' | 'csv'>('json', 'csv'),
        async (records, mutation, at, format) => {
          const broken = structuredClone(records);
          const index = 1 + (at % (broken.length - 1));
          mutation.apply(broken[index]!, broken.slice(0, index));
          const before = (await app.inject({ method: 'GET', url: '/v1/returns?service=col-vva', headers: admin })).json().total as number;
          const res = await submit(broken, format);
          const after = (await app.inject({ method: 'GET', url: '/v1/returns?service=col-vva', headers: admin })).json().total as number;
          if (res.statusCode !== 422) throw new Error(`${mutation.name} (${format}): ${res.statusCode} ${res.body}`);
          if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) throw new Error('not a problem document');
          if (res.body.includes(MARKER)) throw new Error(`${mutation.name} (${format}): the value is quoted back: ${res.body}`);
          if (after !== before) throw new Error(`${mutation.name} (${format}): a return was stored`);
          stored += after - before;
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
    t.equal(stored, 0, 'no broken return stored anything');
  });
});
