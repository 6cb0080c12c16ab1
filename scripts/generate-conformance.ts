/**
 * Writes the conformance fixtures in `conformance/fixtures/` and their `manifest.json`, from the
 * synthetic records of `test/support/records.ts` (pseudonymous ids and codes only, no names or free
 * text about people). The expected verdicts and problems are written here by hand, from the dataset
 * definition, not read back from the validator: `test/conformance/conformance.test.ts` then checks
 * that the server, `vawg validate` and the published JSON Schema all agree with them.
 *
 * The fixtures are committed; run this again only to change them (`npm run conformance`).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { recordsToCsv } from '../test/support/csv.js';
import { makeRecord, makeRecords } from '../test/support/records.js';

type Json = Record<string, unknown>;
type Verdict = 'valid' | 'invalid';

export interface ExpectedProblem {
  pointer: string;
  code: string;
}

export interface ManifestFixture {
  file: string;
  format: 'json' | 'csv';
  description: string;
  /** CSV: given as `?service=` to the server (a JSON return names its own). */
  service: string;
  /** CSV: given as `?period=` to the server and `--period` to `vawg validate`. */
  period: string;
  /** The server's verdict, the one that counts. */
  verdict: Verdict;
  /** Every problem the server lists, in order (`vawg validate` lists the same). */
  problems: ExpectedProblem[];
  /** Codes of the warnings an accepted return gets. */
  warnings: string[];
  /** What each checker says: which one catches what. */
  checkers: {
    server: Verdict;
    validate: Verdict;
    /** The record JSON Schema applied to each record (JSON returns only). */
    jsonSchema: Verdict | 'not_applicable';
  };
  /** Where the record JSON Schema fails: `/records/<index><pointer inside the record>`. */
  schemaPointers?: string[];
  /** Why a checker's verdict differs from the server's. */
  note?: string;
}

const PERIOD = '2023-24-Q1';
const SERVICE = 'supplier-vva';
const root = new URL('../conformance/fixtures/', import.meta.url);

const records = (n: number, period = PERIOD) => makeRecords(n, period);
const victimOf = (record: Json) => record.victim as Json;
const jsonReturn = (recs: unknown[], period = PERIOD) => `${JSON.stringify({ service: SERVICE, period, records: recs }, null, 2)}\n`;

/** A record with one victim field changed. */
function withVictim(i: number, victim: Json, period = PERIOD): Json {
  const record = makeRecord(i, period);
  return { ...record, victim: { ...victimOf(record), ...victim } };
}

/** Record i of `records(n)` replaced. */
function replaced(n: number, i: number, record: Json): Json[] {
  const list = records(n);
  list[i] = record;
  return list;
}

/** Record i without a field. */
function without(i: number, field: string): Json {
  const record = makeRecord(i, PERIOD);
  delete record[field];
  return record;
}

/** Synthetic SLK-581 keys (the format only: 3 + 2 letters, DDMMYYYY, sex code). */
const slks = ['OHNAR150719852', 'ARIEL030319912', 'UNOSA281119782', '999ME010120002', 'AMZAR220620012'];

function withSlk(i: number): Json {
  return withVictim(i, { linkage: { slk581: slks[i % slks.length] } });
}

/** Row `r` (1 = header) of a CSV text changed by `edit`. */
function editCsvLine(csv: string, line: number, edit: (text: string) => string): string {
  const lines = csv.split('\n');
  lines[line - 1] = edit(lines[line - 1]!);
  return lines.join('\n');
}

const all: Verdict = 'invalid';
const allCheckers = { server: all, validate: all, jsonSchema: all } as const;
const validCheckers = { server: 'valid', validate: 'valid', jsonSchema: 'valid' } as const;
const csvInvalid = { server: all, validate: all, jsonSchema: 'not_applicable' } as const;
const csvValid = { server: 'valid', validate: 'valid', jsonSchema: 'not_applicable' } as const;
const beyondSchema = { server: all, validate: all, jsonSchema: 'valid' } as const;

interface Spec extends Omit<ManifestFixture, 'format' | 'service' | 'period' | 'warnings'> {
  content: string;
  period?: string;
  warnings?: string[];
}

function csvNhsLetters(): string {
  // The NHS 2001 letters a health or social-care export holds, as the dataset's crosswalk reads them.
  const letters = ['A', 'B', 'C', 'N', 'M', 'H', 'J', 'R', 'S', 'Z'];
  const list = records(10).map((record, i) => ({ ...record, victim: { ...victimOf(record), ethnicity: letters[i]! } }));
  return recordsToCsv(list);
}

export function fixtures(): Spec[] {
  const csvOf = (list: unknown[], options?: Parameters<typeof recordsToCsv>[1]) => recordsToCsv(list, options);
  const twenty = records(20);
  return [
    // ---- valid ----
    {
      file: 'valid/quarter-20-records.json',
      description: 'A quarter of 20 varied referrals: VAWG and non-VAWG, closures, nulls, several code lists.',
      content: jsonReturn(twenty),
      verdict: 'valid',
      problems: [],
      checkers: validCheckers,
    },
    {
      file: 'valid/quarter-20-records.csv',
      description: 'The same 20 referrals as a spreadsheet export: UTF-8 with BOM, CRLF line ends.',
      content: csvOf(twenty, { bom: true, eol: '\r\n' }),
      verdict: 'valid',
      problems: [],
      checkers: csvValid,
    },
    {
      file: 'valid/linkage-keys.json',
      description: 'Records carrying SLK-581 linkage keys (synthetic), including 999 for a missing family name.',
      content: jsonReturn([0, 1, 2, 3, 4].map(withSlk)),
      verdict: 'valid',
      problems: [],
      checkers: validCheckers,
    },
    {
      file: 'valid/linkage-keys.csv',
      description: 'The same records with linkage keys as CSV (LF line ends, no BOM).',
      content: csvOf([0, 1, 2, 3, 4].map(withSlk)),
      verdict: 'valid',
      problems: [],
      checkers: csvValid,
    },
    {
      file: 'valid/quarter-boundaries.json',
      description: 'Referral dates on the first and the last day of the quarter.',
      content: jsonReturn([makeRecord(0, PERIOD, { referralDate: '2023-04-01' }), makeRecord(1, PERIOD, { referralDate: '2023-06-30' })]),
      verdict: 'valid',
      problems: [],
      checkers: validCheckers,
    },
    {
      file: 'valid/nhs-2001-ethnicity.csv',
      description: 'Ethnicity as NHS 2001 letter codes (A, B, C, …, Z): accepted in CSV through the published crosswalk, with a warning.',
      content: csvNhsLetters(),
      verdict: 'valid',
      problems: [],
      warnings: ['crosswalk_applied'],
      checkers: csvValid,
    },
    {
      file: 'valid/one-record.csv',
      description: 'A single referral with no perpetrators, no onward referrals and empty optional cells.',
      content: csvOf([makeRecord(4, PERIOD)]),
      verdict: 'valid',
      problems: [],
      checkers: csvValid,
    },
    // ---- invalid: problems in one record (every checker) ----
    {
      file: 'invalid/unknown-code.json',
      description: 'A victim ethnicity that is not in the code list (a nationality-style answer).',
      content: jsonReturn(replaced(5, 2, withVictim(2, { ethnicity: 'british' }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/2/victim/ethnicity', code: 'not_in_code_list' }],
      checkers: allCheckers,
      schemaPointers: ['/records/2/victim/ethnicity'],
    },
    {
      file: 'invalid/missing-required-field.json',
      description: 'A record without referralSource.',
      content: jsonReturn(replaced(5, 1, without(1, 'referralSource'))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/1/referralSource', code: 'required' }],
      checkers: allCheckers,
      schemaPointers: ['/records/1/referralSource'],
    },
    {
      file: 'invalid/unknown-field.json',
      description: 'A field the dataset does not have (unknown fields are rejected, never dropped).',
      content: jsonReturn(replaced(5, 3, makeRecord(3, PERIOD, { priority: 'urgent' }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/3/priority', code: 'unknown_field' }],
      checkers: allCheckers,
      schemaPointers: ['/records/3/priority'],
    },
    {
      file: 'invalid/wrong-type.json',
      description: 'childrenInHousehold as a word instead of a whole number.',
      content: jsonReturn(replaced(5, 0, makeRecord(0, PERIOD, { childrenInHousehold: 'two' }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/0/childrenInHousehold', code: 'wrong_type' }],
      checkers: allCheckers,
      schemaPointers: ['/records/0/childrenInHousehold'],
    },
    {
      file: 'invalid/bad-slk581.json',
      description: 'An SLK-581 key of the wrong shape (13 characters, lower case).',
      content: jsonReturn(replaced(5, 4, withVictim(4, { linkage: { slk581: 'ohnar15071985' } }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/4/victim/linkage/slk581', code: 'invalid_format' }],
      checkers: allCheckers,
      schemaPointers: ['/records/4/victim/linkage/slk581'],
    },
    {
      file: 'invalid/nhs-2001-letter.json',
      description: 'An NHS 2001 letter code for ethnicity in a JSON return: the crosswalk applies to CSV only, JSON takes the dataset codes.',
      content: jsonReturn(replaced(3, 1, withVictim(1, { ethnicity: 'A' }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/1/victim/ethnicity', code: 'not_in_code_list' }],
      checkers: allCheckers,
      schemaPointers: ['/records/1/victim/ethnicity'],
    },
    {
      file: 'invalid/vawg-without-types.json',
      description: 'Category vawg with no vawgTypes: required when category is vawg (a conditional requirement the schema states).',
      content: jsonReturn(replaced(3, 0, without(0, 'vawgTypes'))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/0/vawgTypes', code: 'required' }],
      checkers: allCheckers,
      schemaPointers: ['/records/0/vawgTypes'],
    },
    {
      file: 'invalid/vawg-types-with-non-vawg.json',
      description: 'vawgTypes given on a record whose category is non_vawg (which takes nonVawgCrimeType).',
      content: jsonReturn(replaced(5, 3, makeRecord(3, PERIOD, { vawgTypes: ['domestic_abuse'] }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/3/vawgTypes', code: 'not_allowed' }],
      checkers: allCheckers,
      schemaPointers: ['/records/3/vawgTypes'],
    },
    {
      file: 'invalid/crime-type-with-vawg.json',
      description: 'nonVawgCrimeType given on a record whose category is vawg (which takes vawgTypes).',
      content: jsonReturn(replaced(5, 1, makeRecord(1, PERIOD, { nonVawgCrimeType: 'violence' }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/1/nonVawgCrimeType', code: 'not_allowed' }],
      checkers: allCheckers,
      schemaPointers: ['/records/1/nonVawgCrimeType'],
    },
    {
      file: 'invalid/empty-vawg-types.json',
      description: 'Category vawg with an empty vawgTypes list.',
      content: jsonReturn(replaced(5, 0, makeRecord(0, PERIOD, { vawgTypes: [] }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/0/vawgTypes', code: 'too_few_items' }],
      checkers: allCheckers,
      schemaPointers: ['/records/0/vawgTypes'],
    },
    {
      file: 'invalid/closure-before-referral.json',
      description: 'A closure date before the referral date.',
      content: jsonReturn(
        replaced(5, 2, makeRecord(2, PERIOD, { closure: { closedDate: '2023-04-01', reason: 'support_completed', riskReduced: true, feelsSafer: true } })),
      ),
      verdict: 'invalid',
      problems: [{ pointer: '/records/2/closure/closedDate', code: 'before_referral_date' }],
      checkers: beyondSchema,
      note: 'Comparing two dates is beyond JSON Schema: the server and vawg validate catch it, the schema cannot.',
    },
    // ---- invalid: rules across records or against the return (beyond JSON Schema) ----
    {
      file: 'invalid/date-outside-quarter.json',
      description: 'A referral dated in the quarter before the return period.',
      content: jsonReturn(replaced(5, 4, makeRecord(4, PERIOD, { referralDate: '2023-03-31' }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/4/referralDate', code: 'outside_period' }],
      checkers: beyondSchema,
      note: 'The quarter belongs to the return, not the record: the record schema cannot know it.',
    },
    {
      file: 'invalid/duplicate-referral-id.json',
      description: 'Two records with the same referralId.',
      content: jsonReturn(replaced(5, 3, makeRecord(3, PERIOD, { referralId: 'REF-00001' }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/3/referralId', code: 'duplicate' }],
      checkers: beyondSchema,
      note: 'Uniqueness across records is beyond a per-record schema.',
    },
    {
      file: 'invalid/unregistered-onward-service.json',
      description: 'An onward referral naming a service that is not registered.',
      content: jsonReturn(replaced(3, 0, makeRecord(0, PERIOD, { onwardReferrals: [{ serviceType: 'idva', service: 'not-a-registered-service' }] }))),
      verdict: 'invalid',
      problems: [{ pointer: '/records/0/onwardReferrals/0/service', code: 'unknown_service' }],
      checkers: { server: 'invalid', validate: 'valid', jsonSchema: 'valid' },
      note: 'Only the server knows which services are registered: vawg validate accepts the file and says in its notes that this was not checked; vawg submit --dry-run checks it.',
    },
    // ---- invalid CSV ----
    {
      file: 'invalid/unknown-code.csv',
      description: 'A CSV row with an ethnicity that is neither a dataset code nor an NHS 2001 letter.',
      content: csvOf(replaced(5, 2, withVictim(2, { ethnicity: 'british' }))),
      verdict: 'invalid',
      problems: [{ pointer: 'row 4, column victim.ethnicity', code: 'not_in_code_list' }],
      checkers: csvInvalid,
    },
    {
      file: 'invalid/wrong-type.csv',
      description: 'A CSV row with a word where a whole number belongs, and one with a boolean that is not true/false, yes/no or 1/0.',
      content: csvOf(replaced(5, 4, makeRecord(4, PERIOD, { childrenInHousehold: 'two', repeatReferral: 'perhaps' }))),
      verdict: 'invalid',
      problems: [
        { pointer: 'row 6, column repeatReferral', code: 'wrong_type' },
        { pointer: 'row 6, column childrenInHousehold', code: 'wrong_type' },
      ],
      checkers: csvInvalid,
    },
    {
      file: 'invalid/date-outside-quarter.csv',
      description: 'A CSV row dated after the quarter named with --period / ?period=.',
      content: csvOf(replaced(5, 1, makeRecord(1, PERIOD, { referralDate: '2023-07-01' }))),
      verdict: 'invalid',
      problems: [{ pointer: 'row 3, column referralDate', code: 'outside_period' }],
      checkers: csvInvalid,
    },
    {
      file: 'invalid/header-problems.csv',
      description: 'A header with a misspelt column (referralSorce), so the required referralSource column is missing too.',
      content: editCsvLine(csvOf(records(3)), 1, (header) => header.replace('referralSource', 'referralSorce')),
      verdict: 'invalid',
      problems: [
        { pointer: 'row 1, column referralSorce', code: 'unknown_field' },
        { pointer: 'row 1, column referralSource', code: 'required' },
      ],
      checkers: csvInvalid,
    },
    {
      file: 'invalid/wrong-cell-count.csv',
      description: 'A CSV row with one cell more than the header has columns.',
      content: editCsvLine(csvOf(records(4)), 3, (row) => `${row},extra`),
      verdict: 'invalid',
      problems: [{ pointer: 'row 3, column (row)', code: 'wrong_cell_count' }],
      checkers: csvInvalid,
    },
    {
      file: 'invalid/duplicate-referral-id.csv',
      description: 'Two CSV rows with the same referralId.',
      content: csvOf(replaced(4, 2, makeRecord(2, PERIOD, { referralId: 'REF-00000' }))),
      verdict: 'invalid',
      problems: [{ pointer: 'row 4, column referralId', code: 'duplicate' }],
      checkers: csvInvalid,
    },
  ];
}

export function manifestOf(specs: readonly Spec[]) {
  return {
    description:
      'Conformance fixtures for VAWG dataset 1.0.0: each file with the verdict the server gives (POST /v1/returns?dryRun=true) and the problems it lists, and what vawg validate and the record JSON Schema say. See conformance/README.md.',
    datasetVersion: '1.0.0',
    recordSchema: '/v1/dataset/1.0.0/record.schema.json',
    checkers: {
      server: 'POST /v1/returns?dryRun=true (JSON body, or text/csv with ?service=&period=): every rule, including registered services.',
      validate: 'npx vawg validate <file> --period <quarter> --json: every rule except what needs the server database (registered services, locked periods).',
      jsonSchema:
        'The record JSON Schema (2020-12) applied to each element of records in a JSON return: the rules inside one record that JSON Schema states. Not the envelope, not rules across records (unique referralId), not the quarter, not comparisons between fields; CSV must first be converted to records (vawg validate does that).',
    },
    fixtures: specs.map(({ content: _content, ...spec }): ManifestFixture => {
      const format = spec.file.endsWith('.csv') ? 'csv' : 'json';
      return {
        file: spec.file,
        format,
        description: spec.description,
        service: SERVICE,
        period: spec.period ?? PERIOD,
        verdict: spec.verdict,
        problems: spec.problems,
        warnings: spec.warnings ?? [],
        checkers: spec.checkers,
        ...(spec.schemaPointers ? { schemaPointers: spec.schemaPointers } : {}),
        ...(spec.note ? { note: spec.note } : {}),
      };
    }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const specs = fixtures();
  await rm(new URL('valid/', root), { recursive: true, force: true });
  await rm(new URL('invalid/', root), { recursive: true, force: true });
  for (const spec of specs) {
    const target = new URL(spec.file, root);
    await mkdir(path.dirname(target.pathname), { recursive: true });
    await writeFile(target, spec.content);
  }
  await writeFile(new URL('manifest.json', root), `${JSON.stringify(manifestOf(specs), null, 2)}\n`);
  console.log(`wrote ${specs.length} fixtures and manifest.json to ${root.pathname}`);
}
