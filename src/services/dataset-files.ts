/**
 * Files a coordinator fills or checks a spreadsheet with: the CSV template of a return and the
 * code lists, as CSV and JSON. All derived from the dataset definition, so they never drift from
 * what the server validates.
 */
import { stringify } from 'csv-stringify/sync';
import { listTemplateColumns } from '../schema/dataset/csv-columns.js';
import { codeLists, personAnswerCodes } from '../schema/dataset/code-lists.js';
import { crosswalks } from '../schema/dataset/crosswalks.js';
import { DATASET_VERSION } from '../schema/dataset/index.js';

const PERSON_ANSWERS = {
  id: 'personAnswers',
  label: 'Person answers',
  description: 'Accepted by every coded field about a person, besides its own code list.',
  codes: personAnswerCodes,
};

// Excel reads a UTF-8 CSV as UTF-8 only when it starts with a byte order mark; the server accepts either.
const BOM = '\ufeff';

function listCodeLists() {
  return [...Object.values(codeLists), PERSON_ANSWERS];
}

/** The header row of a return, one column per field. */
export function returnTemplateCsv(): string {
  return `${BOM}${stringify([listTemplateColumns().map((c) => c.name)])}`;
}

/** Every code list, `personAnswers` and the crosswalks from other code systems. */
export function describeCodeLists() {
  return { datasetVersion: DATASET_VERSION, codeLists: listCodeLists(), crosswalks };
}

/** The code lists as one table: codeList, code, label, definition. */
export function codeListsCsv(): string {
  const rows = listCodeLists().flatMap((list) => list.codes.map((c) => [list.id, c.code, c.label, c.definition ?? '']));
  return `${BOM}${stringify([['codeList', 'code', 'label', 'definition'], ...rows])}`;
}
