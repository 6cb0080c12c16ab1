/**
 * The analytics query surface of dataset 1.1 (v1.1 contract, sections 4 and 8): the scope
 * parameters `subject`, `localAuthority` and `basis` on every analytic endpoint, the 1.1
 * dimensions (each checked against a table built here from the records sent), `measure=perpetrators`
 * and completeness of the module fields over the records carrying each module.
 */
import t from 'tap';
import { ethnicityGroupOf } from '../../src/schema/dataset/derived.js';
import { dimensions } from '../../src/services/analytics/dimensions.js';
import { admin, buildTestApp, createKey, registerService } from '../helper.js';
import { makeRecord } from '../support/records.js';

type Json = Record<string, unknown>;
type Cell = { key: Record<string, string>; value: number | null; status: string };

const Q1 = '2023-24-Q1';
const Q2 = '2023-24-Q2';
const NR = 'not_recorded';
const NONE = 'none';

// SLK-581 keys: the same perpetrator named at two services, and a person who harms referred themselves.
const SAME_PERPETRATOR = 'MIHAR010119801';
const SELF_REFERRED = 'OHNMI020219851';

/** A victim's referral of 1.1.0: makeRecord's, with the victim's local authority and the given fields. */
function victimRecord(i: number, period: string, localAuthority: string | undefined, extra: Json): Json {
  const base = makeRecord(i, period);
  const { closure: _closure, ...rest } = base;
  const victim = { ...(base.victim as Json), ...(localAuthority ? { localAuthority } : {}) };
  return { ...rest, referralId: `V-${period}-${i}`, victim, onwardReferrals: [], perpetrators: [], ...extra };
}

const perpetrator = (extra: Json = {}): Json => ({ relationshipToVictim: 'intimate_partner', sex: 'male', age: 34, ...extra });
const closure = (closedDate: string, extra: Json = {}): Json => ({ closedDate, reason: 'support_completed', riskReduced: null, feelsSafer: null, ...extra });

// Q1 at the VVA. A3's closure arrives as an update with the Q2 return (`A3_CLOSURE`).
const A0 = victimRecord(0, Q1, 'E09000001', {
  referralDate: '2023-04-03',
  supportNeeds: ['housing', 'safety_planning'],
  supportProvided: ['housing'],
  onwardReferrals: [{ serviceType: 'idva', outcome: 'accepted' }, { serviceType: 'housing', outcome: 'no_service_available' }, { serviceType: 'idva' }],
  sanctuary: { securityMeasures: ['lock_change', 'alarm'], propertySecured: true, tenure: 'council' },
  perpetrators: [
    perpetrator({
      ethnicity: 'white_british',
      disability: 'yes',
      vulnerabilities: ['mental_health', 'substance_misuse'],
      linkage: { slk581: SAME_PERPETRATOR },
    }),
    perpetrator({ relationshipToVictim: 'other_family', ethnicity: 'asian_indian', vulnerabilities: [] }),
  ],
});
const A1 = victimRecord(1, Q1, 'E09000012', {
  referralDate: '2023-04-10',
  status: 'duplicate',
  closure: closure('2023-05-01', { riskLevelAtClosure: 'standard', relationshipAtClosure: 'ended' }),
  court: { caseHeard: true, attendedCourt: true, supportAtCourt: true, outcome: 'convicted', earlyGuiltyPlea: null, preSentenceReport: true },
  supportProvided: [],
  onwardReferrals: [{ serviceType: 'refuge', outcome: 'waiting_list' }],
});
const A2 = victimRecord(2, Q1, 'not_known', {
  referralDate: '2023-05-15',
  status: 'declined',
  // Received in Q1, closed in Q2 by the record itself.
  closure: closure('2023-07-20', { reason: 'disengaged' }),
  sanctuary: { securityMeasures: [], propertySecured: false },
  perpetrators: [perpetrator({ disability: 'no' })],
});
const A3_CLOSURE = closure('2023-08-02', { reason: 'moved_away', relationshipAtClosure: 'continuing' });
const A3 = victimRecord(3, Q1, undefined, {
  referralDate: '2023-06-20',
  housing: { homelessnessApproach: true, temporaryAccommodation: false, movedDueToAbuse: true, outcome: 'remained_safely' },
  health: { setting: 'gp', disclosure: true },
  programme: { programmeType: 'survivor_group', stage: 'started', partnerSupported: null },
});
// Q1 at the IDVA: the same perpetrator as A0's first.
const B0 = victimRecord(0, Q1, 'E09000001', {
  referralId: 'B-0',
  referralDate: '2023-06-01',
  perpetrators: [perpetrator({ ethnicity: 'white_british', linkage: { slk581: SAME_PERPETRATOR } })],
});
// Q1 at the programme: a person who harms referred themselves (no victim known).
function selfReferral(): Json {
  const { closure: _c, nonVawgCrimeType: _n, victim: _v, perpetrators: _p, ...base } = makeRecord(5, Q1);
  return {
    ...base,
    referralId: 'P-0',
    referralDate: '2023-05-02',
    subject: 'perpetrator',
    category: 'vawg',
    vawgTypes: ['domestic_abuse'],
    onwardReferrals: [],
    perpetrators: [perpetrator({ localAuthority: 'E09000001', ethnicity: 'black_african', linkage: { slk581: SELF_REFERRED } })],
    programme: { programmeType: 'community_perpetrator_programme', stage: 'assessed', partnerSupported: true },
  };
}
const P0 = selfReferral();
// Q2 at the VVA: one new referral, still open.
const D0 = victimRecord(4, Q2, 'E09000001', { referralDate: '2023-07-05' });

/** The victims' Q1 referrals as the Q2 update leaves them. */
const VICTIMS_Q1: Json[] = [A0, A1, A2, { ...A3, closure: A3_CLOSURE }, B0];

const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const field = (record: Json, module: string, name: string): string | undefined => (record[module] as Json | undefined)?.[name] as string | undefined;
const personLocalAuthority = (r: Json) =>
  ((r.subject === 'perpetrator' ? list(r.perpetrators)[0]?.localAuthority : (r.victim as Json | undefined)?.localAuthority) as string | undefined) ?? NR;

/**
 * The values a record counts under for each dimension, built from the records as sent: a record
 * counts once per distinct value; an onward dimension counts each onward-referral entry.
 */
const EXPECTED: Record<string, { values: (r: Json) => string[]; perEntry?: boolean }> = {
  subject: { values: (r) => [(r.subject as string) ?? 'victim'] },
  status: { values: (r) => [(r.status as string) ?? 'accepted'] },
  localAuthority: { values: (r) => [personLocalAuthority(r)] },
  closureReason: { values: (r) => [field(r, 'closure', 'reason') ?? NR] },
  riskLevelAtClosure: { values: (r) => [field(r, 'closure', 'riskLevelAtClosure') ?? NR] },
  relationshipAtClosure: { values: (r) => [field(r, 'closure', 'relationshipAtClosure') ?? NR] },
  onwardServiceType: { perEntry: true, values: (r) => (list(r.onwardReferrals).length ? list(r.onwardReferrals).map((o) => o.serviceType as string) : [NONE]) },
  onwardOutcome: { perEntry: true, values: (r) => (list(r.onwardReferrals).length ? list(r.onwardReferrals).map((o) => (o.outcome as string) ?? NR) : [NONE]) },
  supportProvided: { values: (r) => (list(r.supportProvided).length ? (r.supportProvided as string[]) : [NONE]) },
  securityMeasure: {
    values: (r) => {
      if (!r.sanctuary) return [NR];
      const measures = list((r.sanctuary as Json).securityMeasures) as unknown as string[];
      return measures.length ? measures : [NONE];
    },
  },
  tenure: { values: (r) => [field(r, 'sanctuary', 'tenure') ?? NR] },
  housingOutcome: { values: (r) => [field(r, 'housing', 'outcome') ?? NR] },
  courtOutcome: { values: (r) => [field(r, 'court', 'outcome') ?? NR] },
  healthSetting: { values: (r) => [field(r, 'health', 'setting') ?? NR] },
  programmeType: { values: (r) => [field(r, 'programme', 'programmeType') ?? NR] },
  programmeStage: { values: (r) => [field(r, 'programme', 'stage') ?? NR] },
  perpetratorEthnicityGroup: {
    values: (r) => (list(r.perpetrators).length ? list(r.perpetrators).map((p) => (p.ethnicity ? ethnicityGroupOf(p.ethnicity as string) : NR)) : [NONE]),
  },
  perpetratorDisability: { values: (r) => (list(r.perpetrators).length ? list(r.perpetrators).map((p) => (p.disability as string) ?? NR) : [NONE]) },
  perpetratorVulnerability: {
    values: (r) =>
      list(r.perpetrators).length
        ? list(r.perpetrators).flatMap((p) =>
            p.vulnerabilities === undefined ? [NR] : list(p.vulnerabilities).length ? (p.vulnerabilities as string[]) : [NONE],
          )
        : [NONE],
  },
};

/** The expected table of one dimension over `records`: every code of its domain, zeros included. */
function expectedTable(id: string, records: Json[], domain: string[]): Record<string, number> {
  const table = Object.fromEntries(domain.map((code) => [code, 0]));
  const { values, perEntry } = EXPECTED[id]!;
  for (const record of records) for (const code of perEntry ? values(record) : [...new Set(values(record))]) table[code] = (table[code] ?? 0) + 1;
  return table;
}

const tableOf = (cells: Cell[], id: string) => Object.fromEntries(cells.map((c) => [c.key[id]!, c.value]));

t.test('the analytics query surface of dataset 1.1', async (t) => {
  const app = await buildTestApp(t);
  await registerService(app, 'la-vva', 'vva');
  await registerService(app, 'la-idva', 'idva');
  await registerService(app, 'la-prog', 'perpetrator_programme');
  const analyst = await createKey(app, 'analyst');
  const submit = async (service: string, period: string, records: Json[], updates?: Json[]) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/returns',
      headers: admin,
      payload: { service, period, datasetVersion: '1.1.0', records, ...(updates ? { updates } : {}) },
    });
    if (res.statusCode !== 201) throw new Error(res.body);
  };
  const get = (path: string, query: string, headers: Record<string, string> = admin) => app.inject({ method: 'GET', url: `/v1/${path}?${query}`, headers });
  const aggregate = async (query: string, headers: Record<string, string> = admin) => {
    const res = await get('aggregates', query, headers);
    if (res.statusCode !== 200) throw new Error(res.body);
    return res.json();
  };

  await submit('la-vva', Q1, [A0, A1, A2, A3]);
  await submit('la-idva', Q1, [B0]);
  await submit('la-prog', Q1, [P0]);
  await submit('la-vva', Q2, [D0], [{ referralId: A3.referralId, referralPeriod: Q1, closure: A3_CLOSURE }]);

  await t.test('subject: victims by default, people who harm referred themselves on asking, both by groupBy=subject', async (t) => {
    t.equal((await aggregate(`period=${Q1}`)).totals.overall.value, 5, 'the victims’ referrals');
    const self = await aggregate(`period=${Q1}&subject=perpetrator`);
    t.equal(self.totals.overall.value, 1);
    t.equal(self.period.subject, 'perpetrator', 'the subject is stated when not the default');
    t.notOk('subject' in (await aggregate(`period=${Q1}&subject=victim`)).period, 'the default is not stated');
    const both = await aggregate(`period=${Q1}&groupBy=subject`);
    t.same(tableOf(both.cells, 'subject'), { victim: 5, perpetrator: 1 }, 'grouping by subject with none given compares the two');
    t.same(tableOf((await aggregate(`period=${Q1}&groupBy=subject&subject=victim`)).cells, 'subject'), { victim: 5, perpetrator: 0 });
  });

  await t.test('localAuthority: the person’s, the victim’s or the perpetrator referred’s', async (t) => {
    const camden = await aggregate(`period=${Q1}&localAuthority=E09000001`);
    t.equal(camden.totals.overall.value, 2, 'A0 and B0');
    t.equal(camden.period.localAuthority, 'E09000001');
    t.equal((await aggregate(`period=${Q1}&localAuthority=E09000001&subject=perpetrator`)).totals.overall.value, 1, 'the self-referral');
    t.equal((await aggregate(`period=${Q1}&localAuthority=not_known`)).totals.overall.value, 1);
    t.equal((await aggregate(`period=${Q1}&localAuthority=E09000001&groupBy=subject`)).totals.overall.value, 3, 'both subjects, each by their own');
  });

  await t.test('basis: closure counts a referral of an earlier quarter closed in this one, by the record or an update', async (t) => {
    const closed = await aggregate(`period=${Q2}&basis=closure&groupBy=closureReason`);
    t.equal(closed.period.basis, 'closure');
    t.equal(closed.totals.overall.value, 2, 'A2 (closed by its record) and A3 (by the update), both received in Q1');
    t.equal(tableOf(closed.cells, 'closureReason').disengaged, 1);
    t.equal(tableOf(closed.cells, 'closureReason').moved_away, 1);
    t.equal((await aggregate(`period=${Q1}&basis=closure`)).totals.overall.value, 1, 'A1 closed in Q1');
    t.equal((await aggregate(`period=${Q2}&service=la-vva`)).totals.overall.value, 1, 'by referral, Q2 has only D0');
  });

  await t.test('basis: activity counts cases open at any time in the period', async (t) => {
    const open = await aggregate(`period=${Q2}&basis=activity&service=la-vva`);
    t.equal(open.totals.overall.value, 4, 'A0 (open), A2 and A3 (closed in Q2), D0 (new); not A1 (closed in Q1)');
    t.equal((await aggregate(`period=${Q2}&basis=activity`)).totals.overall.value, 5, 'and B0 at the IDVA; the self-referral is not a victim');
  });

  await t.test('every 1.1 dimension: a complete table, as counted from the records sent', async (t) => {
    for (const id of Object.keys(EXPECTED)) {
      const both = id === 'subject';
      const records = both ? [...VICTIMS_Q1, P0] : VICTIMS_Q1;
      const body = await aggregate(`period=${Q1}&groupBy=${id}`);
      const scope = { quarters: [], services: [], subject: 'victim' as const, basis: 'referral' as const, description: { period: Q1, quarters: [] } };
      const context = {
        scope,
        ageBands: 'five_year' as const,
        ...(id === 'localAuthority' ? { localAuthorities: ['E09000012', 'E09000001', 'not_known', NR] } : {}),
      };
      const domain = dimensions[id]!.domain(context);
      t.same(
        body.cells.map((c: Cell) => c.key[id]),
        domain,
        `${id}: every code of its domain, in order`,
      );
      t.same(tableOf(body.cells, id), expectedTable(id, records, domain), `${id}: the counts`);
      t.equal(body.totals.overall.value, records.length, `${id}: the total counts referrals`);
      t.equal(body.multiValued.includes(id), dimensions[id]!.multiValued, `${id}: multi-valued or not`);
    }
    t.same(dimensions.localAuthority!.domain({ scope: {} as never, ageBands: 'five_year' }), ['not_known', NR], 'an open set: only what the records name');
  });

  await t.test('dimensions follow the scope: programme types of the self-referrals', async (t) => {
    const body = await aggregate(`period=${Q1}&groupBy=programmeType&subject=perpetrator`);
    t.equal(tableOf(body.cells, 'programmeType').community_perpetrator_programme, 1);
    t.equal(body.totals.overall.value, 1);
    const sex = await aggregate(`period=${Q1}&groupBy=sex&subject=perpetrator`);
    t.same(
      sex.cells.filter((c: Cell) => c.value).map((c: Cell) => [c.key.sex, c.value]),
      [[NR, 1]],
      'a victim field of a referral naming no victim is not recorded',
    );
  });

  await t.test('dimensions combine: onward outcome by service type counts entries', async (t) => {
    const body = await aggregate(`period=${Q1}&groupBy=onwardServiceType,onwardOutcome&service=la-vva`);
    const cell = (type: string, outcome: string) => body.cells.find((c: Cell) => c.key.onwardServiceType === type && c.key.onwardOutcome === outcome).value;
    t.equal(cell('idva', 'accepted'), 1);
    t.equal(cell('idva', NR), 1);
    t.equal(cell('housing', 'no_service_available'), 1);
    t.equal(cell('refuge', 'waiting_list'), 1);
    t.equal(cell(NONE, NONE), 2, 'A2 and A3 made none');
    t.equal(body.totals.overall.value, 4, 'the total is referrals');
  });

  await t.test('measure=perpetrators: distinct perpetrator persons, one per entry, the same key at two services once', async (t) => {
    const all = await aggregate(`period=${Q1}&measure=perpetrators&groupBy=service`);
    t.match(all.unit, /^perpetrators/);
    t.same(tableOf(all.cells, 'service'), { 'la-idva': 1, 'la-prog': 1, 'la-vva': 3 }, 'A0’s two, A2’s one; B0’s; the self-referral');
    t.equal(all.totals.overall.value, 4, 'A0’s first and B0’s are one person: 5 entries, 4 persons');
    t.notOk('subject' in all.period, 'no subject given: both');
    t.equal((await aggregate(`period=${Q1}&measure=perpetrators&subject=victim`)).totals.overall.value, 3, 'alleged in victims’ records only');
    t.equal((await aggregate(`period=${Q1}&measure=perpetrators&subject=perpetrator`)).totals.overall.value, 1, 'referred themselves only');
    const bySex = await aggregate(`period=${Q1}&measure=perpetrators&groupBy=perpetratorEthnicityGroup`);
    t.same(
      Object.fromEntries(Object.entries(tableOf(bySex.cells, 'perpetratorEthnicityGroup')).filter(([, n]) => n)),
      { white: 1, asian: 1, black: 1, [NR]: 1 },
      'perpetrator dimensions read each person’s own entry',
    );
    t.equal(
      (await aggregate(`period=${Q1}&measure=perpetrators&localAuthority=E09000001`)).totals.overall.value,
      3,
      'records whose person lives there (A0, B0, the self-referral): the shared perpetrator, A0’s second, the self-referred',
    );
  });

  await t.test('measure=perpetrators is protected as people are, for analysts', async (t) => {
    const body = await aggregate(`period=${Q1}&measure=perpetrators&groupBy=service`, { authorization: `Bearer ${analyst}` });
    t.equal(body.disclosure.applied, true);
    t.ok(
      body.cells.every((c: Cell) => c.status === 'suppressed' && c.value === null),
      'counts from 1 to 4 are suppressed',
    );
    t.equal(body.totals.overall.status, 'suppressed');
    const csv = await get('aggregates', `period=${Q1}&measure=perpetrators&groupBy=service&format=csv`);
    t.equal(csv.statusCode, 200);
    t.match(csv.body.split('\r\n')[0], /service,serviceLabel,perpetrators,/, 'the CSV count column is named after the measure');
  });

  await t.test('bad scope values are 400s naming the parameter, on every endpoint, never quoting the value', async (t) => {
    for (const path of ['aggregates', 'indicators', 'completeness', 'overlaps']) {
      for (const [parameter, value] of [
        ['subject', 'nobody'],
        ['basis', 'whenever'],
        ['localAuthority', 'X09000001'],
      ] as const) {
        const res = await get(path, `period=${Q1}&${parameter}=${value}`);
        t.equal(res.statusCode, 400, `${path} ${parameter}`);
        t.ok(
          res.json().errors.some((e: Json) => e.parameter === parameter),
          `${path}: names ${parameter}`,
        );
        t.notOk(res.body.includes(value), `${path}: the value is not quoted`);
      }
    }
  });

  await t.test('indicators and completeness take the scope and state it', async (t) => {
    const indicators = await get('indicators', `period=${Q2}&basis=closure&localAuthority=not_known`);
    t.equal(indicators.statusCode, 200);
    t.equal(indicators.json().period.basis, 'closure');
    t.equal(indicators.json().period.localAuthority, 'not_known');
    const completeness = await get('completeness', `period=${Q1}&subject=perpetrator`);
    t.equal(completeness.statusCode, 200, completeness.body);
    t.equal(completeness.json().period.subject, 'perpetrator');
  });

  await t.test('overlaps are for victims: subject=perpetrator is a clear 400', async (t) => {
    const res = await get('overlaps', `period=${Q1}&subject=perpetrator`);
    t.equal(res.statusCode, 400);
    t.same(
      res.json().errors.map((e: Json) => [e.parameter, e.code]),
      [['subject', 'not_supported']],
    );
    const victims = await get('overlaps', `period=${Q1}&localAuthority=E09000001`);
    t.equal(victims.statusCode, 200, victims.body);
    t.equal(victims.json().people.value, 2, 'A0 and B0, different people');
  });

  await t.test('completeness: module fields over the records carrying the module, and the 1.1 record fields', async (t) => {
    const res = await get('completeness', `period=${Q1}`);
    t.equal(res.statusCode, 200, res.body);
    t.notOk(
      res.json().fields.some((f: Json) => f.path === 'sanctuary.tenure'),
      'the victim fields’ list reads as in 1.0',
    );
    const fields = Object.fromEntries(res.json().recordFields.map((f: Json) => [f.path, [f.known, f.total]]));
    t.same(fields['victim.localAuthority'], [3, 5], 'A0, A1 and B0 name one; not_known and absent are not known');
    t.same(fields['supportProvided'], [2, 5], 'A0 and A1 (an empty list is an answer)');
    t.same(fields['sanctuary.tenure'], [1, 2], 'A0 and A2 carry the sanctuary module; A2 left tenure out');
    t.same(fields['sanctuary.securityMeasures'], [2, 2]);
    t.same(fields['housing.outcome'], [1, 1]);
    t.same(fields['court.earlyGuiltyPlea'], [0, 1], 'null is not known');
    t.same(fields['court.preSentenceReport'], [1, 1]);
    t.same(fields['closure.riskLevelAtClosure'], [1, 3], 'A1, A2 and A3 (closed by the update) are closed; A1 gave it');
    t.same(fields['closure.relationshipAtClosure'], [2, 3], 'A1 and A3');
    t.same(fields['programme.partnerSupported'], [0, 1]);
    t.same(fields['refuge.admissionDate'], [0, 0], 'no record carries the refuge module');
    t.equal(res.json().recordFields.find((f: Json) => f.path === 'refuge.admissionDate').status, 'not_available');
    const self = (await get('completeness', `period=${Q1}&subject=perpetrator`)).json();
    const selfFields = Object.fromEntries(self.recordFields.map((f: Json) => [f.path, [f.known, f.total]]));
    t.same(selfFields['programme.stage'], [1, 1], 'the scope parameters narrow the records measured');
    t.same(selfFields['sanctuary.tenure'], [0, 0]);
    const analysts = (await get('completeness', `period=${Q1}`, { authorization: `Bearer ${analyst}` })).json();
    t.match(
      analysts.recordFields.find((f: Json) => f.path === 'sanctuary.tenure'),
      { known: null, total: null, completeness: null, status: 'suppressed' },
      'for analysts, a module over 2 records is suppressed as any small count',
    );
  });
});
