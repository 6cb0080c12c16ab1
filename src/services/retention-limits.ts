/** How long what `vawg retention` deletes is kept (src/config.ts reads them from the environment). */
export interface RetentionLimits {
  /** Days a superseded version of a return is kept after a later one replaced it; absent: kept. */
  supersededDays?: number;
  /** Days a finished job is kept after it ended. */
  jobDays: number;
  /** Years an audit event is kept; absent: kept. */
  auditYears?: number;
}

export const DEFAULT_JOB_RETENTION_DAYS = 30;
