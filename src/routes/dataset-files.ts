/**
 * Files a coordinator fills or checks a spreadsheet with: the CSV template of a return and the
 * code lists, as CSV and JSON. All derived from the dataset definition, so they never drift from
 * what the server validates.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { stringify } from 'csv-stringify/sync';
import { Type } from 'typebox';
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

function listCodeLists() {
  return [...Object.values(codeLists), PERSON_ANSWERS];
}

// Excel reads a UTF-8 CSV as UTF-8 only when it starts with a byte order mark; the server accepts either.
const BOM = '\ufeff';

const datasetFileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/dataset/template.csv',
    {
      schema: {
        operationId: 'getReturnTemplate',
        tags: ['Dataset'],
        summary: 'The CSV template of a return: one header row naming every field',
        description:
          'Nested fields are joined with dots (`victim.ethnicity`), lists of objects numbered from 1 (`perpetrators.1.sex`; add `perpetrators.3.…` columns for more), lists of codes go in one cell separated by `;`. Starts with a UTF-8 byte order mark so spreadsheets open it as UTF-8.',
        produces: ['text/csv'],
        security: [],
        response: { 200: Type.String({ description: 'CSV header row.' }) },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="vawg-return-template-${DATASET_VERSION}.csv"`)
        .send(`${BOM}${stringify([listTemplateColumns().map((c) => c.name)])}`),
  );

  app.get(
    '/v1/dataset/code-lists',
    {
      schema: {
        operationId: 'getCodeLists',
        tags: ['Dataset'],
        summary: 'Every code list of the dataset, and the crosswalks from other code systems',
        description:
          'Each code list with its codes, labels and definitions, plus `personAnswers` (accepted by every coded field about a person) and the crosswalks from other code systems. The OpenAPI document names the same lists as schemas (`Ethnicity`, `RiskLevel`…).',
        security: [],
        response: {
          200: Type.Object(
            { datasetVersion: Type.String(), codeLists: Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: true })) },
            { additionalProperties: true },
          ),
        },
      },
    },
    async () => ({ datasetVersion: DATASET_VERSION, codeLists: listCodeLists(), crosswalks }),
  );

  app.get(
    '/v1/dataset/code-lists.csv',
    {
      schema: {
        operationId: 'getCodeListsCsv',
        tags: ['Dataset'],
        summary: 'Every code list as one CSV table: codeList, code, label, definition',
        description: 'The code lists of `GET /v1/dataset/code-lists` as one CSV table for spreadsheets, starting with a UTF-8 byte order mark.',
        security: [],
        produces: ['text/csv'],
        response: { 200: Type.String({ description: 'CSV with a header row.' }) },
      },
    },
    async (_request, reply) => {
      const rows = listCodeLists().flatMap((list) => list.codes.map((c) => [list.id, c.code, c.label, c.definition ?? '']));
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="vawg-code-lists-${DATASET_VERSION}.csv"`)
        .send(`${BOM}${stringify([['codeList', 'code', 'label', 'definition'], ...rows])}`);
    },
  );
};

export default datasetFileRoutes;
