/**
 * The conformance fixtures (conformance/fixtures/manifest.json) against the three checkers a
 * supplier meets: the server (`POST /v1/returns?dryRun=true`), the offline `vawg validate --json`,
 * and the published record JSON Schema (fetched from `/v1/dataset/1.0.0/record.schema.json` and
 * compiled by a stock ajv 2020-12 validator, as a supplier would). Each must give the verdict the
 * manifest states; the server and `vawg validate` must list exactly the manifest's problems.
 */
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import t from 'tap';
import { runValidateCommand } from '../../src/cli/validate-command.js';
import type { ManifestFixture } from '../../scripts/generate-conformance.js';
import { admin, buildTestApp, registerService } from '../helper.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

const fixturesDir = new URL('../../conformance/fixtures/', import.meta.url);
const manifest = JSON.parse(await readFile(new URL('manifest.json', fixturesDir), 'utf8')) as {
  datasetVersion: string;
  recordSchema: string;
  fixtures: ManifestFixture[];
};

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

interface Problem {
  pointer?: string;
  code: string;
}

const located = (problems: readonly Problem[]) => problems.map((p) => ({ pointer: p.pointer, code: p.code }));

/** Where a stock validator says a record fails, as pointers into the return (`required` and unknown fields at the field itself). */
function schemaPointers(index: number, errors: readonly ErrorObject[]): string[] {
  const pointers = errors
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const at = `/records/${index}${e.instancePath}`;
      if (e.keyword === 'required') return `${at}/${String((e.params as { missingProperty: string }).missingProperty)}`;
      if (e.keyword === 'additionalProperties') return `${at}/${String((e.params as { additionalProperty: string }).additionalProperty)}`;
      return at;
    });
  return [...new Set(pointers)];
}

t.test('the manifest', async (t) => {
  const count = (verdict: string) => manifest.fixtures.filter((f) => f.verdict === verdict).length;
  t.ok(count('valid') >= 6, `${count('valid')} valid fixtures`);
  t.ok(count('invalid') >= 10, `${count('invalid')} invalid fixtures`);
  for (const fixture of manifest.fixtures) {
    t.equal(fixture.checkers.server, fixture.verdict, `${fixture.file}: the verdict is the server's`);
    t.equal(fixture.verdict === 'valid', fixture.problems.length === 0, `${fixture.file}: problems listed exactly when invalid`);
    if (fixture.format === 'csv') t.equal(fixture.checkers.jsonSchema, 'not_applicable', `${fixture.file}: CSV is not validated by the schema directly`);
    if (Object.values(fixture.checkers).some((verdict) => verdict !== fixture.verdict && verdict !== 'not_applicable'))
      t.ok(fixture.note, `${fixture.file}: a checker that disagrees with the server is explained`);
  }
});

t.test('server, vawg validate and the record JSON Schema give the manifest verdicts', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, manifest.fixtures[0]!.service, 'vva');
  await registerService(app, 'col-idva', 'idva');

  const schemaResponse = await app.inject({ method: 'GET', url: manifest.recordSchema });
  t.equal(schemaResponse.statusCode, 200, 'the record schema is published where the manifest says');
  const recordSchema = schemaResponse.json() as Record<string, unknown>;
  t.equal(recordSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  // A stock 2020-12 validator with formats, as a supplier would set one up.
  const ajv = new Ajv2020({ allErrors: true });
  addFormats(ajv);
  const validateRecord = ajv.compile(recordSchema);

  for (const fixture of manifest.fixtures) {
    await t.test(fixture.file, async (t) => {
      const file = fileURLToPath(new URL(fixture.file, fixturesDir));
      const content = await readFile(file, 'utf8');

      // (a) the server, dry run
      const res =
        fixture.format === 'json'
          ? await app.inject({
              method: 'POST',
              url: '/v1/returns?dryRun=true',
              headers: { ...admin, 'content-type': 'application/json' },
              payload: content,
            })
          : await app.inject({
              method: 'POST',
              url: `/v1/returns?dryRun=true&service=${fixture.service}&period=${fixture.period}`,
              headers: { ...admin, 'content-type': 'text/csv' },
              payload: content,
            });
      const server = res.json() as { errors?: Problem[]; warnings?: Problem[] };
      t.equal(res.statusCode === 200 ? 'valid' : 'invalid', fixture.checkers.server, `server: ${fixture.checkers.server} (${res.statusCode})`);
      if (res.statusCode === 200)
        t.same(
          server.warnings?.map((w) => w.code),
          fixture.warnings,
          'server: the warnings',
        );
      else {
        t.equal(res.statusCode, 422, res.body);
        t.same(located(server.errors ?? []), fixture.problems, 'server: every problem, where and which');
      }

      // (b) vawg validate --json, offline
      const stdout = new Capture();
      const stderr = new Capture();
      const exit = await runValidateCommand([file, ...(fixture.format === 'csv' ? ['--period', fixture.period] : []), '--json'], { stdout, stderr });
      t.equal(stderr.text, '');
      const report = JSON.parse(stdout.text) as { valid: boolean; problems: Problem[]; warnings: Problem[]; notes: string[] };
      const validateVerdict = report.valid ? 'valid' : 'invalid';
      t.equal(validateVerdict, fixture.checkers.validate, `vawg validate: ${fixture.checkers.validate}`);
      t.equal(exit, report.valid ? 0 : 1, 'vawg validate: exit code');
      if (fixture.checkers.validate === fixture.verdict) {
        t.same(located(report.problems), fixture.problems, 'vawg validate: the same problems as the server');
        t.same(
          report.warnings.map((w) => w.code),
          fixture.warnings,
          'vawg validate: the same warnings',
        );
      } else {
        t.same(report.problems, [], 'vawg validate: nothing it can see is wrong');
        t.match(report.notes.join('\n'), /not checked offline/, 'vawg validate: says what it could not check');
      }

      // (c) the published record JSON Schema, record by record
      if (fixture.format === 'json') {
        const { records } = JSON.parse(content) as { records: unknown[] };
        const pointers = records.flatMap((record, i) => (validateRecord(record) ? [] : schemaPointers(i, validateRecord.errors ?? [])));
        t.equal(pointers.length === 0 ? 'valid' : 'invalid', fixture.checkers.jsonSchema, `JSON Schema: ${fixture.checkers.jsonSchema}`);
        t.same(pointers, fixture.schemaPointers ?? [], 'JSON Schema: where the records fail');
      }
    });
  }
});
