import { Type } from 'typebox';
import { fieldColumn } from '../dataset/columns.js';
import { ERASURE_REASONS } from '../../services/referrals/erase-referral.js';
import { ServiceIdSchema } from './common.js';
import { RecordUpdateSchema, ReturnStatusSchema } from './returns.js';

const referralIdField = fieldColumn('referralId').field;

export const ReferralParams = Type.Object({
  id: ServiceIdSchema,
  referralId: Type.String({
    pattern: referralIdField.pattern!,
    maxLength: referralIdField.maxLength!,
    description: `${referralIdField.definition} Percent-encode a \`/\` in it.`,
  }),
});

const versionOf = {
  returnId: Type.String({ format: 'uuid' }),
  period: Type.String(),
  version: Type.Integer({ minimum: 1 }),
  status: ReturnStatusSchema,
  receivedAt: Type.String({ format: 'date-time' }),
};

export const ReferralExportSchema = Type.Object(
  {
    service: Type.String(),
    referralId: Type.String(),
    versions: Type.Array(Type.Object({ ...versionOf, record: Type.Ref('DatasetRecord') }), {
      description:
        'Every stored version of the record, by period and version: current and superseded, as the service sent it; linkage keys are never returned.',
    }),
    updates: Type.Array(Type.Object({ ...versionOf, update: RecordUpdateSchema }), {
      description: 'Every later update that named the referral, as it was sent, with the return version that carried it.',
    }),
    reads: Type.Array(
      Type.Object({
        at: Type.String({ format: 'date-time' }),
        action: Type.String({
          description: '`referral.read` (this export), `return.read` or `return.diff_read` (a version of a return holding the referral).',
        }),
        apiKeyId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
        role: Type.Union([Type.String(), Type.Null()]),
      }),
      { description: 'Who has read it, newest first, this export included: from the audit log.' },
    ),
  },
  { $id: 'ReferralExport', description: 'Everything stored about one referral of a service, for a subject access request.' },
);

export const ErasureQuery = Type.Object({
  reason: Type.String({
    enum: [...ERASURE_REASONS],
    description:
      'Why: `subject_request` (the person asked, Art. 17), `recorded_in_error`, `legal_obligation` (a court order, the end of a retention period), `other`. A code, so the audit log keeps no words about a person.',
  }),
});

export const ReferralErasureSchema = Type.Object(
  {
    service: Type.String(),
    reason: Type.String({ enum: [...ERASURE_REASONS] }),
    erased: Type.Object({
      versions: Type.Integer({ minimum: 0, description: 'Versions of the record deleted, current and superseded.' }),
      updates: Type.Integer({ minimum: 0, description: 'Later updates naming the referral deleted.' }),
    }),
    peopleRematched: Type.Integer({
      minimum: 0,
      description: 'Records of the people it was linked with, matched again without it.',
    }),
  },
  { $id: 'ReferralErasure', description: 'What an erasure removed. The returns keep their record counts; the audit log keeps a tombstone.' },
);
