import { readFile } from 'node:fs/promises';
import t from 'tap';
import { findBreakingChanges, findRenamedComponents, readAcceptedChanges, unacceptedChanges } from '../../scripts/check-openapi-compat.js';
import { ADMIN_KEY, buildTestApp } from '../helper.js';

type Json = Record<string, unknown>;

const load = async (path: string) => JSON.parse(await readFile(new URL(`../../${path}`, import.meta.url), 'utf8')) as Json;

/** Follows `$ref`s inside `doc` and returns the object itself, so a test can change it in place. */
function deref(doc: Json, node: unknown): Json {
  let current = node as Json;
  for (let i = 0; typeof current.$ref === 'string' && i < 20; i++) {
    current = (current.$ref as string)
      .slice(2)
      .split('/')
      .reduce<Json>((at, part) => at[part] as Json, doc);
  }
  return current;
}

/** The schema object whose `properties` names `name`, looking through `$ref`, anyOf, oneOf, allOf and array items. */
function holderOf(doc: Json, node: unknown, name: string): Json {
  const schema = deref(doc, node);
  if ((schema.properties as Json | undefined)?.[name] !== undefined) return schema;
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const branch of (schema[key] as unknown[]) ?? []) {
      try {
        return holderOf(doc, branch, name);
      } catch {
        // not in this branch
      }
    }
  }
  if (schema.items) return holderOf(doc, schema.items, name);
  throw new Error(`no property ${name}`);
}

/** The schema at a dotted path of properties (`victim.ethnicity`). */
function at(doc: Json, node: unknown, path: string): Json {
  return path.split('.').reduce<Json>((schema, name) => deref(doc, (holderOf(doc, schema, name).properties as Json)[name]), deref(doc, node));
}

/** The schema object carrying the `enum` of a coded field. */
function enumHolder(doc: Json, schema: Json): Json {
  if (Array.isArray(schema.enum)) return schema;
  if (schema.items) return enumHolder(doc, deref(doc, schema.items));
  for (const branch of [...((schema.anyOf as unknown[]) ?? []), ...((schema.oneOf as unknown[]) ?? [])]) {
    const b = deref(doc, branch);
    if (Array.isArray(b.enum) || b.items || b.anyOf || b.oneOf) return enumHolder(doc, b);
  }
  throw new Error('no enum');
}

const record = (doc: Json) => ((doc.components as Json).schemas as Json).DatasetRecord as Json;
const operation = (doc: Json, path: string, method: string) => (doc.paths as Record<string, Json>)[path]![method] as Json;
const okBody = (doc: Json, path: string, status: string) =>
  ((((operation(doc, path, 'get').responses as Json)[status] as Json).content as Json)['application/json'] as Json).schema;

t.test('the v1 OpenAPI document only grows', async (t) => {
  const baseline = await load('openapi/baseline/v1.json');
  const current = await load('openapi/openapi.json');

  const accepted = await readAcceptedChanges();
  t.same(
    unacceptedChanges(findBreakingChanges(baseline, current), accepted),
    [],
    'openapi/openapi.json has no breaking change against openapi/baseline/v1.json but those recorded as accepted',
  );
  for (const entry of accepted) t.ok(entry.reason.length > 20, `accepted change has a reason: ${entry.change}`);
  t.same(findBreakingChanges(current, structuredClone(current)), [], 'a document is compatible with itself');

  /** Changes a copy of the current document and returns what the checker reports. */
  const breakCopy = (change: (doc: Json) => void) => {
    const copy = structuredClone(current);
    change(copy);
    return findBreakingChanges(current, copy);
  };
  const reports = (t: Tap, found: string[], ...patterns: RegExp[]) => {
    t.ok(
      found.some((m) => patterns.every((p) => p.test(m))),
      `reported as ${patterns.join(' + ')}; got ${JSON.stringify(found)}`,
    );
  };
  type Tap = typeof t;

  await t.test('deliberately broken copies are caught, naming the path or field', async (t) => {
    reports(
      t,
      breakCopy((doc) => delete (doc.paths as Json)['/v1/returns/{id}']),
      /^\/v1\/returns\/\{id\}: path removed/,
    );

    reports(
      t,
      breakCopy((doc) => delete (doc.paths as Record<string, Json>)['/v1/periods/{period}/lock']!.delete),
      /DELETE \/v1\/periods\/\{period\}\/lock: operation removed/,
    );

    // A response field of the return read back by GET /v1/returns/{id}.
    const removedField = breakCopy((doc) => {
      const holder = holderOf(doc, okBody(doc, '/v1/returns/{id}', '200'), 'recordCount');
      delete (holder.properties as Json).recordCount;
      holder.required = ((holder.required as string[]) ?? []).filter((k) => k !== 'recordCount');
    });
    reports(t, removedField, /GET \/v1\/returns\/\{id\} response 200/, /\brecordCount\b/, /property removed/);

    // A code removed from a code list: no longer accepted in returns, and no longer in records read back.
    const removedCode = breakCopy((doc) => {
      const holder = enumHolder(doc, at(doc, record(doc), 'victim.ethnicity'));
      holder.enum = (holder.enum as unknown[]).filter((code) => code !== 'white_irish');
    });
    reports(t, removedCode, /POST \/v1\/returns request body/, /victim\.ethnicity/, /enum value "white_irish" removed/);
    reports(t, removedCode, /GET \/v1\/returns\/\{id\} response 200/, /victim\.ethnicity/, /enum value "white_irish" removed/);

    // An optional field of a record made required.
    const optional = breakCopy((doc) => {
      const victim = at(doc, record(doc), 'victim');
      const holder = holderOf(doc, victim, 'pregnancy');
      t.notOk(((holder.required as string[]) ?? []).includes('pregnancy'), 'victim.pregnancy is optional in v1');
      holder.required = [...((holder.required as string[]) ?? []), 'pregnancy'];
    });
    reports(t, optional, /POST \/v1\/returns request body/, /victim\.pregnancy/, /optional property is now required/);

    // A new required field in a record.
    const newRequired = breakCopy((doc) => {
      const holder = holderOf(doc, record(doc), 'referralId');
      (holder.properties as Json).caseWorkerTeam = { type: 'string' };
      holder.required = [...(holder.required as string[]), 'caseWorkerTeam'];
    });
    reports(t, newRequired, /POST \/v1\/returns request body/, /caseWorkerTeam/, /new required property/);

    // A new required property deep inside a request body (the closure of a record).
    reports(
      t,
      breakCopy((doc) => {
        const holder = holderOf(doc, at(doc, record(doc), 'closure'), 'closedDate');
        (holder.properties as Json).outcomeCode = { type: 'string' };
        holder.required = [...((holder.required as string[]) ?? []), 'outcomeCode'];
      }),
      /closure\.outcomeCode/,
      /new required property/,
    );

    // Parameters: removed, renamed, made required, newly required.
    const params = (doc: Json) => operation(doc, '/v1/aggregates', 'get').parameters as Json[];
    const firstOptional = (params(current).find((p) => p.in === 'query' && p.required !== true) as Json).name as string;
    reports(
      t,
      breakCopy((doc) => {
        const p = params(doc).find((q) => q.name === firstOptional)!;
        p.name = `${firstOptional}Renamed`;
      }),
      new RegExp(`GET /v1/aggregates: query parameter '${firstOptional}' removed or renamed`),
    );
    reports(
      t,
      breakCopy((doc) => (params(doc).find((q) => q.name === firstOptional)!.required = true)),
      new RegExp(`query parameter '${firstOptional}': optional parameter is now required`),
    );
    reports(
      t,
      breakCopy((doc) => params(doc).push({ in: 'query', name: 'tenant', required: true, schema: { type: 'string' } })),
      /GET \/v1\/aggregates: new required query parameter 'tenant'/,
    );

    // A narrowed request type: a nullable field no longer takes null.
    reports(
      t,
      breakCopy((doc) => {
        const age = at(doc, record(doc), 'victim.age');
        if (Array.isArray(age.type)) age.type = 'integer';
        else {
          for (const key of ['anyOf', 'oneOf'] as const) if (age[key]) age[key] = (age[key] as Json[]).filter((b) => deref(doc, b).type !== 'null');
        }
      }),
      /victim\.age/,
      /no longer accepts null/,
    );

    // A changed response type, a removed success status, a removed named schema.
    reports(
      t,
      breakCopy((doc) => {
        const holder = holderOf(doc, okBody(doc, '/v1/returns/{id}', '200'), 'version');
        (holder.properties as Json).version = { type: 'string' };
      }),
      /GET \/v1\/returns\/\{id\} response 200/,
      /\bversion\b/,
      /type changed from integer to string/,
    );
    reports(
      t,
      breakCopy((doc) => delete (operation(doc, '/v1/returns/{id}', 'get').responses as Json)['200']),
      /GET \/v1\/returns\/\{id\}: response 200 removed/,
    );
    reports(
      t,
      breakCopy((doc) => delete ((doc.components as Json).schemas as Json).Problem),
      /components\.schemas\.Problem: named schema removed/,
    );
    reports(
      t,
      breakCopy((doc) => (operation(doc, '/v1', 'get').security = [{ bearerAuth: [] }])),
      /GET \/v1: now requires authentication/,
    );
  });

  await t.test('additions are not breaking', async (t) => {
    const added = breakCopy((doc) => {
      (doc.paths as Json)['/v1/new-thing'] = { get: { operationId: 'getNewThing', responses: { 200: { description: 'ok' } } } };
      // A new optional field in a record and in a response.
      const holder = holderOf(doc, record(doc), 'referralId');
      (holder.properties as Json).caseWorkerTeam = { type: 'string' };
      const response = holderOf(doc, okBody(doc, '/v1/returns/{id}', '200'), 'recordCount');
      (response.properties as Json).checksum = { type: 'string' };
      // A new code in a code list (accepted in returns, may appear in responses).
      const ethnicity = enumHolder(doc, at(doc, record(doc), 'victim.ethnicity'));
      ethnicity.enum = [...(ethnicity.enum as unknown[]), 'a_new_code'];
      // A new optional parameter, a new success status.
      (operation(doc, '/v1/aggregates', 'get').parameters as Json[]).push({ in: 'query', name: 'newFilter', required: false, schema: { type: 'string' } });
      (operation(doc, '/v1/returns/{id}', 'get').responses as Json)['203'] = { description: 'new' };
    });
    t.same(added, [], 'new paths, optional fields, enum values, parameters and statuses');

    // A required parameter made optional, a limit raised: relaxed, so not breaking.
    const relaxed = breakCopy((doc) => {
      for (const p of operation(doc, '/v1/aggregates', 'get').parameters as Json[]) p.required = false;
      const team = at(doc, record(doc), 'referralId');
      if (typeof team.maxLength === 'number') team.maxLength += 10;
    });
    t.same(relaxed, [], 'relaxed requirements');
  });
});

t.test('a named schema renamed with the same shape is a rename, not a removal', async (t) => {
  const current = await load('openapi/openapi.json');
  const renamedCopy = structuredClone(current);
  const schemas = (renamedCopy.components as Json).schemas as Json;
  schemas.ReturnRecord = schemas.DatasetRecord;
  delete schemas.DatasetRecord;
  const retarget = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(retarget);
    if (typeof node !== 'object' || node === null) return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [k, k === '$ref' && v === '#/components/schemas/DatasetRecord' ? '#/components/schemas/ReturnRecord' : retarget(v)]),
    );
  };
  const renamed = retarget(renamedCopy) as Json;
  t.same([...findRenamedComponents(current, renamed)], [['DatasetRecord', 'ReturnRecord']]);
  t.same(findBreakingChanges(current, renamed), [], 'the same wire format');

  // Renamed and changed: still a removal, and the change is reported.
  const changed = structuredClone(renamed);
  const record = ((changed.components as Json).schemas as Json).ReturnRecord as Json;
  record.required = [...(record.required as string[]), 'caseWorkerTeam'];
  (record.properties as Json).caseWorkerTeam = { type: 'string' };
  t.ok(
    findBreakingChanges(current, changed).some((m) => /components\.schemas\.DatasetRecord: named schema removed/.test(m)),
    'a renamed schema whose shape changed is not taken for a rename',
  );
});

t.test('a list parameter is compared as the comma-separated text it is sent as', async (t) => {
  const current = await load('openapi/openapi.json');
  const groupBy = (doc: Json) => (operation(doc, '/v1/aggregates', 'get').parameters as Json[]).find((p) => p.name === 'groupBy')!;
  t.match(groupBy(current), { style: 'form', explode: false, schema: { type: 'array' } });

  const exploded = structuredClone(current);
  groupBy(exploded).explode = true;
  t.ok(
    findBreakingChanges(current, exploded).some((m) => /groupBy/.test(m) && /sent differently/.test(m)),
    'sent as repeated parameters instead: breaking',
  );
  const fewer = structuredClone(current);
  (groupBy(fewer).schema as Json).maxItems = 2;
  t.ok(
    findBreakingChanges(current, fewer).some((m) => /groupBy.*maxItems lowered to 2 \(was 4\)/.test(m)),
    'fewer items allowed: breaking',
  );
  const more = structuredClone(current);
  (groupBy(more).schema as Json).maxItems = 6;
  t.same(findBreakingChanges(current, more), [], 'more items allowed: not breaking');
});

t.test('each accepted narrowing is what the server has always enforced', async (t) => {
  // accepted-changes.json says these values were refused before the document said so: the server still refuses them.
  const app = await buildTestApp(t);
  const ask = (groupBy: string) =>
    app.inject({ method: 'GET', url: `/v1/aggregates?period=2022-23&groupBy=${groupBy}`, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const cases: Array<[string, string, string]> = [
    ['category,notADimension', 'not_in_code_list', 'an entry that is not a dimension'],
    ['category,riskLevel,sex,ageBand,ethnicity', 'too_many_items', 'more than 4 dimensions'],
    ['category,category', 'duplicate', 'a dimension twice'],
  ];
  for (const [groupBy, code, what] of cases) {
    const res = await ask(groupBy);
    t.equal(res.statusCode, 400, what);
    t.equal(res.json().errors?.[0]?.code, code, what);
  }
  t.equal((await ask('category,riskLevel')).statusCode, 200, 'two dimensions, comma-separated, as the document says');
});
