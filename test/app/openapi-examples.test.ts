/**
 * Every example in the OpenAPI document validates against its schema, and the request examples are
 * real: submitted to the app, they are accepted; the 422 example is what the app answers.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import t from 'tap';
import { submitReturnJsonExamples, validationProblemExamples } from '../../src/schema/api/examples.js';
import { admin, buildTestApp, registerService } from '../helper.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;

type Json = Record<string, unknown>;

const escape = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every media type with examples: where it is, its schema and its examples. */
function* mediaExamples(document: Json): Generator<{ where: string; pointer: string; examples: Record<string, { value?: unknown }> }> {
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(item)) {
      const bodies: Array<[string, Json | undefined]> = [['requestBody', (op.requestBody as Json | undefined)?.content as Json | undefined]];
      for (const [status, response] of Object.entries((op.responses ?? {}) as Record<string, Json>)) {
        bodies.push([`responses/${status}`, response.content as Json | undefined]);
      }
      for (const [part, content] of bodies) {
        for (const [mediaType, media] of Object.entries((content ?? {}) as Record<string, Json>)) {
          const examples = { ...((media.examples ?? {}) as Record<string, { value?: unknown }>) };
          if ('example' in media) examples.example = { value: media.example };
          if (Object.keys(examples).length === 0) continue;
          yield {
            where: `${method.toUpperCase()} ${path} ${part} ${mediaType}`,
            pointer: `#/paths/${escape(path)}/${method}/${part}/content/${escape(mediaType)}/schema`,
            examples,
          };
        }
      }
    }
  }
}

t.test('every example in the OpenAPI document validates against its schema', async (t) => {
  const app = await buildTestApp(t);
  const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as Json;

  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  addFormats(ajv);
  // The whole document as one schema resource: `#/components/schemas/…` references resolve in it.
  ajv.addSchema({ ...document, $id: 'openapi.json' } as never);

  const found = [...mediaExamples(document)];
  const where = new Set(found.map((f) => f.where));
  for (const expected of [
    'POST /v1/returns requestBody application/json',
    'POST /v1/returns requestBody text/csv',
    'POST /v1/returns responses/201 application/json',
    'POST /v1/returns responses/422 application/problem+json',
    'GET /v1/aggregates responses/200 application/json',
    'GET /v1/indicators responses/200 application/json',
  ]) {
    t.ok(where.has(expected), `${expected} has examples`);
  }

  for (const { where, pointer, examples } of found) {
    const validate = ajv.compile({ $ref: `openapi.json${pointer}` });
    for (const [name, example] of Object.entries(examples)) {
      t.ok('value' in example, `${where} example ${name} has a value`);
      const valid = validate(example.value);
      t.ok(valid, `${where} example ${name} validates against its schema`, { errors: validate.errors });
    }
  }
});

t.test('the request examples are accepted and the 422 example is what the API answers', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva', 'vva', 'E09000001');
  const document = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json();
  const content = document.paths['/v1/returns'].post.requestBody.content;

  for (const [name, example] of Object.entries<{ value: Record<string, unknown> }>(content['application/json'].examples)) {
    const res = await app.inject({ method: 'POST', url: '/v1/returns?dryRun=true', headers: admin, payload: example.value });
    t.equal(res.statusCode, 200, `JSON example ${name} is a valid return: ${res.body}`);
  }
  for (const [name, example] of Object.entries<{ value: string }>(content['text/csv'].examples)) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns?dryRun=true&service=col-vva&period=2022-23-Q1',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: example.value,
    });
    t.equal(res.statusCode, 200, `CSV example ${name} is a valid return: ${res.body}`);
  }

  // The 422 example: the JSON example with an unknown risk level and ethnicity, and a missing referral date.
  const valid = submitReturnJsonExamples.twoRecords!.value as { service: string; period: string; records: Array<Record<string, unknown>> };
  const [first, second] = valid.records as [Record<string, unknown>, Record<string, unknown>];
  const { referralDate: _omitted, ...withoutDate } = second;
  const invalid = {
    ...valid,
    records: [{ ...first, riskLevel: 'severe', victim: { ...(first.victim as object), ethnicity: 'british' } }, withoutDate],
  };
  const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: invalid });
  t.equal(res.statusCode, 422);
  const expected = validationProblemExamples.invalidRecords!.value as { errors: unknown[]; detail: string; type: string };
  t.same(res.json().errors, expected.errors, 'the example lists the pointers, codes and details the API gives');
  t.equal(res.json().detail, expected.detail);
  t.equal(res.json().type, expected.type);

  const submitted = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload: valid });
  t.equal(submitted.statusCode, 201, 'the JSON example is accepted');
  const summary = document.paths['/v1/returns'].post.responses['201'].content['application/json'].examples.accepted.value;
  t.same(Object.keys(submitted.json()).sort(), Object.keys(summary).sort(), 'the 201 example has the fields of a real answer');
  t.match(submitted.json(), { service: summary.service, period: summary.period, version: 1, status: 'current', recordCount: summary.recordCount });
});
