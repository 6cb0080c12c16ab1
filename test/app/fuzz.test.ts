/**
 * Fuzzing driven by the served OpenAPI document: for every operation, with an admin key and with
 * none, every parameter and the body are given malformed values one at a time (wrong types,
 * control characters, unpaired surrogates, huge strings, 10,000 levels of nesting, wrong media
 * types and charsets, empty and invalid bodies), and every answer must be below 500 and, when it
 * is a 4xx, a problem document whose `status` is the status sent. Seeded, so a failure replays.
 */
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import t from 'tap';
import { recordsToCsv } from '../support/csv.js';
import { makeRecord } from '../support/records.js';
import { admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
  schema: Json;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Json; examples?: Record<string, { value: unknown }> }> };
}

const SEED = 20261201;
/** Looks like an SLK-581: a body value that must never come back in a problem. */
const MARKER = 'MIHAR010119802';
const DEEP_ARRAY = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
const DEEP_OBJECT = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
const HUGE = 'x'.repeat(1_000_000);

/** Text values for parameters: each is sent as the parameter's whole value. */
const hostileTexts = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\u0001\u001f\u007f',
  '%',
  '%zz',
  'null',
  'true',
  '-1',
  '0',
  '1.5',
  '1e309',
  '99999999999999999999999',
  'NaN',
  '[]',
  '{"a":1}',
  "'; drop table services; --",
  '../../etc/passwd',
  'x'.repeat(10_000),
  '😀'.repeat(50),
  '\u202e\u200b',
  MARKER,
  'a,b,,c',
  '2022-23-Q9',
  '0000-00-00T00:00:00Z',
];

/** Encodes for a URL, keeping the deliberately broken sequences broken; an unpaired surrogate goes as U+FFFD's bytes. */
function encode(text: string): string {
  if (text === '%' || text === '%zz') return text;
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/** Raw JSON texts for a value inside a body. */
const hostileJsonValues = [
  'null',
  '0',
  '-1',
  '1.5',
  '1e308',
  'true',
  '""',
  '"a\\u0000b"',
  '"\\ud800"',
  '"\\u0007"',
  JSON.stringify(MARKER),
  JSON.stringify(HUGE),
  '[]',
  '{}',
  '[null]',
  DEEP_ARRAY,
  DEEP_OBJECT,
];

/** Whole bodies, with the media type they are sent as. */
const hostileBodies: Array<{ name: string; type?: string; body: string | Buffer }> = [
  { name: 'empty JSON', type: 'application/json', body: '' },
  { name: 'truncated JSON', type: 'application/json', body: '{"a":' },
  { name: 'JSON null', type: 'application/json', body: 'null' },
  { name: 'JSON array', type: 'application/json', body: '[1,2]' },
  { name: 'JSON string', type: 'application/json', body: JSON.stringify(MARKER) },
  { name: 'JSON number', type: 'application/json', body: '1' },
  { name: 'invalid JSON quoting a value', type: 'application/json', body: `{"a":${MARKER}}` },
  { name: 'invalid UTF-8', type: 'application/json', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
  { name: 'BOM then JSON', type: 'application/json', body: '\ufeff{}' },
  { name: 'prototype poisoning', type: 'application/json', body: '{"__proto__":{"admin":true}}' },
  { name: 'constructor poisoning', type: 'application/json', body: '{"constructor":{"prototype":{"admin":true}}}' },
  { name: 'deep arrays', type: 'application/json', body: DEEP_ARRAY },
  { name: 'deep objects', type: 'application/json', body: DEEP_OBJECT },
  { name: 'charset=utf-16', type: 'application/json; charset=utf-16', body: '{}' },
  { name: 'charset=latin1', type: 'application/json; charset=latin1', body: '{}' },
  { name: 'text/plain', type: 'text/plain', body: '{}' },
  { name: 'text/csv garbage', type: 'text/csv', body: `a,b\n"${MARKER},x\n\u0000,"` },
  { name: 'text/csv JSON', type: 'text/csv', body: '{"a":' },
  { name: 'text/csv charset=utf-16', type: 'text/csv; charset=utf-16', body: 'a,b\n' },
  { name: 'XML', type: 'application/xml', body: '<a/>' },
  { name: 'form', type: 'application/x-www-form-urlencoded', body: 'a=1' },
  { name: 'multipart', type: 'multipart/form-data; boundary=x', body: '--x--' },
  { name: 'no content type', body: '{}' },
];

t.test('no malformed request to any documented operation answers 5xx', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'col-vva');
  const openapi = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Json> };
  };

  const resolve = (schema: Json): Json => {
    let current = schema;
    while (typeof current.$ref === 'string') current = openapi.components.schemas[current.$ref.split('/').at(-1)!] ?? {};
    return current;
  };
  const patternSamples = new Map<string, string>();
  /** A valid value for a schema, so that each case breaks one thing only. */
  const validValue = (raw: Json): unknown => {
    const schema = resolve(raw);
    if (schema.default !== undefined) return schema.default;
    if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
    if (Array.isArray(schema.enum)) return schema.enum[0];
    if (schema.const !== undefined) return schema.const;
    const variants = (schema.anyOf ?? schema.oneOf) as Json[] | undefined;
    if (variants) return validValue(variants[0]!);
    switch (schema.type) {
      case 'integer':
      case 'number':
        return (schema.minimum as number | undefined) ?? 1;
      case 'boolean':
        return false;
      case 'array':
        return Array.from({ length: (schema.minItems as number | undefined) ?? 0 }, () => validValue((schema.items as Json) ?? {}));
      case 'object': {
        const properties = (schema.properties ?? {}) as Record<string, Json>;
        const required = (schema.required ?? []) as string[];
        return Object.fromEntries(required.map((name) => [name, validValue(properties[name] ?? {})]));
      }
      case 'string': {
        if (schema.format === 'uuid') return '0b6d1f4e-0000-4000-8000-000000000000';
        if (schema.format === 'date-time') return '2022-05-01T00:00:00Z';
        if (schema.format === 'date') return '2022-05-01';
        if (typeof schema.pattern === 'string') {
          const pattern = schema.pattern;
          if (!patternSamples.has(pattern)) {
            const max = (schema.maxLength as number | undefined) ?? 40;
            const min = (schema.minLength as number | undefined) ?? 1;
            const sample = fc.sample(
              fc.stringMatching(new RegExp(pattern)).filter((s) => s.length >= min && s.length <= max),
              { seed: SEED, numRuns: 1 },
            )[0] as string;
            patternSamples.set(pattern, sample);
          }
          return patternSamples.get(pattern);
        }
        return 'x'.repeat((schema.minLength as number | undefined) ?? 1);
      }
      default:
        return 'x';
    }
  };

  const stats = { cases: 0, serverErrors: 0, notProblem: 0, refusedByClient: 0 };
  const failures: string[] = [];
  const check = async (name: string, request: InjectOptions, bodyHadMarker = false) => {
    let res;
    try {
      res = await app.inject(request);
    } catch (error) {
      // light-my-request refuses some header values itself (as Node's client would): not a server answer.
      if (/header/i.test((error as Error).message)) {
        stats.refusedByClient++;
        return;
      }
      throw error;
    }
    stats.cases++;
    if (res.statusCode >= 500) {
      stats.serverErrors++;
      failures.push(`${name}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      return;
    }
    if (res.statusCode >= 400) {
      const problem = /^application\/problem\+json/.test(String(res.headers['content-type'])) ? (res.json() as { status?: number }) : undefined;
      if (!problem || problem.status !== res.statusCode) {
        stats.notProblem++;
        failures.push(`${name}: ${res.statusCode} is not a problem document with that status (${String(res.headers['content-type'])})`);
      } else if (bodyHadMarker && res.body.includes(MARKER)) {
        failures.push(`${name}: the problem quotes a body value back`);
      }
    }
  };

  const operations = Object.entries(openapi.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod)
      .filter(([, op]) => typeof op === 'object' && op !== null && 'operationId' in op)
      .map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
  t.ok(operations.length >= 30, `${operations.length} operations in the document`);

  const principals: Array<{ who: string; auth: Record<string, string>; bodies: boolean }> = [
    { who: 'admin', auth: admin, bodies: true },
    { who: 'analyst', auth: bearer(await createKey(app, 'analyst')), bodies: false },
    { who: 'provider', auth: bearer(await createKey(app, 'provider', ['col-vva'])), bodies: false },
    // Without a key the request ends at authentication, before the body is read: parameters suffice.
    { who: 'anonymous', auth: {}, bodies: false },
  ];
  // Seeded random text: any UTF-16 code unit, so controls and unpaired surrogates too.
  const randomTexts = fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { seed: SEED, numRuns: 6 });
  const randomBodies = fc.sample(fc.jsonValue({ maxDepth: 4 }), { seed: SEED + 1, numRuns: 12 }).map((value) => JSON.stringify(value) ?? 'null');

  for (const { who, auth, bodies } of principals) {
    for (const { path, method, op } of operations) {
      const parameters = op.parameters ?? [];
      const valid = new Map(parameters.map((p) => [`${p.in}:${p.name}`, String(validValue(p.schema))]));
      const build = (override?: { key: string; raw: string }) => {
        let url = path;
        const query: string[] = [];
        const headers: Record<string, string> = { ...auth };
        for (const p of parameters) {
          const key = `${p.in}:${p.name}`;
          const value = override?.key === key ? override.raw : encode(valid.get(key)!);
          if (p.in === 'path') url = url.replace(`{${p.name}}`, value);
          else if (p.in === 'query' && (p.required || override?.key === key)) query.push(`${p.name}=${value}`);
          else if (p.in === 'header' && override?.key === key) headers[p.name] = override.raw;
        }
        return { url: query.length ? `${url}?${query.join('&')}` : url, headers };
      };
      const json = op.requestBody?.content['application/json'];
      const example = json?.examples ? Object.values(json.examples)[0]?.value : undefined;
      const baseBody =
        path === '/v1/returns'
          ? { service: 'col-vva', period: '2022-23-Q1', records: [makeRecord(1)] }
          : (example ?? (json ? validValue(json.schema) : undefined));
      const withBody = (headers: Record<string, string>) =>
        baseBody === undefined ? { headers } : { headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(baseBody) };

      // Each parameter broken in turn, the others valid.
      for (const p of parameters) {
        const key = `${p.in}:${p.name}`;
        // Header values go as they are; query and path values URL-encoded.
        // Analyst and provider keys reach role-specific code (disclosure control, own services): a sample suffices.
        const texts = who === 'admin' || who === 'anonymous' ? [...hostileTexts, ...randomTexts] : hostileTexts.filter((_, i) => i % 3 === 0);
        const raws = texts.map((text) => (p.in === 'header' ? text : encode(text)));
        if (p.in === 'header') raws.push('k'.repeat(100_000));
        else raws.push('%ED%A0%80', encode('y'.repeat(200_000)));
        for (const raw of raws) {
          const { url, headers } = build({ key, raw });
          // The marker is also sent twice, the array form of a query parameter.
          const sent = p.in === 'query' && raw === encode(MARKER) ? `${url}&${p.name}=${raw}` : url;
          await check(`${who} ${method} ${path} ${key}=${raw.slice(0, 40)}`, { method, url: sent, ...withBody(headers) });
        }
      }
      // Unknown query parameters, and the request as documented.
      const { url, headers } = build();
      await check(`${who} ${method} ${path} valid`, { method, url, ...withBody(headers) });
      await check(`${who} ${method} ${path} unknown query`, { method, url: `${url}${url.includes('?') ? '&' : '?'}zz%00=%00&zz=1`, ...withBody(headers) });

      if (!bodies || (!op.requestBody && method === 'GET')) continue;
      // Whole bodies: invalid, empty, the wrong media type or charset.
      for (const body of hostileBodies)
        await check(
          `${who} ${method} ${path} body ${body.name}`,
          { method, url, headers: { ...headers, ...(body.type ? { 'content-type': body.type } : {}) }, payload: body.body },
          true,
        );
      for (const [i, body] of randomBodies.entries())
        await check(`${who} ${method} ${path} random body ${i}`, { method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: body });
      // Each top-level property of the body broken in turn, removed, and an unknown one added.
      if (baseBody && typeof baseBody === 'object' && !Array.isArray(baseBody)) {
        const text = JSON.stringify(baseBody);
        const send = (name: string, payload: string) =>
          check(`${who} ${method} ${path} ${name}`, { method, url, headers: { ...headers, 'content-type': 'application/json' }, payload }, true);
        for (const property of Object.keys(baseBody as Json)) {
          for (const value of hostileJsonValues) {
            const placeholder = '"__FUZZ__"';
            await send(
              `${property}=${value.slice(0, 30)}`,
              JSON.stringify({ ...(baseBody as Json), [property]: '__FUZZ__' }).replace(placeholder, () => value),
            );
          }
          const { [property]: _removed, ...rest } = baseBody as Json;
          await send(`without ${property}`, JSON.stringify(rest));
        }
        await send('unknown property', `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"zz\\u0000":1,"${MARKER}":1}`);
      }
    }
    if (bodies) {
      // Inside a return: each field of a record broken in turn, as JSON and as a CSV cell.
      const record = makeRecord(1);
      const leaves: string[][] = [];
      const walk = (value: unknown, path: string[]) => {
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
        else leaves.push(path);
      };
      walk(record, []);
      const placeholder = '"__FUZZ__"';
      for (const leaf of leaves) {
        const broken = structuredClone(record) as Json;
        let node = broken;
        for (const part of leaf.slice(0, -1)) node = node[part] as Json;
        node[leaf.at(-1)!] = '__FUZZ__';
        const text = JSON.stringify({ service: 'col-vva', period: '2022-23-Q1', records: [broken] });
        for (const value of ['null', '"a\\u0000b"', '"\\ud800"', '1e309', '{}', DEEP_ARRAY, JSON.stringify(MARKER)])
          await check(
            `${who} POST /v1/returns record ${leaf.join('.')}=${value.slice(0, 20)}`,
            { method: 'POST', url: '/v1/returns', headers: { ...auth, 'content-type': 'application/json' }, payload: text.replace(placeholder, () => value) },
            true,
          );
      }
      const [header, row] = recordsToCsv([record]).split('\n');
      const cells = row!.split(',');
      const columns = fc.sample(fc.nat({ max: cells.length - 1 }), { seed: SEED + 2, numRuns: 25 });
      for (const column of columns)
        for (const value of ['a\u0000b', `"${MARKER}`, `${MARKER}"x`, '\ud800', 'x'.repeat(5000), '"a""b"', '=cmd|/c calc']) {
          const brokenRow = [...cells];
          brokenRow[column] = value;
          await check(
            `${who} POST /v1/returns CSV column ${column + 1}=${value.slice(0, 20)}`,
            {
              method: 'POST',
              url: '/v1/returns?service=col-vva&period=2022-23-Q1',
              headers: { ...auth, 'content-type': 'text/csv' },
              payload: `${header}\n${brokenRow.join(',')}\n`,
            },
            true,
          );
        }
    }
    // Methods a path does not answer.
    for (const [path, byMethod] of Object.entries(openapi.paths)) {
      const url = path.replace(/\{[^}]+\}/g, 'x1');
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].filter((m) => !(m.toLowerCase() in byMethod))) {
        await check(`${who} ${method} ${path}`, { method: method as InjectOptions['method'], url, headers: auth });
      }
    }
  }

  t.comment(
    `fuzz: ${stats.cases} requests, ${stats.serverErrors} answered 5xx, ${stats.notProblem} 4xx without a problem document (${stats.refusedByClient} header values refused by the client library)`,
  );
  t.ok(stats.cases > 3000, `${stats.cases} requests were tried`);
  t.same(failures.slice(0, 25), [], 'every answer is below 500, and every 4xx a problem document with its status');
  t.equal(stats.serverErrors, 0, 'no 5xx');
});
