/**
 * Labels from the dataset definition (`GET /v1/dataset`): the dashboard shows what a code means,
 * never the code, and holds no code list of its own.
 */
import type { DatasetDefinition } from './types.js';

export type LabelOf = (dimension: string, code: string) => string;

/** A code no list names (a new one, or a grouping's own): readable words rather than a slug. */
function wordsOf(code: string): string {
  const words = code.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function createLabels(dataset: DatasetDefinition): LabelOf {
  const lists = new Map(dataset.codeLists.map((list) => [list.id, new Map(list.codes.map((c) => [c.code, c.label]))]));
  for (const set of dataset.ageBandSets) lists.set(`ageBand.${set.id}`, new Map(set.bands.map((b) => [b.code, b.label])));
  // Dimensions whose code list has another name, and yes/no groupings derived from a field.
  const listOf: Record<string, string> = { ageBand: 'ageBand.marac', disability: 'yesNo', lgbtPlus: 'yesNo', minoritisedEthnicity: 'yesNo' };
  return (dimension, code) => lists.get(listOf[dimension] ?? dimension)?.get(code) ?? wordsOf(code);
}

export function labelOfQuarter(quarter: string): string {
  const match = /^(\d{4})-(\d{2})-Q([1-4])$/.exec(quarter);
  return match ? `Q${match[3]} ${match[1]}/${match[2]}` : quarter;
}

export function labelOfYear(year: string): string {
  return year.replace('-', '/');
}
