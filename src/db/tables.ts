/**
 * The database tables (drizzle). JSON is camelCase, SQL is snake_case: drizzle's `casing` option
 * maps the keys below to their column names.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow();

export const services = pgTable('services', {
  id: text().primaryKey(),
  name: text().notNull(),
  serviceType: text().notNull(),
  area: text().notNull(),
  /** The reporting schedule: a return is expected for every quarter from this one (null: none expected). */
  expectedFrom: text(),
  /** The last quarter a return is expected for (null: no end). */
  expectedUntil: text(),
  /** A return is due this many days after its quarter ends. */
  deadlineDays: integer().notNull().default(30),
  createdAt: createdAt(),
});

export const areas = pgTable('areas', {
  code: text().primaryKey(),
  name: text().notNull(),
  updatedAt: createdAt(),
});

export const areaPopulations = pgTable(
  'area_populations',
  {
    areaCode: text()
      .notNull()
      .references(() => areas.code, { onDelete: 'cascade' }),
    year: integer().notNull(),
    total: integer().notNull(),
    adultFemale: integer(),
    byGroup: jsonb(),
  },
  (t) => [primaryKey({ columns: [t.areaCode, t.year] })],
);

export const apiKeys = pgTable('api_keys', {
  id: uuid().primaryKey().defaultRandom(),
  label: text().notNull(),
  role: text().notNull(),
  /** SHA-256 of the key: keys are 256-bit random, so a fast hash is enough and the key is never stored. */
  keyHash: text().notNull().unique(),
  services: text()
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  createdAt: createdAt(),
  revokedAt: timestamp({ withTimezone: true, mode: 'date' }),
});

export const returns = pgTable(
  'returns',
  {
    id: uuid().primaryKey().defaultRandom(),
    serviceId: text()
      .notNull()
      .references(() => services.id),
    period: text().notNull(),
    version: integer().notNull(),
    datasetVersion: text().notNull(),
    recordCount: integer().notNull(),
    warnings: jsonb().notNull().default([]),
    submittedBy: uuid().references(() => apiKeys.id),
    receivedAt: createdAt(),
    /** Set when a later version of the same service and period is accepted. */
    supersededAt: timestamp({ withTimezone: true, mode: 'date' }),
    /**
     * Set when the return's records (and their tokens, links, analytic rows and updates) were
     * deleted at the end of the retention period (VAWG_RETENTION_YEARS, services/retention.ts):
     * the row stays, so figures for its quarter say it is no longer held instead of showing zeros.
     */
    recordsDeletedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [unique().on(t.serviceId, t.period, t.version), index().on(t.period, t.serviceId)],
);

/**
 * The columns a later quarter's update may change (contract 1.1 section 3: status, closure and the
 * refuge, court, programme, housing and sanctuary modules). `records` holds them as submitted and
 * `referral_states` as the updates left them, so both tables are built from this one list.
 */
const updatableColumns = () => ({
  /** Null when the record gives none, which means accepted (fields.ts). */
  status: text(),
  closureClosedDate: date({ mode: 'string' }),
  closureReason: text(),
  closureRiskReduced: boolean(),
  closureFeelsSafer: boolean(),
  closureAbuseReduced: boolean(),
  closureQualityOfLifeImproved: boolean(),
  closureChildrenSafer: boolean(),
  closureRiskLevelAtClosure: text(),
  closureRelationshipAtClosure: text(),
  sanctuarySecurityMeasures: text().array(),
  sanctuaryPropertySecured: boolean(),
  sanctuaryTenure: text(),
  housingHomelessnessApproach: boolean(),
  housingTemporaryAccommodation: boolean(),
  housingMovedDueToAbuse: boolean(),
  housingOutcome: text(),
  refugeAdmissionDate: date({ mode: 'string' }),
  refugeDepartureDate: date({ mode: 'string' }),
  refugeChildrenAccommodated: integer(),
  courtCaseHeard: boolean(),
  courtAttendedCourt: boolean(),
  courtSupportAtCourt: boolean(),
  courtOutcome: text(),
  courtEarlyGuiltyPlea: boolean(),
  courtPreSentenceReport: boolean(),
  programmeProgrammeType: text(),
  programmeStage: text(),
  programmePartnerSupported: boolean(),
});

/**
 * The columns of `records`, a function so that `analytic_records` is built from the same list (a
 * field added here is projected for analytics without a second list to keep in step).
 */
const recordColumns = () => ({
  /** Unique by its sequence alone: the primary key must include the partition key, `period`. */
  id: bigserial({ mode: 'number' }).notNull(),
  returnId: uuid()
    .notNull()
    .references(() => returns.id, { onDelete: 'cascade' }),
  /**
   * The return's period, repeated on each record so the table can be partitioned by it (one
   * partition per financial year, migration 0012 and db/record-partitions.ts).
   */
  period: text().notNull(),
  position: integer().notNull(),
  referralId: text().notNull(),
  referralDate: date({ mode: 'string' }).notNull(),
  referralSource: text().notNull(),
  /** Null when the record gives none, which means a victim (fields.ts). */
  subject: text(),
  category: text().notNull(),
  vawgTypes: text().array(),
  nonVawgCrimeType: text(),
  policeInvolvement: text().notNull(),
  riskLevel: text().notNull(),
  riskTool: text(),
  repeatReferral: boolean().notNull(),
  childrenInHousehold: integer().notNull(),
  victimAge: integer(),
  victimSex: text(),
  victimGenderIdentitySameAsSex: text(),
  victimSexualOrientation: text(),
  victimEthnicity: text(),
  victimReligion: text(),
  victimDisability: text(),
  victimPregnancy: text(),
  victimMaritalStatus: text(),
  victimInterpreterRequired: boolean(),
  victimRelationshipToArea: text(),
  victimResidence: text(),
  victimLocalAuthority: text(),
  victimVulnerabilities: text().array(),
  /** HMAC-SHA-256 of the SLK-581 under VAWG_LINKAGE_SECRET; the clear key is never stored. */
  victimLinkageSlk581Token: text(),
  /** Keyed hashes of the key's components, so records can agree partially (services/linkage/tokens.ts). */
  linkageFamily: text(),
  linkageFamilyPartial: text().array(),
  linkageGiven: text(),
  linkageGivenPartial: text().array(),
  linkageBirthDate: text(),
  linkageBirthDateSwapped: text(),
  linkageBirthYear: text(),
  /** Month and year (MMYYYY) and day and month (DDMM): a date a day or a year out still agrees on one. */
  linkageBirthMonthYear: text(),
  linkageBirthDayMonth: text(),
  linkageSex: text(),
  /** The person this record is about: the smallest record id of its linkage cluster; null when unlinked. */
  personId: bigint({ mode: 'number' }),
  perpetrators: jsonb().notNull(),
  supportNeeds: text().array(),
  supportProvided: text().array(),
  onwardReferrals: jsonb().notNull(),
  ...updatableColumns(),
  safeguardingChildInNeed: boolean(),
  safeguardingChildProtectionPlan: boolean(),
  safeguardingAdultSafeguardingConcern: boolean(),
  safeguardingSection42Enquiry: boolean(),
  healthSetting: text(),
  healthDisclosure: boolean(),
  /**
   * The record key of the cell key method (services/analytics/cell-key.ts), uniform on 0–255 and
   * drawn by the database as the record is stored, so no code path can forget or bias it.
   */
  recordKey: integer()
    .notNull()
    .default(sql`floor(random() * 256)::int`),
});

type IndexedColumn = Parameters<ReturnType<typeof index>['on']>[0];
/** The token columns both linkage tables block on. */
type BlockingTokenColumns = Record<'linkageBirthDate' | 'linkageFamily' | 'linkageGiven' | 'linkageBirthYear' | 'linkageBirthDayMonth', IndexedColumn>;

/**
 * The blocking rules of services/linkage/neighbourhood.ts in two indexes, each serving two rules:
 * birth date then both name parts (a rule on date and given letters reads one date's entries, a
 * few hundred at ten million records, and filters them in the index), and both name parts then
 * year and day-and-month of birth. Four indexes, one a rule, cost every accepted record four index
 * writes, and two of them began with the same columns, so the planner sometimes probed one rule
 * through the other's index and filtered its rows in the heap (a third of the neighbourhood
 * query's page accesses at a million records). Named, as the generated names would pass PostgreSQL's 63 characters.
 */
const blockingIndexes = (table: string, t: BlockingTokenColumns) => [
  index(`${table}_blocking_date_names_index`).on(t.linkageBirthDate, t.linkageFamily, t.linkageGiven),
  index(`${table}_blocking_names_dates_index`).on(t.linkageFamily, t.linkageGiven, t.linkageBirthYear, t.linkageBirthDayMonth),
];

/**
 * Partitioned by range of `period`, one partition per financial year (`records_y2022_23` holds the
 * quarters of 2022-23) and a default that stays empty: drizzle cannot say so, migration 0012 does,
 * and db/record-partitions.ts creates a year's partition before its first return is written. The
 * primary key and every unique constraint include `period`, as PostgreSQL requires of a partitioned
 * table, so no foreign key can reference `records`: the tables that hold a record id
 * (`referral_states`, `analytic_records`, `perpetrator_keys`, `person_links`) lose their rows with
 * the record by a statement trigger instead (migration 0012).
 */
export const records = pgTable('records', recordColumns(), (t) => [
  primaryKey({ columns: [t.id, t.period] }),
  unique().on(t.returnId, t.referralId, t.period),
  index().on(t.returnId, t.position),
  index().on(t.victimLinkageSlk581Token),
  // Blocking keys (services/linkage/neighbourhood.ts): one composite index per rule, so a return's
  // neighbours are found by index whatever the table's size. A swapped date needs none of its own
  // (the swap is symmetric), and the first column alone serves the term-frequency fallback.
  ...blockingIndexes('records', t),
  index().on(t.personId),
]);

/**
 * Later events about earlier referrals (contract 1.1 section 3): each row is one update a return
 * carried, as the validated patch (codes, dates, booleans; no linkage key, no free text). Updates of
 * superseded returns stay for the record and are ignored (`referral_states` is rebuilt without them).
 */
export const recordUpdates = pgTable(
  'record_updates',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    returnId: uuid()
      .notNull()
      .references(() => returns.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    referralId: text().notNull(),
    /** The quarter of the return the referral arrived in, earlier than this return's. */
    referralPeriod: text().notNull(),
    patch: jsonb().notNull(),
  },
  (t) => [unique().on(t.returnId, t.referralId, t.referralPeriod), index().on(t.referralPeriod, t.referralId)],
);

/**
 * The current state of each referral some update changed: every updatable column as the record and
 * its updates (in quarter order, field by field) leave it. A referral no update touched has no row;
 * analytics read a record's updatable columns from here when a row exists (services/analytics/scope.ts).
 */
export const referralStates = pgTable('referral_states', {
  /** A `records.id`; the row goes with the record (a trigger of migration 0012, as `records` is partitioned). */
  recordId: bigint({ mode: 'number' }).primaryKey(),
  ...updatableColumns(),
});

/**
 * The columns of `records` analytics never read: the return reference, period and position (the
 * projection holds the return's period and service as its own columns) and the keyed hashes of
 * the SLK-581's components (`linkage…`, read by linkage alone). The SLK-581's own token stays:
 * before linkage has run, records sharing it are one person (services/analytics/people.ts).
 */
type NotProjected = 'id' | 'returnId' | 'period' | 'position' | `linkage${string}`;
const isProjected = (key: string) => !['id', 'returnId', 'period', 'position'].includes(key) && !key.startsWith('linkage');

function projectedRecordColumns() {
  type Columns = ReturnType<typeof recordColumns>;
  return Object.fromEntries(Object.entries(recordColumns()).filter(([key]) => isProjected(key))) as {
    [K in keyof Columns as K extends NotProjected ? never : K]: Columns[K];
  };
}

const { recordKey: projectedRecordKey, personId: projectedPersonId, subject: projectedSubject, ...projectedRest } = projectedRecordColumns();

/**
 * The narrow analytic projection (issue 16): one row per record of a current return, its updatable
 * columns as `referral_states` leaves them, with its return's period and service, and none of the
 * linkage component tokens. Every aggregate, indicator, people count and overlap reads this instead
 * of `records` joined to `returns` and `referral_states` (services/analytics/scope.ts), so a query
 * costs what a GROUP BY over the analytic columns costs. It is written in the transaction that
 * accepts a return (services/analytics/analytic-projection.ts); `person_id` follows `records` by a
 * trigger (migration 0010), whichever code moves a person.
 */
export const analyticRecords = pgTable(
  'analytic_records',
  {
    /** The record's `records.id`; the row goes with the record (a trigger of migration 0012). */
    id: bigint({ mode: 'number' }).primaryKey(),
    period: text().notNull(),
    serviceId: text().notNull(),
    // Columns every query reads come first: a row is decoded up to the last column a query reads,
    // past every variable-width value before it (at the end, recordKey cost a scan twice as long).
    recordKey: projectedRecordKey,
    personId: projectedPersonId,
    subject: projectedSubject,
    /** The updatable columns are `referral_states`' (an update changed the referral), not the record's own. */
    updated: boolean().notNull().default(false),
    ...projectedRest,
  },
  (t) => [
    index().on(t.serviceId, t.period),
    index('analytic_records_updated_index')
      .on(t.serviceId)
      .where(sql`${t.updated}`),
  ],
);

/**
 * The alleged perpetrators' linkage keys (1.1.0), one row per perpetrator entry that gave one, as
 * keyed hashes like the victims' (the clear key is never stored, and the record's `perpetrators`
 * JSON keeps no key). Perpetrators are linked among themselves into their own persons, never with
 * victims: `personId` is the smallest row id of the cluster.
 */
export const perpetratorKeys = pgTable(
  'perpetrator_keys',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    /** A `records.id`; the row goes with the record (a trigger of migration 0012). */
    recordId: bigint({ mode: 'number' }).notNull(),
    /** The entry's index in the record's `perpetrators`. */
    position: integer().notNull(),
    slk581Token: text().notNull(),
    linkageFamily: text(),
    linkageFamilyPartial: text().array(),
    linkageGiven: text(),
    linkageGivenPartial: text().array(),
    linkageBirthDate: text(),
    linkageBirthDateSwapped: text(),
    linkageBirthYear: text(),
    linkageBirthMonthYear: text(),
    linkageBirthDayMonth: text(),
    linkageSex: text(),
    personId: bigint({ mode: 'number' }),
  },
  (t) => [unique().on(t.recordId, t.position), index().on(t.slk581Token), index().on(t.personId), ...blockingIndexes('perpetrator_keys', t)],
);

/**
 * Count returns (contract 1.1 section 5): services that report totals (police, helplines, courts)
 * send a quarter's counts, versioned per service and period exactly as returns are, but apart from
 * them: a count return never supersedes a return of records, nor the other way round.
 */
export const countReturns = pgTable(
  'count_returns',
  {
    id: uuid().primaryKey().defaultRandom(),
    serviceId: text()
      .notNull()
      .references(() => services.id),
    period: text().notNull(),
    version: integer().notNull(),
    cellCount: integer().notNull(),
    warnings: jsonb().notNull().default([]),
    submittedBy: uuid().references(() => apiKeys.id),
    receivedAt: createdAt(),
    /** Set when a later version of the same service and period is accepted. */
    supersededAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [unique().on(t.serviceId, t.period, t.version), index().on(t.period, t.serviceId)],
);

/** One count of a count return: a measure of the catalogue, in an area (GSS code), optionally broken down. */
export const countCells = pgTable(
  'count_cells',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    countReturnId: uuid()
      .notNull()
      .references(() => countReturns.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    measure: text().notNull(),
    area: text().notNull(),
    value: integer().notNull(),
    /** The breakdown the count is for (`{ "sex": "female" }`); null for the total. */
    breakdown: jsonb(),
    /**
     * The cell key of the ONS cell key method for a count that arrives as a total (no records to sum
     * keys over): uniform on 0–255, drawn by the database as the cell is stored.
     */
    cellKey: integer()
      .notNull()
      .default(sql`floor(random() * 256)::int`),
  },
  (t) => [index().on(t.countReturnId, t.position), index().on(t.measure, t.area)],
);

/** The links that joined records into persons, with their match weights, for explanation. */
export const personLinks = pgTable(
  'person_links',
  {
    /** `records.id`s; the link goes with either record (a trigger of migration 0012). */
    recordA: bigint({ mode: 'number' }).notNull(),
    recordB: bigint({ mode: 'number' }).notNull(),
    weight: doublePrecision().notNull(),
    levels: jsonb().notNull(),
    modelVersion: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.recordA, t.recordB] }), index().on(t.recordB)],
);

/** Fellegi–Sunter models (m and u probabilities); the newest is used for incremental linkage. */
export const linkageModels = pgTable('linkage_models', {
  version: text().primaryKey(),
  model: jsonb().notNull(),
  /** How many records the model was estimated on: its prior is rescaled when the data grows. */
  trainedOnRecords: integer().notNull(),
  createdAt: createdAt(),
});

/**
 * Term frequencies of linkage: how many linked records (victims) or keys (perpetrators) of current
 * returns hold each token or attribute value. Kept up to date by each linkage run, from the return
 * it links and the version that return superseded, so a run reads the counts of its own tokens
 * instead of scanning every current record; a full relink rebuilds them.
 */
export const linkageFrequencies = pgTable(
  'linkage_frequencies',
  {
    /** `victim` or `perpetrator`: each kind of person is matched among its own. */
    subject: text().notNull(),
    /** The comparison the value belongs to: `family`, `given`, `birthDate` or an attribute's name. */
    comparison: text().notNull(),
    value: text().notNull(),
    holders: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.subject, t.comparison, t.value] })],
);

/** Periods an admin has closed to new versions (after their deadline, once figures are published). */
export const periodLocks = pgTable('period_locks', {
  period: text().primaryKey(),
  reason: text(),
  lockedBy: uuid().references(() => apiKeys.id),
  lockedAt: createdAt(),
});

/**
 * Idempotency keys (IETF draft "The Idempotency-Key HTTP Header Field"), scoped to the API key that
 * sent them: the first request claims the key, retries replay its stored response.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    apiKeyId: uuid()
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    key: text().notNull(),
    /** Method and path: a key reused on another operation is a different request. */
    operation: text().notNull(),
    /** SHA-256 of the request (query and body): the same key with another body is refused. */
    fingerprint: text().notNull(),
    /** Null while the first request is still in flight. */
    responseStatus: integer(),
    responseBody: jsonb(),
    responseHeaders: jsonb(),
    /** An in-flight claim older than this was abandoned (a crashed process) and may be taken over. */
    leaseUntil: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.apiKeyId, t.key] }), index().on(t.expiresAt)],
);

/** Background work a request handed over (large returns): progress while it runs, its result after. */
export const jobs = pgTable(
  'jobs',
  {
    id: uuid().primaryKey().defaultRandom(),
    kind: text().notNull(),
    /** queued, running, succeeded or failed. */
    status: text().notNull(),
    submittedBy: uuid().references(() => apiKeys.id),
    serviceId: text(),
    period: text(),
    progress: jsonb().notNull().default({}),
    /** What the job works on: for `linkage`, the accepted return and the version it superseded. */
    payload: jsonb(),
    /** The HTTP status and body the request would have answered with (a return summary or a problem). */
    resultStatus: integer(),
    result: jsonb(),
    createdAt: createdAt(),
    startedAt: timestamp({ withTimezone: true, mode: 'date' }),
    finishedAt: timestamp({ withTimezone: true, mode: 'date' }),
    /**
     * The instance that runs a request's job: it holds a session advisory lock on this id while it
     * lives, so a job whose owner's lock is gone died with it (services/jobs.ts).
     */
    owner: text(),
  },
  (t) => [index().on(t.status), index().on(t.kind, t.status, t.createdAt)],
);

/** Who did what: submissions, reads of record-level data, key management, locks. Never a person's data. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    at: createdAt(),
    apiKeyId: uuid(),
    role: text(),
    action: text().notNull(),
    resourceType: text(),
    resourceId: text(),
    outcome: text().notNull(),
    detail: jsonb().notNull().default({}),
    requestId: text(),
  },
  (t) => [index().on(t.at), index().on(t.action, t.at)],
);
