import { readFile } from 'node:fs/promises';
import t from 'tap';
import { findBreakingChanges } from '../../scripts/check-openapi-compat.js';

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

const record = (doc: Json) => ((doc.components as Json).schemas as Json).Record as Json;
const operation = (doc: Json, path: string, method: string) => (doc.paths as Record<string, Json>)[path]![method] as Json;
const okBody = (doc: Json, path: string, status: string) =>
  ((((operation(doc, path, 'get').responses as Json)[status] as Json).content as Json)['application/json'] as Json).schema;

t.test('the v1 OpenAPI document only grows', async (t) => {
  const baseline = await load('openapi/baseline/v1.json');
  const current = await load('openapi/openapi.json');

  t.same(findBreakingChanges(baseline, current), [], 'openapi/openapi.json has no breaking change against openapi/baseline/v1.json');
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
