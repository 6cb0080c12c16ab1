/** How long what `vawg retention` deletes is kept (src/config.ts reads them from the environment). */
export interface RetentionLimits {
  /** Days a superseded version of a return is kept after a later one replaced it; absent: kept. */
  supersededDays?: number;
  /** Days a finished job is kept after it ended. */
  jobDays: number;
  /** Years an audit event is kept; absent: kept. */
  auditYears?: number;
  /**
   * Years the records of a return (every version) are kept after the end (31 March) of its
   * period's financial year; absent: kept for ever.
   */
  recordYears?: number;
  /** Hours a spooled upload no queued or running job reads is kept; absent: the default. */
  uploadHours?: number;
}

export const DEFAULT_JOB_RETENTION_DAYS = 30;
export const DEFAULT_UPLOAD_RETENTION_HOURS = 24;

/**
 * The first financial year whose records are still kept at `now`: a year's records go once the
 * end of that year (31 March, the start of 1 April UTC) is more than `years` years ago. Periods
 * sort as text (`2019-20` < `2019-20-Q4` < `2020-21`), so a return's period is past the limit when
 * it sorts before this. Null when no limit is set.
 */
export function firstKeptFinancialYear(years: number | undefined, now: Date): string | null {
  if (years === undefined) return null;
  const y = now.getUTCFullYear();
  // The last year kept ended on 31 March of `y - years` or later; one that ended before is gone.
  const afterAprilFirst = now.getTime() > Date.UTC(y, 3, 1);
  const start = (afterAprilFirst ? y : y - 1) - years;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}
