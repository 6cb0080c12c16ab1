/**
 * JSON Schemas of the code lists, derived from `code-lists.ts` (a code is added there or nowhere).
 * The record schema holds them in `$defs` (standard keywords only: it is what the server compiles in
 * strict mode); the OpenAPI document names them in `components.schemas`, with a label per code.
 */
import { personAnswerCodes, type Code, type CodeList } from './code-lists.js';

type JsonSchema = Record<string, unknown>;

/** `riskLevel` → `RiskLevel`: the name of the code list's schema in `$defs` and `components.schemas`. */
export function codeListSchemaName(list: CodeList): string {
  return list.id.charAt(0).toUpperCase() + list.id.slice(1);
}

/** The codes a field of this list accepts: its own, plus `not_known`/`prefer_not_to_say` for person fields. */
export function codeListCodes(list: CodeList, personAnswers: boolean): Code[] {
  const codes = [...list.codes];
  if (personAnswers) for (const answer of personAnswerCodes) if (!codes.some((c) => c.code === answer.code)) codes.push(answer);
  return codes;
}

/** The schema of one code list, standard JSON Schema 2020-12 keywords only. */
export function codeListJsonSchema(list: CodeList, personAnswers: boolean): JsonSchema {
  const notes = [
    list.description,
    ...(personAnswers ? ['A field about a person: `not_known` and `prefer_not_to_say` are accepted too.'] : []),
    ...(list.source ? [`Source: ${list.source}.`] : []),
    `Code list \`${list.id}\` (GET /v1/dataset/code-lists).`,
  ];
  return { title: list.label, description: notes.join(' '), type: 'string', enum: codeListCodes(list, personAnswers).map((c) => c.code) };
}

/** `x-enumDescriptions` for the OpenAPI document: each code's label, and its definition when it has one. */
export function codeListEnumDescriptions(list: CodeList, personAnswers: boolean): Record<string, string> {
  return Object.fromEntries(codeListCodes(list, personAnswers).map((c) => [c.code, c.definition ? `${c.label}: ${c.definition}` : c.label]));
}
