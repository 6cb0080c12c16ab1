/**
 * Files a coordinator fills or checks a spreadsheet with: the CSV templates of a return and of a
 * count return, and the code lists, as CSV and JSON. All derived from the dataset definition and the
 * count-measure catalogue, so they never drift from what the server validates.
 */
import { stringify } from 'csv-stringify/sync';
import { countCsvColumns, countCsvFixedColumns, countMeasures } from '../schema/counts/measures.js';
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

/**
 * The CSV template of a count return: the header row, then one row per measure of the catalogue with
 * its area and value left to fill (a service deletes the measures it does not report and copies a row
 * per area or breakdown).
 */
export function countReturnTemplateCsv(): string {
  const measureAt = countCsvColumns.indexOf(countCsvFixedColumns[0]);
  const rows = countMeasures.map((m) => countCsvColumns.map((_, i) => (i === measureAt ? m.id : '')));
  return `${BOM}${stringify([countCsvColumns, ...rows])}`;
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
