/**
 * UK financial quarters: `2022-23-Q1` is 1 April–30 June 2022 … `-Q4` January–March 2023.
 * A financial year is `2022-23`.
 */

export const QUARTER_PATTERN = '^[0-9]{4}-[0-9]{2}-Q[1-4]$';
export const PERIOD_PATTERN = '^[0-9]{4}-[0-9]{2}(?:-Q[1-4])?$';

export interface Quarter {
  id: string;
  financialYear: string;
  quarter: 1 | 2 | 3 | 4;
  /** ISO dates, inclusive. */
  start: string;
  end: string;
}

function parseFinancialYear(text: string): number | null {
  const match = /^([0-9]{4})-([0-9]{2})$/.exec(text);
  if (!match) return null;
  const start = Number(match[1]);
  return (start + 1) % 100 === Number(match[2]) ? start : null;
}

const quarterMonths = { 1: ['04-01', '06-30', 0], 2: ['07-01', '09-30', 0], 3: ['10-01', '12-31', 0], 4: ['01-01', '03-31', 1] } as const;

export function parseQuarter(text: string): Quarter | null {
  const match = /^([0-9]{4}-[0-9]{2})-Q([1-4])$/.exec(text);
  if (!match) return null;
  const startYear = parseFinancialYear(match[1]!);
  if (startYear === null) return null;
  const quarter = Number(match[2]) as 1 | 2 | 3 | 4;
  const [from, to, yearOffset] = quarterMonths[quarter];
  const year = startYear + yearOffset;
  return { id: text, financialYear: match[1]!, quarter, start: `${year}-${from}`, end: `${year}-${to}` };
}

/** A quarter or a financial year → the quarters it covers, or null when malformed. */
export function quartersOf(period: string): Quarter[] | null {
  if (/^[0-9]{4}-[0-9]{2}$/.test(period)) {
    if (parseFinancialYear(period) === null) return null;
    return [1, 2, 3, 4].map((q) => parseQuarter(`${period}-Q${q}`)!);
  }
  const quarter = parseQuarter(period);
  return quarter ? [quarter] : null;
}

export function isDateInQuarter(date: string, quarter: Quarter): boolean {
  return date >= quarter.start && date <= quarter.end;
}
