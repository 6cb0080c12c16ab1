/** Schemas every analytic endpoint shares: the scope query, the scope answered, the disclosure rule. */
import { Type, type TSchema } from 'typebox';
import { PERIOD_PATTERN, QUARTER_PATTERN } from '../../lib/periods.js';
import { AreaCodeSchema, ServiceIdSchema, ServiceTypeSchema } from './common.js';
import { victimField } from '../dataset/fields.js';
import { BASES, SUBJECTS } from '../../services/analytics/scope.js';

/** Whether a published figure is shown or withheld by disclosure control: the one list of these statuses. */
export const PUBLICATION_STATUSES = ['ok', 'suppressed'] as const;
export const PublicationStatusSchema = Type.String({
  enum: [...PUBLICATION_STATUSES],
  description: '`suppressed`: withheld by disclosure control (the value is null); `ok`: published.',
});

/** Beside `status` (whose values stay as they are): why a suppressed value was withheld. */
export const SuppressionKindSchema = Type.Optional(
  Type.String({
    enum: ['primary', 'complementary'],
    description:
      'On suppressed values only: `primary` when the value itself is small (1 to threshold − 1), `complementary` when it was withheld so that a small value cannot be recovered by subtraction from the published ones.',
  }),
);

/** Which quarters an analytic query covers: `period`, or `from` and `to`. */
export const PeriodQueryProperties = {
  period: Type.Optional(
    Type.String({ pattern: PERIOD_PATTERN, description: 'A quarter (`2022-23-Q1`) or a financial year (`2022-23`). Give this or `from`/`to`.' }),
  ),
  from: Type.Optional(Type.String({ pattern: QUARTER_PATTERN, description: 'First quarter of a range, e.g. `2022-23-Q1`.' })),
  to: Type.Optional(Type.String({ pattern: QUARTER_PATTERN, description: 'Last quarter of a range (inclusive), e.g. `2022-23-Q2`.' })),
};

const localAuthorityField = victimField('localAuthority');

/**
 * Whom and which records (dataset 1.1): the subject, the person's local authority and the basis
 * the period selects records by. Declared once; every analytic endpoint takes them. The pattern is
 * the dataset field's own, so a code the records cannot hold is a 400 naming `localAuthority`.
 */
export const RecordScopeQueryProperties = {
  subject: Type.Optional(
    Type.String({
      enum: [...SUBJECTS],
      description:
        'Whom the records are about: `victim` (the default: victim-survivors referred) or `perpetrator` (people who harm referred themselves). ' +
        'Not given, `measure=perpetrators` and `groupBy=subject` cover both subjects (every perpetrator person, alleged in a victim’s record or referred themselves); ' +
        'given, they keep to that subject. Overlaps are for victims: `perpetrator` is a 400 there.',
    }),
  ),
  localAuthority: Type.Optional(
    Type.String({
      pattern: localAuthorityField.pattern!,
      maxLength: localAuthorityField.maxLength!,
      description:
        'Only records whose person lives in this local authority (ONS GSS code, or `not_known`): the victim’s `victim.localAuthority`, or for subject `perpetrator` the person referred’s.',
    }),
  ),
  basis: Type.Optional(
    Type.String({
      enum: [...BASES],
      description:
        'Which records the period selects: `referral` (the default: referrals received in it), `closure` (referrals closed in it, by the record or a later update, whatever quarter they arrived in) ' +
        'or `activity` (cases open at any time in it). Records are read as their updates leave them.',
    }),
  ),
};

/** The quarters plus which services: one service, a service type, or an area; and whom (`RecordScopeQueryProperties`). */
export const ScopeQueryProperties = {
  ...PeriodQueryProperties,
  service: Type.Optional(ServiceIdSchema),
  serviceType: Type.Optional(ServiceTypeSchema),
  area: Type.Optional(AreaCodeSchema),
  ...RecordScopeQueryProperties,
};

/** `format`: the JSON, or the same figures as a CSV download (`Accept: text/csv` asks for it too). */
export function formatQueryProperty(description: string) {
  return { format: Type.String({ enum: ['json', 'csv'], default: 'json', description }) };
}

/** The 200 of an analytic endpoint: its JSON, or (`format=csv`, `Accept: text/csv`) the same figures as CSV. */
export function jsonOrCsvResponse(description: string, json: { schema: TSchema; examples?: Record<string, unknown> }, csvExample: string) {
  return {
    description,
    headers: {
      'content-disposition': Type.String({
        description: 'With CSV only: `attachment; filename="vawg-<endpoint>-…-<period>.csv"`, the name made of the query’s validated values.',
      }),
      vary: Type.String({ description: '`Accept`: the answer is JSON or CSV by it (and by `format`).' }),
    },
    content: {
      'application/json': json,
      'text/csv': {
        schema: Type.String({
          description:
            'UTF-8 with a byte order mark, CRLF line ends and a header row; sent as a download (`Content-Disposition: attachment`). A coded column `x` has its label in `xLabel`; a suppressed figure is empty with `status` `suppressed`.',
        }),
        example: csvExample,
      },
    },
  };
}

export const ScopeSchema = Type.Object(
  {
    period: Type.String({ description: 'The period asked for: a quarter, a financial year, or `from/to`.' }),
    quarters: Type.Array(Type.String(), { description: 'The quarters covered.' }),
    service: Type.Optional(Type.String()),
    serviceType: Type.Optional(Type.String()),
    area: Type.Optional(Type.String()),
    subject: Type.Optional(Type.String({ enum: [...SUBJECTS], description: 'Stated when not the default (`victim`).' })),
    localAuthority: Type.Optional(Type.String({ description: 'The local authority the records were narrowed to, when one was given.' })),
    basis: Type.Optional(Type.String({ enum: [...BASES], description: 'Stated when not the default (`referral`).' })),
    noLongerHeld: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'The quarters of `quarters` for which a service in scope sent a return whose records are no longer held: they were deleted at the end of the retention period (`VAWG_RETENTION_YEARS`, from the end of the financial year). The figures include nothing of them, so read them as not known for those quarters, not as zero. Stated only when there is one.',
      }),
    ),
  },
  { $id: 'Scope', description: 'The scope the figures cover.' },
);

/** Inline in `Disclosure` (not a named schema of its own), as the table is only ever read with the rule. */
export const PerturbationSchema = Type.Object(
  {
    method: Type.String({ description: 'The ONS cell key method.' }),
    recordKeys: Type.String({ description: 'How records get their keys.' }),
    cellKey: Type.String({ description: "How a published count's cell key is derived from its records' keys." }),
    maxNoise: Type.Integer({ description: 'The largest noise added to or taken from a count.' }),
    variance: Type.Number({ description: 'The variance of the noise on counts far enough above the threshold.' }),
    rule: Type.String(),
    table: Type.Array(
      Type.Object({
        countFrom: Type.Integer({ description: 'The row applies to true counts from this …' }),
        countTo: Type.Union([Type.Integer(), Type.Null()], { description: '… to this (null: and above).' }),
        noise: Type.Integer({ description: 'Added to the true count.' }),
        keyFrom: Type.Integer({ description: 'Cell keys from this …' }),
        keyTo: Type.Integer({ description: '… to this (inclusive) give the noise.' }),
        probability: Type.Number({ description: 'The share of cell keys giving the noise: its probability.' }),
      }),
      { description: 'The perturbation table: for each class of true counts, which cell keys give which noise.' },
    ),
  },
  {
    description:
      'For analysts, published counts carry ONS cell key noise: the same records give the same value in every query, and differences of totals are not exact.',
  },
);

export const DisclosureSchema = Type.Object(
  {
    applied: Type.Boolean({ description: 'True for analysts; admins see exact figures.' }),
    rule: Type.String(),
    threshold: Type.Integer({ description: 'Counts from 1 to threshold − 1 are suppressed (`VAWG_SUPPRESS_BELOW`).' }),
    primary: Type.String(),
    secondary: Type.String(),
    rates: Type.String(),
    suppressed: Type.Optional(Type.Integer({ description: 'How many published values this response suppresses.' })),
    perturbation: Type.Optional(PerturbationSchema),
  },
  { $id: 'Disclosure', description: 'The disclosure-control rule in force for this response.' },
);
