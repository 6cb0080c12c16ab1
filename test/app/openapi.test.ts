import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import t from 'tap';
import { buildTestApp } from '../helper.js';

t.test('the OpenAPI document', async (t) => {
  const app = await buildTestApp(t);
  const res = await app.inject({ method: 'GET', url: '/v1/openapi.json' });
  t.equal(res.statusCode, 200);
  const served = res.json();

  const committed = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
  t.same(served, committed, 'openapi/openapi.json is current (run `npm run openapi` after changing a route schema)');

  t.equal(served.openapi, '3.1.0');
  await t.resolves(SwaggerParser.validate(structuredClone(served) as never), 'a valid OpenAPI 3.1 document');

  const defaultedButRequired = Object.entries(served.paths as Record<string, Record<string, { parameters?: Array<Record<string, unknown>> }>>).flatMap(
    ([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        (operation.parameters ?? [])
          .filter((p) => p.in === 'query' && p.required && (p.schema as { default?: unknown }).default !== undefined)
          .map((p) => `${method} ${path} ${String(p.name)}`),
      ),
  );
  t.same(defaultedButRequired, [], 'a query parameter with a default is optional for clients');
  t.ok((served.paths['/v1/returns'].post.parameters as Array<{ name: string; required?: boolean }>).some((p) => p.name === 'dryRun' && p.required === false));

  for (const name of [
    'Problem',
    'FieldProblem',
    'DatasetRecord',
    'Dimension',
    'Return',
    'Aggregate',
    'Indicator',
    'Service',
    'Area',
    'Ethnicity',
    'RiskLevel',
  ]) {
    t.ok(served.components.schemas[name], `component ${name} is named`);
  }

  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries<Record<string, Record<string, unknown>>>(served.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      t.ok(op.operationId, `${where} has an operationId`);
      t.notOk(operationIds.has(op.operationId as string), `${where} operationId is unique`);
      operationIds.add(op.operationId as string);
      t.ok((op.tags as string[] | undefined)?.length, `${where} has tags`);
      t.ok(op.summary, `${where} has a summary`);
      t.ok(op.description, `${where} has a description`);
      t.ok(Array.isArray(op.security), `${where} declares its security (\`[]\` when public)`);
      const responses = op.responses as Record<string, { content?: Record<string, unknown> }>;
      if ((op.security as unknown[] | undefined)?.length) {
        t.ok(responses['401'] && responses['403'], `${where} documents 401 and 403`);
        t.ok(responses['401']?.content?.['application/problem+json'], `${where} errors are problem+json`);
      }
      if (op.requestBody) t.ok(responses['422'] && responses['400'], `${where} documents 400 and 422`);
      for (const [status, response] of Object.entries(responses as Record<string, { description?: string; headers?: Record<string, { $ref?: string }> }>)) {
        t.not(response.description, 'Default Response', `${where} ${status} says what it is`);
        t.equal(response.headers?.['x-request-id']?.$ref, '#/components/headers/RequestId', `${where} ${status} declares x-request-id`);
      }
    }
  }
});

t.test('the code lists are named components, and the record refers to them', async (t) => {
  const document = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
  const { schemas } = document.components;
  const record = schemas.DatasetRecord;
  t.notOk(schemas.Record, "no component named Record: it would hide TypeScript's Record<K, V> in generated clients");
  t.equal(record.properties.riskLevel.$ref, '#/components/schemas/RiskLevel');
  t.equal(record.properties.victim.properties.ethnicity.$ref, '#/components/schemas/Ethnicity');
  t.equal(record.properties.vawgTypes.items.$ref, '#/components/schemas/VawgType');
  t.notOk(record.$defs, 'the record schema has no $defs left in the document');
  for (const name of ['RiskLevel', 'Ethnicity', 'VawgType']) {
    const schema = schemas[name];
    t.ok(schema.description, `${name} has a description`);
    t.same(Object.keys(schema['x-enumDescriptions']), schema.enum, `${name} labels every code`);
  }
  t.ok(schemas.Ethnicity.enum.includes('not_known'), 'person fields accept not_known');
  t.notOk(
    Object.keys(schemas).some((name) => name.startsWith('Record-')),
    'no hoisted duplicates of the code lists',
  );
});
