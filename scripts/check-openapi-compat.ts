/**
 * Breaking changes between two OpenAPI 3.1 documents: `findBreakingChanges(baseline, current)`
 * lists, one message per change, everything a v1 client could trip on (see docs/versioning.md).
 * `$ref`s are resolved (cycles included). Additions (paths, optional fields, enum values in
 * responses) are never reported.
 *
 *   node --import tsx scripts/check-openapi-compat.ts [baseline.json] [current.json]
 *
 * compares `openapi/baseline/v1.json` with `openapi/openapi.json` by default and exits 1 on a
 * breaking change not recorded in `openapi/baseline/accepted-changes.json`.
 *
 * What a client sends and receives is compared, not how the document spells it: a query parameter
 * with `style: form, explode: false` and an array schema travels as one comma-separated value, so it
 * is compared with a plain string parameter item by item; a named schema renamed with the same
 * shape (`findRenamedComponents`) changes no byte on the wire, so it is listed as a rename, not as a
 * removal (a client generated again gets the new type name: say so in the CHANGELOG).
 */
import { readFile } from 'node:fs/promises';

type Json = Record<string, unknown>;
type Direction = 'request' | 'response';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
type TypeSet = Set<string> | 'any';

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown) => JSON.stringify(value);

/** A schema reached through the document: the node after `$ref`s, the component it is in, and its `$ref` key. */
interface Resolved {
  schema: Json;
  /** The `$ref` that led here, when there was one (for cycle detection). */
  ref?: string;
  /** The named component (`components.schemas.X`) this schema is, or is inside. */
  name?: string;
  /** The schema resource `#/…` fragments resolve against when the document root does not have them. */
  base?: Json;
}

class Document {
  readonly dangling = new Set<string>();
  constructor(readonly root: Json) {}

  pointer(ref: string, base?: Json): unknown {
    if (!ref.startsWith('#')) return undefined;
    const parts = ref
      .slice(1)
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p).replace(/~1/g, '/').replace(/~0/g, '~'));
    for (const start of [this.root, base]) {
      let node: unknown = start;
      for (const part of parts) node = isObject(node) || Array.isArray(node) ? (node as Json)[part] : undefined;
      if (node !== undefined) return node;
    }
    return undefined;
  }

  /** Follows `$ref`s (siblings of a `$ref` override the target's keywords, as in 3.1). */
  resolve(node: unknown, from: Omit<Resolved, 'schema'> = {}): Resolved {
    // Only the component and the base carry over: `ref` is the `$ref` that led to this very node.
    let current: Resolved = { name: from.name, base: from.base, schema: isObject(node) ? node : node === false ? { not: {} } : {} };
    for (let hops = 0; typeof current.schema.$ref === 'string' && hops < 64; hops++) {
      const ref = current.schema.$ref as string;
      const target = this.pointer(ref, current.base);
      const { $ref: _ref, ...siblings } = current.schema;
      if (!isObject(target)) {
        this.dangling.add(ref);
        return { ...current, schema: siblings };
      }
      const component = /^#\/components\/schemas\/([^/]+)$/.exec(ref)?.[1];
      const name = component ? decodeURIComponent(component) : current.name;
      current = { ref, name, base: component ? target : current.base, schema: { ...target, ...siblings } };
    }
    return current;
  }
}

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The branches of a schema: its `anyOf` / `oneOf` members (flattened, resolved), else itself. */
function branches(doc: Document, r: Resolved): Resolved[] {
  const members = [...((r.schema.anyOf as unknown[]) ?? []), ...((r.schema.oneOf as unknown[]) ?? [])];
  if (members.length === 0) return [r];
  const { anyOf: _a, oneOf: _o, ...rest } = r.schema;
  return members.flatMap((m) => {
    const b = doc.resolve(m, { name: r.name, base: r.base });
    // Keywords beside anyOf (a `description`, a shared `type`) apply to every branch.
    return branches(doc, { ...b, schema: { ...rest, ...b.schema } });
  });
}

function typesOf(doc: Document, r: Resolved): TypeSet {
  const all = branches(doc, r);
  const result = new Set<string>();
  for (const { schema } of all) {
    let own: string[] | undefined;
    if (typeof schema.type === 'string') own = [schema.type];
    else if (Array.isArray(schema.type)) own = schema.type as string[];
    else if ('const' in schema) own = [typeOfValue(schema.const)];
    else if (Array.isArray(schema.enum)) own = (schema.enum as unknown[]).map(typeOfValue);
    else if (isObject(schema.properties) || 'additionalProperties' in schema || Array.isArray(schema.required)) own = ['object'];
    else if ('items' in schema) own = ['array'];
    else if (isObject(schema.not) && Object.keys(schema.not).length === 0) own = [];
    if (!own) return 'any';
    if (schema.nullable === true) own.push('null');
    for (const t of own) result.add(t);
  }
  return result;
}

const covers = (set: TypeSet, t: string) => set === 'any' || set.has(t) || (t === 'integer' && set.has('number'));
const showTypes = (set: TypeSet) => (set === 'any' ? 'any type' : [...set].join(' | '));

/** The branch describing values of type `t`, merged with the keywords beside the branches. */
function branchFor(doc: Document, r: Resolved, t: string): Resolved | undefined {
  return branches(doc, r).find((b) => covers(typesOf(doc, b), t));
}

/** Every value an `enum` / `const` allows, or undefined when any value of the type is allowed. */
function enumOf(doc: Document, r: Resolved): Set<string> | undefined {
  const values = new Set<string>();
  for (const { schema } of branches(doc, r)) {
    if (Array.isArray(schema.enum)) for (const v of schema.enum) values.add(show(v));
    else if ('const' in schema) values.add(show(schema.const));
    else if (schema.type === 'null') values.add('null');
    else return undefined;
  }
  return values;
}

interface ObjectView {
  properties: Map<string, { node: unknown; from: Resolved }>;
  required: Set<string>;
  additional: unknown;
  /** `allOf` if/then requirements ("vawgTypes when category is vawg"), as comparable strings. */
  conditional: Set<string>;
}

/** The object part of a schema: properties and requirements from its object branches and `allOf` members. */
function objectView(doc: Document, r: Resolved): ObjectView {
  const view: ObjectView = { properties: new Map(), required: new Set(), additional: undefined, conditional: new Set() };
  const visit = (part: Resolved, depth: number) => {
    if (depth > 8) return;
    const { schema } = part;
    if (isObject(schema.properties))
      for (const [k, v] of Object.entries(schema.properties)) if (!view.properties.has(k)) view.properties.set(k, { node: v, from: part });
    if (Array.isArray(schema.required)) for (const k of schema.required) view.required.add(String(k));
    if (view.additional === undefined && 'additionalProperties' in schema) view.additional = schema.additionalProperties;
    for (const member of (schema.allOf as unknown[]) ?? []) {
      const m = doc.resolve(member, { name: part.name, base: part.base });
      if (isObject(m.schema.if) && isObject(m.schema.then)) {
        const then = doc.resolve(m.schema.then, { base: part.base }).schema;
        for (const k of (then.required as string[]) ?? []) {
          view.conditional.add(`${k} is required when ${describeIf(m.schema.if)}`);
        }
      } else visit(m, depth + 1);
    }
  };
  for (const b of branches(doc, r)) if (covers(typesOf(doc, b), 'object')) visit(b, 0);
  return view;
}

function describeIf(condition: Json): string {
  const props = isObject(condition.properties) ? condition.properties : {};
  const parts = Object.entries(props).map(([k, v]) => (isObject(v) && 'const' in v ? `${k} is ${show(v.const)}` : `${k} matches ${show(v)}`));
  return parts.length > 0 ? parts.join(' and ') : show(condition);
}

function itemsOf(doc: Document, r: Resolved): { node: unknown; from: Resolved } | undefined {
  const b = branchFor(doc, r, 'array');
  return b && 'items' in b.schema ? { node: b.schema.items, from: b } : undefined;
}

/** Bounds where a larger value narrows what is accepted, and where a smaller one does. */
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'] as const;
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'] as const;

class Comparison {
  readonly changes: string[] = [];
  private readonly seen = new Set<string>();
  constructor(
    readonly before: Document,
    readonly after: Document,
  ) {}

  report(where: string, field: string, name: string | undefined, what: string) {
    const at = [field ? field : '(the body itself)', name ? ` in schema ${name}` : ''].join('');
    const message = `${where}: ${at}: ${what}`;
    if (!this.changes.includes(message)) this.changes.push(message);
  }

  schema(
    oldNode: unknown,
    oldFrom: Omit<Resolved, 'schema'>,
    newNode: unknown,
    newFrom: Omit<Resolved, 'schema'>,
    dir: Direction,
    where: string,
    field: string,
  ) {
    const o = this.before.resolve(oldNode, oldFrom);
    const n = this.after.resolve(newNode, newFrom);
    if (o.ref || n.ref) {
      // A named schema used in many places is compared once per direction (and cycles end here).
      const key = `${dir} ${o.name}${o.ref ?? field} ${n.name}${n.ref ?? field}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    const name = n.name ?? o.name;
    const say = (what: string) => this.report(where, field, name, what);
    const oldTypes = typesOf(this.before, o);
    const newTypes = typesOf(this.after, n);

    if (dir === 'request') {
      if (oldTypes === 'any' && newTypes !== 'any') say(`now accepts only ${showTypes(newTypes)} (any type was accepted)`);
      else if (oldTypes !== 'any')
        for (const t of oldTypes) if (!covers(newTypes, t)) say(`no longer accepts ${t} (type narrowed from ${showTypes(oldTypes)} to ${showTypes(newTypes)})`);
      const oldEnum = enumOf(this.before, o);
      const newEnum = enumOf(this.after, n);
      if (newEnum && !oldEnum) say(`now restricted to the values ${[...newEnum].join(', ')}`);
      if (newEnum && oldEnum) for (const v of oldEnum) if (!newEnum.has(v)) say(`enum value ${v} removed (no longer accepted)`);
      if ('default' in o.schema && 'default' in n.schema && show(o.schema.default) !== show(n.schema.default))
        say(`default changed from ${show(o.schema.default)} to ${show(n.schema.default)}`);
    } else {
      if (newTypes === 'any' && oldTypes !== 'any') say(`type changed from ${showTypes(oldTypes)} to any type`);
      else if (newTypes !== 'any')
        for (const t of newTypes) if (!covers(oldTypes, t)) say(`type changed from ${showTypes(oldTypes)} to ${showTypes(newTypes)} (may now be ${t})`);
      const oldEnum = enumOf(this.before, o);
      const newEnum = enumOf(this.after, n);
      if (oldEnum && newEnum) for (const v of oldEnum) if (!newEnum.has(v)) say(`enum value ${v} removed`);
    }

    // Scalar constraints, compared between the branches for the same type.
    for (const t of ['string', 'number', 'integer', 'array'] as const) {
      if (!covers(oldTypes, t) || !covers(newTypes, t)) continue;
      const ob = branchFor(this.before, o, t)?.schema ?? {};
      const nb = branchFor(this.after, n, t)?.schema ?? {};
      if (dir === 'request') {
        for (const k of ['format', 'pattern', 'multipleOf'] as const) {
          if (nb[k] !== undefined && show(nb[k]) !== show(ob[k]))
            say(ob[k] === undefined ? `now requires ${k} ${show(nb[k])}` : `${k} changed from ${show(ob[k])} to ${show(nb[k])}`);
        }
        for (const k of LOWER_BOUNDS)
          if (typeof nb[k] === 'number' && !((ob[k] as number) >= (nb[k] as number)))
            say(`${k} raised to ${String(nb[k])}${ob[k] === undefined ? '' : ` (was ${String(ob[k])})`}`);
        for (const k of UPPER_BOUNDS)
          if (typeof nb[k] === 'number' && !((ob[k] as number) <= (nb[k] as number)))
            say(`${k} lowered to ${String(nb[k])}${ob[k] === undefined ? '' : ` (was ${String(ob[k])})`}`);
        if (nb.uniqueItems === true && ob.uniqueItems !== true) say('items must now be unique');
      } else if (ob.format !== undefined && ob.format !== nb.format) {
        say(`format changed from ${show(ob.format)} to ${nb.format === undefined ? 'none' : show(nb.format)}`);
      }
    }

    if (covers(oldTypes, 'object') && covers(newTypes, 'object')) this.object(o, n, dir, where, field);

    if (covers(oldTypes, 'array') && covers(newTypes, 'array')) {
      const oi = itemsOf(this.before, o);
      const ni = itemsOf(this.after, n);
      if (oi && ni) this.schema(oi.node, oi.from, ni.node, ni.from, dir, where, `${field}[]`);
      else if (oi && !ni && dir === 'response') say('items are no longer described');
      else if (!oi && ni && dir === 'request') this.schema({}, {}, ni.node, ni.from, dir, where, `${field}[]`);
    }
  }

  private object(o: Resolved, n: Resolved, dir: Direction, where: string, field: string) {
    const ov = objectView(this.before, o);
    const nv = objectView(this.after, n);
    const name = n.name ?? o.name;
    const child = (k: string) => (field ? `${field}.${k}` : k);
    for (const [k, { node, from }] of ov.properties) {
      const next = nv.properties.get(k);
      if (!next) {
        this.report(where, child(k), name, dir === 'request' ? 'property no longer accepted (removed or renamed)' : 'property removed (or renamed)');
        continue;
      }
      this.schema(node, from, next.node, next.from, dir, where, child(k));
    }
    if (dir === 'request') {
      for (const k of nv.required) {
        if (ov.required.has(k)) continue;
        this.report(where, child(k), name, ov.properties.has(k) ? 'optional property is now required' : 'new required property');
      }
      for (const text of nv.conditional) if (!ov.conditional.has(text)) this.report(where, field, name, `new conditional requirement: ${text}`);
      if (nv.additional === false && ov.additional !== false)
        this.report(where, field, name, 'no longer accepts properties it does not name (additionalProperties: false)');
      if (isObject(ov.additional) && isObject(nv.additional)) this.schema(ov.additional, o, nv.additional, n, dir, where, `${field}{*}`);
    } else {
      for (const k of ov.required) if (!nv.required.has(k) && nv.properties.has(k)) this.report(where, child(k), name, 'was always present, now may be absent');
      if (isObject(ov.additional) && isObject(nv.additional)) this.schema(ov.additional, o, nv.additional, n, dir, where, `${field}{*}`);
    }
  }
}

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: unknown;
  style?: string;
  explode?: boolean;
}

/** A parameter sent as one comma-separated list (`style: form`, `explode: false`, an array): its items and bounds. */
interface ListForm {
  items: unknown;
  minItems: number;
  maxItems: number | undefined;
  uniqueItems: boolean;
}

function listFormOf(doc: Document, p: Parameter): ListForm | undefined {
  if (p.in !== 'query' || p.explode !== false || (p.style ?? 'form') !== 'form') return undefined;
  const schema = doc.resolve(p.schema).schema;
  if (schema.type !== 'array') return undefined;
  return {
    items: schema.items ?? {},
    minItems: typeof schema.minItems === 'number' ? schema.minItems : 0,
    maxItems: typeof schema.maxItems === 'number' ? schema.maxItems : undefined,
    uniqueItems: schema.uniqueItems === true,
  };
}

/** A plain string parameter seen as a list: any items, at least one when the empty string is refused. */
function stringAsList(doc: Document, p: Parameter): ListForm | undefined {
  const schema = doc.resolve(p.schema).schema;
  if (schema.type !== 'string' || 'enum' in schema || 'const' in schema) return undefined;
  const refusesEmpty =
    (typeof schema.minLength === 'number' && schema.minLength > 0) || (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(''));
  return { items: { type: 'string' }, minItems: refusesEmpty ? 1 : 0, maxItems: undefined, uniqueItems: false };
}

function parametersOf(doc: Document, pathItem: Json, operation: Json, template: string): Map<string, Parameter> {
  const result = new Map<string, Parameter>();
  const pathNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  for (const raw of [...((pathItem.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])]) {
    const p = doc.resolve(raw).schema;
    const where = String(p.in);
    const name = String(p.name);
    // Path parameters are positional for a client: renaming {id} to {returnId} changes nothing.
    const key = where === 'path' ? `path#${pathNames.indexOf(name)}` : `${where}:${where === 'header' ? name.toLowerCase() : name}`;
    result.set(key, {
      name,
      in: where,
      required: p.required === true,
      schema: p.schema ?? {},
      ...(typeof p.style === 'string' ? { style: p.style } : {}),
      ...(typeof p.explode === 'boolean' ? { explode: p.explode } : {}),
    });
  }
  return result;
}

const normalisePath = (template: string) => template.replace(/\{[^}]+\}/g, '{}');

function effectiveSecurity(doc: Json, operation: Json): unknown[] {
  return (operation.security as unknown[]) ?? (doc.security as unknown[]) ?? [];
}

function mediaOf(doc: Document, node: unknown): Map<string, unknown> {
  const content = doc.resolve(node).schema.content;
  return new Map(isObject(content) ? Object.entries(content).map(([type, media]) => [type, isObject(media) ? media.schema : undefined]) : []);
}

function collectRefs(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const v of node) collectRefs(v, into);
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.add(v);
      else collectRefs(v, into);
    }
  }
  return into;
}

/** Every change from `baseline` to `current` that could break a client written against `baseline`. */
export function findBreakingChanges(baseline: Json, current: Json): string[] {
  const before = new Document(baseline);
  const after = new Document(current);
  const cmp = new Comparison(before, after);
  const changes = cmp.changes;

  const newPaths = new Map(Object.entries((current.paths as Json) ?? {}).map(([p, item]) => [normalisePath(p), { template: p, item: item as Json }]));
  for (const [template, rawItem] of Object.entries((baseline.paths as Json) ?? {})) {
    const oldItem = before.resolve(rawItem).schema;
    const match = newPaths.get(normalisePath(template));
    if (!match) {
      changes.push(
        `${template}: path removed (${METHODS.filter((m) => isObject(oldItem[m]))
          .map((m) => m.toUpperCase())
          .join(', ')})`,
      );
      continue;
    }
    const newItem = after.resolve(match.item).schema;
    for (const method of METHODS) {
      const oldOp = oldItem[method];
      if (!isObject(oldOp)) continue;
      const where = `${method.toUpperCase()} ${template}`;
      const newOp = newItem[method];
      if (!isObject(newOp)) {
        changes.push(`${where}: operation removed`);
        continue;
      }

      if (effectiveSecurity(baseline, oldOp).length === 0 && effectiveSecurity(current, newOp).length > 0)
        changes.push(`${where}: now requires authentication`);

      const oldParams = parametersOf(before, oldItem, oldOp, template);
      const newParams = parametersOf(after, newItem, newOp, match.template);
      for (const [key, p] of oldParams) {
        const q = newParams.get(key);
        const label = `${where}: ${p.in} parameter '${p.name}'`;
        if (!q) {
          changes.push(`${label} removed or renamed`);
          continue;
        }
        if (!p.required && q.required) changes.push(`${label}: optional parameter is now required`);
        const oldList = listFormOf(before, p);
        const newList = listFormOf(after, q);
        const lists = oldList || newList ? [oldList ?? stringAsList(before, p), newList ?? stringAsList(after, q)] : undefined;
        if (lists?.[0] && lists[1]) {
          // The same comma-separated text on the wire: compared item by item, and by how many items.
          const [o, n] = lists as [ListForm, ListForm];
          cmp.schema(o.items, {}, n.items, {}, 'request', `${where} ${p.in} parameter '${p.name}'`, '[]');
          if (n.minItems > o.minItems) changes.push(`${label}: minItems raised to ${n.minItems} (was ${o.minItems})`);
          if (n.maxItems !== undefined && !(o.maxItems !== undefined && o.maxItems <= n.maxItems))
            changes.push(`${label}: maxItems lowered to ${n.maxItems}${o.maxItems === undefined ? '' : ` (was ${o.maxItems})`}`);
          if (n.uniqueItems && !o.uniqueItems) changes.push(`${label}: items must now be unique`);
        } else if (lists) {
          changes.push(`${label}: sent differently (${oldList ? 'was' : 'now'} one comma-separated value, style form, explode false)`);
        } else cmp.schema(p.schema, {}, q.schema, {}, 'request', `${where} ${p.in} parameter '${p.name}'`, '');
      }
      for (const [key, q] of newParams) if (!oldParams.has(key) && q.required) changes.push(`${where}: new required ${q.in} parameter '${q.name}'`);

      const oldBody = oldOp.requestBody === undefined ? undefined : before.resolve(oldOp.requestBody).schema;
      const newBody = newOp.requestBody === undefined ? undefined : after.resolve(newOp.requestBody).schema;
      if (oldBody && !newBody) changes.push(`${where}: request body no longer accepted`);
      if (!oldBody && newBody?.required === true) changes.push(`${where}: new required request body`);
      if (oldBody && newBody) {
        if (oldBody.required !== true && newBody.required === true) changes.push(`${where}: request body is now required`);
        const newMedia = mediaOf(after, newBody);
        for (const [type, schema] of mediaOf(before, oldBody)) {
          if (!newMedia.has(type)) changes.push(`${where}: request body no longer accepts ${type}`);
          else cmp.schema(schema, {}, newMedia.get(type), {}, 'request', `${where} request body (${type})`, '');
        }
      }

      const oldResponses = isObject(oldOp.responses) ? oldOp.responses : {};
      const newResponses = isObject(newOp.responses) ? newOp.responses : {};
      for (const [status, oldResponse] of Object.entries(oldResponses)) {
        if (!/^2/.test(status)) continue;
        if (!(status in newResponses)) {
          changes.push(`${where}: response ${status} removed`);
          continue;
        }
        const newMedia = mediaOf(after, newResponses[status]);
        for (const [type, schema] of mediaOf(before, oldResponse)) {
          if (!newMedia.has(type)) changes.push(`${where}: response ${status} no longer offers ${type}`);
          else cmp.schema(schema, {}, newMedia.get(type), {}, 'response', `${where} response ${status} (${type})`, '');
        }
      }
    }
  }

  const oldSchemas = isObject((baseline.components as Json | undefined)?.schemas) ? ((baseline.components as Json).schemas as Json) : {};
  const newSchemas = isObject((current.components as Json | undefined)?.schemas) ? ((current.components as Json).schemas as Json) : {};
  const referenced = collectRefs(baseline);
  const renamed = findRenamedComponents(baseline, current);
  for (const name of Object.keys(oldSchemas)) {
    if (!(name in newSchemas) && referenced.has(`#/components/schemas/${name}`) && !renamed.has(name))
      changes.push(`components.schemas.${name}: named schema removed (clients generated from v1 use it by name)`);
  }
  for (const ref of collectRefs(current)) if (ref.startsWith('#/components/') && after.pointer(ref) === undefined) after.dangling.add(ref);
  for (const ref of after.dangling) changes.push(`${ref}: $ref does not resolve in the current document`);
  return changes;
}

/**
 * Named schemas of `baseline` gone from `current` whose shape is there under a new name (old name →
 * new): the same JSON on the wire, so not a breaking change of the API.
 */
export function findRenamedComponents(baseline: Json, current: Json): Map<string, string> {
  const schemasOf = (doc: Json) => (isObject((doc.components as Json | undefined)?.schemas) ? ((doc.components as Json).schemas as Json) : {});
  const oldSchemas = schemasOf(baseline);
  const newSchemas = schemasOf(current);
  const removed = Object.keys(oldSchemas).filter((name) => !(name in newSchemas));
  const added = Object.keys(newSchemas).filter((name) => !(name in oldSchemas));
  const renames = new Map<string, string>();
  for (const name of removed) {
    const shape = show(oldSchemas[name]);
    const match = added.find((candidate) => ![...renames.values()].includes(candidate) && show(newSchemas[candidate]) === shape);
    if (match) renames.set(name, match);
  }
  return renames;
}

/**
 * A breaking change recorded as accepted, with why it breaks no client (`openapi/baseline/accepted-changes.json`):
 * the message as reported, or its beginning followed by `…` (a list of values that grows with the dataset).
 */
export interface AcceptedChange {
  change: string;
  reason: string;
}

const accepts = ({ change }: AcceptedChange, reported: string) => (change.endsWith('…') ? reported.startsWith(change.slice(0, -1)) : reported === change);

export const acceptedChangesFile = new URL('../openapi/baseline/accepted-changes.json', import.meta.url);

export async function readAcceptedChanges(file: URL | string = acceptedChangesFile): Promise<AcceptedChange[]> {
  const text = await readFile(file, 'utf8').catch(() => '{"accepted": []}');
  return (JSON.parse(text) as { accepted: AcceptedChange[] }).accepted;
}

/** The breaking changes that are not recorded as accepted. */
export function unacceptedChanges(changes: string[], accepted: readonly AcceptedChange[]): string[] {
  return changes.filter((change) => !accepted.some((a) => accepts(a, change)));
}

async function main(argv: string[]) {
  const [baselinePath = 'openapi/baseline/v1.json', currentPath = 'openapi/openapi.json'] = argv;
  const [baseline, current] = await Promise.all([baselinePath, currentPath].map(async (p) => JSON.parse(await readFile(p, 'utf8')) as Json));
  for (const [from, to] of findRenamedComponents(baseline!, current!))
    console.log(`note: components.schemas.${from} is now ${to}, with the same shape (the wire format is unchanged; generated clients get the new name)`);
  const accepted = await readAcceptedChanges();
  const all = findBreakingChanges(baseline!, current!);
  const changes = unacceptedChanges(all, accepted);
  for (const change of all.filter((c) => !changes.includes(c))) console.log(`accepted (openapi/baseline/accepted-changes.json): ${change}`);
  if (changes.length === 0) {
    console.log(`${currentPath}: no breaking change against ${baselinePath}`);
    return 0;
  }
  console.error(`${currentPath}: ${changes.length} breaking change(s) against ${baselinePath}:`);
  for (const change of changes) console.error(`  - ${change}`);
  return 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
