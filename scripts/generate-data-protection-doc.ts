/**
 * Writes the generated part of docs/data-protection.md, "What is stored where", from the tables
 * (src/db/tables.ts) and the dataset's fields (their `protection`, src/schema/dataset/fields.ts),
 * so the DPIA's inventory cannot drift from the schema: a column nobody has classified fails here
 * (and in test/app/data-protection-doc.test.ts). `--check` exits 1 when the committed file is stale.
 * The rest of the document is prose, kept by hand between the markers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { toSnakeCase } from 'drizzle-orm/casing';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import prettier from 'prettier';
import * as tables from '../src/db/tables.js';
import { fieldColumns } from '../src/schema/dataset/columns.js';
import { recordFields, type DataProtection, type FieldDefinition } from '../src/schema/dataset/fields.js';

const target = new URL('../docs/data-protection.md', import.meta.url);
const START = '<!-- generated: stored-data (npm run docs:data-protection) -->';
const END = '<!-- /generated: stored-data -->';

type ColumnClass = DataProtection | 'case' | 'keyed_hash' | 'linkage' | 'secret_hash' | 'operational';

const CLASS_HEADINGS: Record<ColumnClass, string> = {
  keyed_hash: 'keyed hashes (pseudonymous)',
  special_category: 'special category (Art. 9)',
  quasi_identifier: 'quasi-identifiers',
  case: 'other case data',
  linkage: 'linkage (derived)',
  secret_hash: 'digests (of an API key, of a request body)',
  operational: 'operational',
};

/** Columns of `records` and its copies that are not dataset fields. */
const RECORD_EXTRA: Record<string, ColumnClass> = {
  id: 'operational',
  return_id: 'operational',
  position: 'operational',
  period: 'operational',
  service_id: 'operational',
  updated: 'operational',
  record_key: 'operational',
  record_id: 'operational',
  person_id: 'linkage',
};

/**
 * Every other table: what it holds and a class for each column. A new column without one fails
 * the generation: classifying it is part of adding it (docs/recipes.md).
 */
const OTHER_TABLES: Record<string, { holds: string; columns: Record<string, ColumnClass> }> = {
  services: {
    holds: 'the partnership’s services: name, type, area, reporting schedule',
    columns: {
      id: 'operational',
      name: 'operational',
      service_type: 'operational',
      area: 'operational',
      expected_from: 'operational',
      expected_until: 'operational',
      deadline_days: 'operational',
      created_at: 'operational',
    },
  },
  areas: { holds: 'area codes and names (ONS GSS)', columns: { code: 'operational', name: 'operational', updated_at: 'operational' } },
  area_populations: {
    holds: 'published population estimates per area and year (ONS), for rates',
    columns: { area_code: 'operational', year: 'operational', total: 'operational', adult_female: 'operational', by_group: 'operational' },
  },
  api_keys: {
    holds: 'API keys: label, role, services; the key itself only as its SHA-256',
    columns: {
      id: 'operational',
      label: 'operational',
      role: 'operational',
      key_hash: 'secret_hash',
      services: 'operational',
      created_at: 'operational',
      revoked_at: 'operational',
    },
  },
  returns: {
    holds: 'one row per version of a service’s quarterly return: who sent it, when, how many records',
    columns: {
      id: 'operational',
      service_id: 'operational',
      period: 'operational',
      version: 'operational',
      dataset_version: 'operational',
      record_count: 'operational',
      warnings: 'operational',
      submitted_by: 'operational',
      received_at: 'operational',
      superseded_at: 'operational',
      records_deleted_at: 'operational',
    },
  },
  record_updates: {
    holds: 'later events about earlier referrals (closure, module outcomes), as the validated patch: codes, dates and booleans',
    columns: {
      id: 'operational',
      return_id: 'operational',
      position: 'operational',
      referral_id: 'quasi_identifier',
      referral_period: 'operational',
      patch: 'quasi_identifier',
    },
  },
  perpetrator_keys: {
    holds: 'alleged perpetrators’ linkage keys as keyed hashes, and their persons',
    columns: {
      id: 'operational',
      record_id: 'operational',
      position: 'operational',
      slk581_token: 'keyed_hash',
      linkage_family: 'keyed_hash',
      linkage_family_partial: 'keyed_hash',
      linkage_given: 'keyed_hash',
      linkage_given_partial: 'keyed_hash',
      linkage_birth_date: 'keyed_hash',
      linkage_birth_date_swapped: 'keyed_hash',
      linkage_birth_year: 'keyed_hash',
      linkage_birth_month_year: 'keyed_hash',
      linkage_birth_day_month: 'keyed_hash',
      linkage_sex: 'keyed_hash',
      person_id: 'linkage',
    },
  },
  count_returns: {
    holds: 'one row per version of a service’s quarterly counts (services that report totals)',
    columns: {
      id: 'operational',
      service_id: 'operational',
      period: 'operational',
      version: 'operational',
      cell_count: 'operational',
      warnings: 'operational',
      submitted_by: 'operational',
      received_at: 'operational',
      superseded_at: 'operational',
    },
  },
  count_cells: {
    holds: 'the counts of a count return, by measure, area and breakdown (no person)',
    columns: {
      id: 'operational',
      count_return_id: 'operational',
      position: 'operational',
      measure: 'operational',
      area: 'operational',
      value: 'operational',
      breakdown: 'operational',
      cell_key: 'operational',
    },
  },
  person_links: {
    holds: 'the pairs of records linkage joined into one person, with the match weight and which parts agreed',
    columns: { record_a: 'linkage', record_b: 'linkage', weight: 'linkage', levels: 'linkage', model_version: 'operational' },
  },
  linkage_models: {
    holds: 'the linkage models (m and u probabilities), no record',
    columns: { version: 'operational', model: 'operational', trained_on_records: 'operational', created_at: 'operational' },
  },
  linkage_frequencies: {
    holds: 'how many linked records hold each name and date token and each attribute value (term frequencies)',
    columns: { subject: 'operational', comparison: 'operational', value: 'keyed_hash', holders: 'operational' },
  },
  period_locks: {
    holds: 'closed quarters, who closed them and why',
    columns: { period: 'operational', reason: 'operational', locked_by: 'operational', locked_at: 'operational' },
  },
  idempotency_keys: {
    holds: 'a client’s idempotency keys and the response each got (a return’s summary or a problem, never its records)',
    columns: {
      api_key_id: 'operational',
      key: 'operational',
      operation: 'operational',
      fingerprint: 'secret_hash',
      response_status: 'operational',
      response_body: 'operational',
      response_headers: 'operational',
      lease_until: 'operational',
      expires_at: 'operational',
      created_at: 'operational',
    },
  },
  jobs: {
    holds: 'background jobs (large returns, linkage, relinks): progress and result, problems by field and position only',
    columns: {
      id: 'operational',
      kind: 'operational',
      status: 'operational',
      submitted_by: 'operational',
      service_id: 'operational',
      period: 'operational',
      progress: 'operational',
      payload: 'operational',
      result_status: 'operational',
      result: 'operational',
      created_at: 'operational',
      started_at: 'operational',
      finished_at: 'operational',
      owner: 'operational',
    },
  },
  audit_events: {
    holds: 'who did what: submissions, record-level reads, key and lock changes; resources by id, never a person’s data',
    columns: {
      id: 'operational',
      at: 'operational',
      api_key_id: 'operational',
      role: 'operational',
      action: 'operational',
      resource_type: 'operational',
      resource_id: 'operational',
      outcome: 'operational',
      detail: 'operational',
      request_id: 'operational',
    },
  },
};

/** What `records`, `analytic_records` and `referral_states` hold, beside their columns. */
const RECORD_TABLES: Record<string, string> = {
  records: 'one row per referral as the service sent it, every version: the case data of the dataset, the linkage key only as keyed hashes',
  analytic_records: 'the records of current returns as analytics read them (no linkage component hashes)',
  referral_states: 'the state of each referral a later update changed',
};

function fieldClass(field: FieldDefinition, inherited: DataProtection | undefined): ColumnClass {
  if (field.linkageKey) return 'keyed_hash';
  const own = field.protection ?? inherited;
  // A date says when something happened to someone: in a small area, as identifying as a place.
  if (field.type === 'date' && own !== 'special_category') return 'quasi_identifier';
  if (field.type !== 'objects') return own ?? 'case';
  // A list of objects is one JSON column: as sensitive as the most sensitive thing inside it.
  const inner = (field.fields ?? []).map((f) => fieldClass(f, own));
  for (const level of ['keyed_hash', 'special_category', 'quasi_identifier'] as const) if (inner.includes(level)) return level;
  return own ?? 'case';
}

/** The class of every dataset field's column, by its SQL name. */
function fieldColumnClasses(): Map<string, ColumnClass> {
  const byPath = new Map<string, ColumnClass>();
  const walk = (fields: readonly FieldDefinition[], prefix: string, inherited: DataProtection | undefined) => {
    for (const field of fields) {
      const path = prefix ? `${prefix}.${field.name}` : field.name;
      byPath.set(path, fieldClass(field, inherited));
      if (field.type === 'object' && field.fields) walk(field.fields, path, field.protection ?? inherited);
    }
  };
  walk(recordFields, '', undefined);
  const classes = new Map<string, ColumnClass>();
  for (const column of fieldColumns) classes.set(column.name, byPath.get(column.path)!);
  return classes;
}

export interface TableInventory {
  table: string;
  holds: string;
  columns: Array<{ column: string; class: ColumnClass }>;
}

/** Every table and column with its class; throws naming every column that has none. */
export function inventoryStoredData(): TableInventory[] {
  const fromFields = fieldColumnClasses();
  const missing: string[] = [];
  const inventory: TableInventory[] = [];
  for (const value of Object.values(tables)) {
    if (!(value instanceof PgTable)) continue;
    const config = getTableConfig(value);
    const other = OTHER_TABLES[config.name];
    const holds = other?.holds ?? RECORD_TABLES[config.name];
    if (holds === undefined) missing.push(`${config.name} (the table)`);
    const columns = config.columns.map((c) => {
      const column = toSnakeCase(c.name);
      const cls = other
        ? other.columns[column]
        : (fromFields.get(column) ?? RECORD_EXTRA[column] ?? (column.startsWith('linkage_') ? 'keyed_hash' : undefined));
      if (cls === undefined) missing.push(`${config.name}.${column}`);
      return { column, class: cls ?? 'operational' };
    });
    inventory.push({ table: config.name, holds: holds ?? '', columns });
  }
  if (missing.length) throw new Error(`classify these in scripts/generate-data-protection-doc.ts or the field's protection: ${missing.join(', ')}`);
  return inventory.sort((a, b) => a.table.localeCompare(b.table));
}

function renderInventory(inventory: TableInventory[]): string {
  const order = Object.keys(CLASS_HEADINGS) as ColumnClass[];
  const lines = [START, ''];
  for (const { table, holds, columns } of inventory) {
    lines.push(`### \`${table}\``, '', `${holds[0]!.toUpperCase()}${holds.slice(1)}.`, '');
    for (const cls of order) {
      const names = columns.filter((c) => c.class === cls).map((c) => `\`${c.column}\``);
      if (names.length) lines.push(`- **${CLASS_HEADINGS[cls]}**: ${names.join(', ')}`);
    }
    lines.push('');
  }
  lines.push(END);
  return lines.join('\n');
}

export async function generateDataProtectionDoc(): Promise<string> {
  const committed = await readFile(target, 'utf8');
  const start = committed.indexOf(START);
  const end = committed.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/data-protection.md has lost its markers (${START} … ${END})`);
  const doc = committed.slice(0, start) + renderInventory(inventoryStoredData()) + committed.slice(end + END.length);
  const options = (await prettier.resolveConfig(fileURLToPath(target))) ?? {};
  return prettier.format(doc, { ...options, parser: 'markdown' });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const doc = await generateDataProtectionDoc();
  if (process.argv.includes('--check')) {
    if ((await readFile(target, 'utf8')) !== doc) {
      console.error('docs/data-protection.md is stale: run npm run docs:data-protection');
      process.exit(1);
    }
  } else {
    await writeFile(target, doc);
    console.log(`wrote ${target.pathname}`);
  }
}
