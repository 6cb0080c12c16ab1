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

  for (const name of ['Problem', 'FieldProblem', 'Record', 'ReturnSummary', 'Service', 'Area']) {
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
      const responses = op.responses as Record<string, { content?: Record<string, unknown> }>;
      if (op.security) {
        t.ok(responses['401'] && responses['403'], `${where} documents 401 and 403`);
        t.ok(responses['401']?.content?.['application/problem+json'], `${where} errors are problem+json`);
      }
      if (op.requestBody) t.ok(responses['422'] && responses['400'], `${where} documents 400 and 422`);
    }
  }
});
