/**
 * How a return's records are laid out as CSV, derived from the field tree: one column per leaf
 * field, nested names joined with dots (`victim.ethnicity`), lists of codes in one cell separated by
 * `;`, and lists of objects numbered from 1 (`perpetrators.1.sex`, `perpetrators.2.sex`) so a
 * spreadsheet row holds a whole record.
 */
import { recordFields, type FieldDefinition } from './fields.js';

export const CSV_LIST_SEPARATOR = ';';
/** Numbered groups in the template: most referrals have at most this many perpetrators or onward referrals. */
export const TEMPLATE_REPEATS = 2;
/** More numbered groups than this in one row is a malformed header, not a real case. */
export const MAX_REPEATS = 20;

export interface CsvColumn {
  name: string;
  field: FieldDefinition;
  /** Where the value goes in the record: property names, and 0-based indices into lists of objects. */
  path: ReadonlyArray<string | number>;
}

function collectColumns(fields: readonly FieldDefinition[], prefix: string, path: Array<string | number>, repeats: number, out: CsvColumn[]): void {
  for (const field of fields) {
    const name = prefix ? `${prefix}.${field.name}` : field.name;
    if (field.type === 'object') collectColumns(field.fields ?? [], name, [...path, field.name], repeats, out);
    else if (field.type === 'objects')
      for (let i = 1; i <= repeats; i++) collectColumns(field.fields ?? [], `${name}.${i}`, [...path, field.name, i - 1], repeats, out);
    else out.push({ name, field, path: [...path, field.name] });
  }
}

/** The template's header: every field (of the latest version unless given another's tree), with TEMPLATE_REPEATS numbered groups of each list of objects. */
export function listTemplateColumns(repeats = TEMPLATE_REPEATS, recordTree: readonly FieldDefinition[] = recordFields): CsvColumn[] {
  const columns: CsvColumn[] = [];
  collectColumns(recordTree, '', [], repeats, columns);
  return columns;
}

/** The column a header names in a version's field tree (the latest by default), or why it names none. */
export function resolveColumn(name: string, recordTree: readonly FieldDefinition[] = recordFields): CsvColumn | { error: string } {
  const parts = name.split('.');
  let fields: readonly FieldDefinition[] = recordTree;
  const path: Array<string | number> = [];
  for (let i = 0; i < parts.length; i++) {
    const field = fields.find((f) => f.name === parts[i]);
    if (!field) {
      const known = fields.map((f) => f.name).join(', ');
      const at = parts.slice(0, i).join('.');
      return { error: `${at ? `${at} has no field ${parts[i]}` : `${parts[i]} is not a field of the dataset`}; expected one of: ${known}` };
    }
    path.push(field.name);
    const last = i === parts.length - 1;
    if (field.type === 'object') {
      if (last) return { error: `${name} is a group; name one of its fields, e.g. ${name}.${field.fields![0]!.name}` };
      fields = field.fields ?? [];
    } else if (field.type === 'objects') {
      const index = parts[i + 1];
      if (last || index === undefined || !/^[1-9]\d*$/.test(index) || Number(index) > MAX_REPEATS)
        return {
          error: `${parts.slice(0, i + 1).join('.')} is a list: number each entry from 1 to ${MAX_REPEATS}, e.g. ${parts.slice(0, i + 1).join('.')}.1.${field.fields![0]!.name}`,
        };
      if (i + 1 === parts.length - 1) return { error: `${name} is a group; name one of its fields, e.g. ${name}.${field.fields![0]!.name}` };
      path.push(Number(index) - 1);
      fields = field.fields ?? [];
      i++;
    } else if (!last) {
      return { error: `${parts.slice(0, i + 1).join('.')} has no fields below it` };
    } else {
      return { name, field, path };
    }
  }
  return { error: `${name} is not a field of the dataset` };
}
