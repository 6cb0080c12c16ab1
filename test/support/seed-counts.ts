/**
 * The seeds' count tables, as count returns and area populations posted through the API (never by
 * SQL): the review's helpline table (seed 002), the tri-borough police table of 2019-20 (seed 001)
 * and Barnet's year-on-year police table (seed 003). Each figure is the seed's own; where a seed
 * publishes only a rate, the count behind it is noted as back-calculated.
 */
import type { App } from '../../src/app.js';

/** The headers of an admin key (test/helper.ts's `admin`, handed in: test/support never imports the helper). */
export type Headers = Record<string, string>;

async function registerService(app: App, headers: Headers, id: string, serviceType: string, area: string): Promise<void> {
  const res = await app.inject({ method: 'POST', url: '/v1/services', headers, payload: { id, name: `Service ${id}`, serviceType, area } });
  if (res.statusCode !== 201) throw new Error(`registering ${id}: ${res.statusCode} ${res.body}`);
}

/** Seed 002, §2.0: "Comparing the City with its five neighbouring boroughs (using data provided by London Councils)". */
export const helplineTable = {
  period: '2020-21-Q3',
  populationYear: 2018,
  rows: [
    { area: 'E09000001', name: 'City of London', population: 7_700, calls: 44, publishedPer1000: 5.7 },
    { area: 'E09000007', name: 'Camden', population: 253_000, calls: 215, publishedPer1000: 0.8 },
    { area: 'E09000012', name: 'Hackney', population: 282_000, calls: 251, publishedPer1000: 0.9 },
    { area: 'E09000019', name: 'Islington', population: 238_000, calls: 212, publishedPer1000: 0.9 },
    { area: 'E09000030', name: 'Tower Hamlets', population: 317_000, calls: 308, publishedPer1000: 1.0 },
    { area: 'E09000033', name: 'Westminster', population: 254_000, calls: 237, publishedPer1000: 0.9 },
  ],
} as const;

/**
 * Seed 001, §7.1: "2019/20 DA Offences DA Incidents DA Sanction Detections" for Westminster (WCC),
 * Hammersmith & Fulham (LBHF) and Kensington & Chelsea (RBKC). The seed's own arithmetic disagrees
 * with its figures once: its DA offences total reads 5641, but 2252 + 1874 + 1335 = 5461 (the
 * incidents, 9086, and sanction detections, 708, do add up). The seed publishes no rates.
 */
export const triBoroughPolice = {
  financialYear: '2019-20',
  rows: [
    { area: 'E09000033', name: 'Westminster', offences: 2252, incidents: 3658, sanctionDetections: 264 },
    { area: 'E09000013', name: 'Hammersmith and Fulham', offences: 1874, incidents: 3251, sanctionDetections: 145 },
    { area: 'E09000020', name: 'Kensington and Chelsea', offences: 1335, incidents: 2177, sanctionDetections: 299 },
  ],
  publishedTotals: { offences: 5641, incidents: 9086, sanctionDetections: 708 },
} as const;

/**
 * Seed 003, §3.2.3.4 (Barnet, "12 months to March"): incidents 5222 → 5048 and offences 3243 → 3149,
 * published as "Decrease (3.5%)" and "Decrease (3.0%)"; the seed's arithmetic disagrees with both:
 * (5048 − 5222) ÷ 5222 = −3.3% and (3149 − 3243) ÷ 3243 = −2.9%. The conversion rate "62%" agrees
 * (3149 ÷ 5048 = 62.4%). The seed gives the sanction detection rate only (14.2%, "last year it was
 * 11.0%"): the detections here are back-calculated from it (14.2% of 3149 ≈ 447, 11.0% of 3243 ≈ 357),
 * so the rates are reproduced, not the detections.
 */
export const barnetPolice = {
  area: 'E09000003',
  years: {
    '2021-22': { incidents: 5222, offences: 3243, sanctionDetections: 357 },
    '2022-23': { incidents: 5048, offences: 3149, sanctionDetections: 447 },
  },
  published: {
    incidentsChangePercent: -3.5,
    offencesChangePercent: -3.0,
    conversionPercent: 62,
    sanctionDetectionPercent: { '2021-22': 11.0, '2022-23': 14.2 },
  },
} as const;

export interface CountInput {
  measure: string;
  area: string;
  value: number;
  breakdown?: Record<string, string>;
}

/** Posts a count return as admin through `POST /v1/count-returns`; fails loudly unless it is accepted. */
export async function postCountReturn(
  app: App,
  admin: Headers,
  service: string,
  period: string,
  counts: CountInput[],
): Promise<{ id: string; version: number }> {
  const res = await app.inject({ method: 'POST', url: '/v1/count-returns', headers: admin, payload: { service, period, counts } });
  if (res.statusCode !== 201) throw new Error(`count return ${service} ${period}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Registers an area and its population figures through `PUT /v1/areas/{code}`. */
export async function putArea(app: App, admin: Headers, code: string, name: string, population: Array<{ year: number; total: number }>): Promise<void> {
  const res = await app.inject({ method: 'PUT', url: `/v1/areas/${code}`, headers: admin, payload: { name, population } });
  if (res.statusCode !== 200 && res.statusCode !== 201) throw new Error(`area ${code}: ${res.statusCode} ${res.body}`);
}

/** The quarters of a financial year. */
export const quartersOfYear = (year: string) => [1, 2, 3, 4].map((q) => `${year}-Q${q}`);

/**
 * An annual figure spread over the four quarters (the remainder to the first ones): count returns are
 * per quarter, the seeds publish the year, and a financial-year query sums the quarters back.
 */
export function spreadOverQuarters(total: number): number[] {
  return [0, 1, 2, 3].map((i) => Math.floor(total / 4) + (i < total % 4 ? 1 : 0));
}

/** Seed 002's helpline table: the areas with their 2018 population, and the calls of Q3 2020-21. */
export async function seedHelplineTable(app: App, admin: Headers, service = 'london-helplines'): Promise<void> {
  await registerService(app, admin, service, 'helpline', 'E09000001');
  for (const row of helplineTable.rows) await putArea(app, admin, row.area, row.name, [{ year: helplineTable.populationYear, total: row.population }]);
  await postCountReturn(
    app,
    admin,
    service,
    helplineTable.period,
    helplineTable.rows.map((row) => ({ measure: 'helpline_calls', area: row.area, value: row.calls })),
  );
}

/** Seed 001's police table, each borough's year spread over the quarters of 2019-20. */
export async function seedTriBoroughPolice(app: App, admin: Headers, service = 'met-central-west'): Promise<void> {
  await registerService(app, admin, service, 'police', 'E09000033');
  const quarters = quartersOfYear(triBoroughPolice.financialYear);
  for (const [i, period] of quarters.entries()) {
    await postCountReturn(
      app,
      admin,
      service,
      period,
      triBoroughPolice.rows.flatMap((row) => [
        { measure: 'police_da_incidents', area: row.area, value: spreadOverQuarters(row.incidents)[i]! },
        { measure: 'police_da_offences', area: row.area, value: spreadOverQuarters(row.offences)[i]! },
        { measure: 'police_da_sanction_detections', area: row.area, value: spreadOverQuarters(row.sanctionDetections)[i]! },
      ]),
    );
  }
}

/** Seed 003's Barnet police figures for 2021-22 and 2022-23, spread over the quarters. */
export async function seedBarnetPolice(app: App, admin: Headers, service = 'met-north-west'): Promise<void> {
  await registerService(app, admin, service, 'police', barnetPolice.area);
  for (const [year, figures] of Object.entries(barnetPolice.years)) {
    for (const [i, period] of quartersOfYear(year).entries()) {
      await postCountReturn(app, admin, service, period, [
        { measure: 'police_da_incidents', area: barnetPolice.area, value: spreadOverQuarters(figures.incidents)[i]! },
        { measure: 'police_da_offences', area: barnetPolice.area, value: spreadOverQuarters(figures.offences)[i]! },
        { measure: 'police_da_sanction_detections', area: barnetPolice.area, value: spreadOverQuarters(figures.sanctionDetections)[i]! },
      ]);
    }
  }
}
