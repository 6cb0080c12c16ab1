/** Files a coordinator fills or checks a spreadsheet with: the CSV template of a return and the code lists, as CSV and JSON. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { jsonResponse } from '../schema/api/common.js';
import { CodeListsCsvSchema, CodeListsSchema, ReturnTemplateCsvSchema } from '../schema/api/dataset.js';
import { DATASET_VERSION } from '../schema/dataset/index.js';
import { codeListsCsv, describeCodeLists, returnTemplateCsv } from '../services/dataset-files.js';

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
        response: { 200: ReturnTemplateCsvSchema },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="vawg-return-template-${DATASET_VERSION}.csv"`)
        .send(returnTemplateCsv()),
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
        response: { 200: jsonResponse('Every code list with its codes, labels and definitions, and the crosswalks.', CodeListsSchema) },
      },
    },
    async () => describeCodeLists(),
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
        response: { 200: CodeListsCsvSchema },
      },
    },
    async (_request, reply) =>
      reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="vawg-code-lists-${DATASET_VERSION}.csv"`).send(codeListsCsv()),
  );
};

export default datasetFileRoutes;
