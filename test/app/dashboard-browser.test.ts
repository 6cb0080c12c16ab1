/**
 * The dashboard in a real browser over the seeds' Barnet MARAC year (seed 003) and Barnet police
 * counts, with a three-referral service beside them so that disclosure control has something to
 * suppress. The page is checked against the API it reads: the indicator table equals
 * `/v1/indicators` for the same filters, a suppressed figure is shown as suppressed, the filters
 * live in the address (never the key), a CSV downloads, and screenshots are kept in test-artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { browserUnavailable, serveToBrowser } from '../support/browser.js';
import { BARNET_MARAC, buildBarnetMaracReturns } from '../support/barnet-marac.js';
import { makeRecord } from '../support/records.js';
import { barnetPolice, seedBarnetPolice } from '../support/seed-counts.js';
import type { App } from '../../src/app.js';
import { ADMIN_KEY, admin, bearer, buildTestApp, createKey, registerService } from '../helper.js';

const skip = browserUnavailable();
const ARTIFACTS = new URL('../../test-artifacts/dashboard/', import.meta.url);
/** Seed 003 gives no population; 12.1 incidents per 1,000 from 5,048 incidents implies about 417,000. */
const BARNET_POPULATION = 417_000;
const ETHNIC_GROUPS = { white: 240_000, mixed: 22_000, asian: 80_000, black: 33_000, other: 42_000 };

interface ApiIndicator {
  id: string;
  value: number | null;
  percent?: number | null;
  unit: string;
  status: string;
}

async function seed(app: App): Promise<void> {
  // The ethnic groups are illustrative (they sum to the total), to draw the panel against the population.
  const area = await app.inject({
    method: 'PUT',
    url: `/v1/areas/${BARNET_MARAC.area}`,
    headers: admin,
    payload: {
      name: 'Barnet',
      population: [{ year: 2022, total: BARNET_POPULATION, byGroup: { ethnicityGroup: ETHNIC_GROUPS } }],
    },
  });
  if (area.statusCode >= 300) throw new Error(area.body);
  const created = await app.inject({
    method: 'POST',
    url: '/v1/services',
    headers: admin,
    payload: { id: BARNET_MARAC.id, name: 'Barnet MARAC', serviceType: BARNET_MARAC.serviceType, area: BARNET_MARAC.area },
  });
  if (created.statusCode !== 201) throw new Error(created.body);
  for (const payload of buildBarnetMaracReturns()) {
    const res = await app.inject({ method: 'POST', url: '/v1/returns', headers: admin, payload });
    if (res.statusCode !== 201) throw new Error(res.body);
  }
  await registerService(app, 'barnet-vva', 'vva', BARNET_MARAC.area);
  const small = await app.inject({
    method: 'POST',
    url: '/v1/returns',
    headers: admin,
    payload: { service: 'barnet-vva', period: '2022-23-Q1', records: [0, 1, 2].map((i) => makeRecord(1000 + i, '2022-23-Q1')) },
  });
  if (small.statusCode !== 201) throw new Error(small.body);
  await seedBarnetPolice(app, admin);
}

/** The figure as the dashboard's indicator table shows it, from the API's own answer. */
function shownText(indicator: ApiIndicator): string {
  if (indicator.status === 'suppressed') return 'suppressed';
  if (indicator.status !== 'ok' || indicator.value === null) return 'not available';
  if (indicator.unit === 'rate') return `${indicator.percent}%`;
  return new Intl.NumberFormat('en-GB', { maximumFractionDigits: 1 }).format(indicator.value);
}

async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.loading === 'false' && !document.querySelector('[data-panel][data-state="loading"]'), null, {
    timeout: 60_000,
  });
}

async function indicatorTexts(page: Page): Promise<Map<string, string>> {
  const rows = await page.$$eval('[data-panel="indicators"] tr[data-indicator-id]', (trs) =>
    trs.map((tr) => [(tr as HTMLElement).dataset.indicatorId!, tr.querySelector('[data-role="value"]')?.textContent ?? '']),
  );
  return new Map(rows as Array<[string, string]>);
}

t.test('the dashboard in headless Chromium', { skip }, async (t) => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const app = await buildTestApp(t);
  await seed(app);
  const analystKey = await createKey(app, 'analyst');
  const providerKey = await createKey(app, 'provider', [BARNET_MARAC.id]);
  const { origin, browser } = await serveToBrowser(t, app);
  const api = async <T>(url: string): Promise<T> => (await app.inject({ url, headers: bearer(analystKey) })).json() as T;

  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });

  await t.test('a provider key is refused with a reason', async (t) => {
    await page.goto(`${origin}/dashboard`);
    t.equal(new URL(page.url()).pathname, '/dashboard/', '/dashboard redirects to the page');
    await page.fill('#api-key', providerKey);
    // The browser logs the refused request's 403 as a console error, on its own time: waited for
    // here, so that clearing the problems below cannot run before it arrives.
    const refusalLogged = page.waitForEvent('console', (message) => message.type() === 'error' && message.text().includes('403'));
    await page.click('#sign-in-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('sign-in-error')?.textContent ?? '') !== '');
    await refusalLogged;
    t.match(await page.textContent('#sign-in-error'), /analyst or admin key/);
    t.equal(await page.evaluate(() => sessionStorage.length), 0, 'the refused key is not kept');
    problems.length = 0;
  });

  await t.test('signing in shows the Barnet MARAC year, equal to the API', async (t) => {
    await page.goto(`${origin}/dashboard/?year=2022-23&countMeasure=police_da_incidents`);
    // By keyboard alone: the key field, then Enter.
    await page.locator('#api-key').focus();
    await page.keyboard.type(analystKey);
    await page.keyboard.press('Enter');
    await settled(page);
    t.notOk(page.url().includes(analystKey), 'the key is not in the address');
    t.equal(await page.evaluate(() => Object.values(sessionStorage).length), 1, 'the key is in session storage');
    const panels = await page.$$eval('[data-panel]', (els) => els.map((e) => (e as HTMLElement).dataset.panel));
    t.ok(panels.length >= 16, `${panels.length} panels`);
    t.same(await page.$$eval('[data-panel][data-state="error"]', (els) => els.map((e) => e.textContent)), [], 'no panel failed');
    const charts = await page.$$eval('[data-panel] canvas', (canvases) =>
      canvases.map((c) => ({ label: c.getAttribute('aria-label'), table: !!c.closest('.panel-figures')?.querySelector('table caption') })),
    );
    t.ok(charts.length >= 10, `${charts.length} charts`);
    t.ok(
      charts.every((c) => c.label && c.table),
      'every chart is labelled and has a captioned text table beside it',
    );

    const { indicators } = await api<{ indicators: ApiIndicator[] }>('/v1/indicators?period=2022-23');
    const shown = await indicatorTexts(page);
    t.equal(shown.size, indicators.length, 'one row per indicator');
    for (const indicator of indicators) t.equal(shown.get(indicator.id), shownText(indicator), `indicator ${indicator.id}`);

    const byQuarter = await api<{ cells: Array<{ key: { period: string }; value: number | null }> }>(
      '/v1/aggregates?measure=referrals&groupBy=period&period=2022-23',
    );
    const quarterCells = await page.$$eval('[data-panel="referrals-by-quarter"] tbody tr', (trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
    t.same(
      quarterCells,
      byQuarter.cells.map((c) => new Intl.NumberFormat('en-GB').format(c.value!)),
      'referrals by quarter as the API publishes them',
    );
    const police = await api<{ cells: Array<{ ratePer1000: number }> }>('/v1/counts?measure=police_da_incidents&groupBy=area&period=2022-23');
    const rate = await page.$$eval('[data-panel="counts-per-1000"] tbody td', (tds) => tds.map((td) => td.textContent));
    t.equal(rate[1], police.cells[0]!.ratePer1000.toFixed(1), 'incidents per 1,000 as the API gives them');
    t.equal(rate[1], ((barnetPolice.years['2022-23'].incidents / BARNET_POPULATION) * 1000).toFixed(1), '12.1 per 1,000, as seed 003 publishes');
    const policeReturns = await page.$$eval('[data-panel="completeness"] tbody tr', (trs) =>
      trs
        .filter((tr) => tr.querySelector('th')?.textContent === 'Service met-north-west')
        .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    t.same(
      policeReturns,
      [['3 counts (late)', '3 counts (late)', '3 counts (late)', '3 counts (late)']],
      'the force’s count returns are received, shown as counts, not referrals',
    );
    t.notOk(await page.locator('text=/\\bmarac\\b|\\bhigh\\b/').count(), 'no code is shown in place of a label');

    const ethnic = await api<{ cells: Array<{ key: { ethnicityGroup: string }; populationShare: number | null }> }>(
      '/v1/aggregates?measure=people&groupBy=ethnicityGroup&period=2022-23',
    );
    const shares = await page.$$eval('[data-panel="ethnic-group"] tbody tr', (trs) => trs.map((tr) => tr.querySelectorAll('td')[2]?.textContent));
    t.same(
      shares,
      // not_known and prefer_not_to_say have no population share.
      ethnic.cells.map((c) => (c.populationShare === null ? 'not available' : `${(c.populationShare * 100).toFixed(1)}%`)),
      "each ethnic group's share of the area's population, as the API gives it",
    );
    t.equal(ethnic.cells.find((c) => c.key.ethnicityGroup === 'white')!.populationShare, ETHNIC_GROUPS.white / BARNET_POPULATION);
    await page.screenshot({ path: new URL('barnet-marac-2022-23.png', ARTIFACTS).pathname, fullPage: false });
  });

  await t.test('a suppressed figure is shown as suppressed, and the filters are in the address', async (t) => {
    await page.selectOption('select[name="serviceType"]', 'vva');
    await settled(page);
    const address = new URL(page.url());
    t.equal(address.searchParams.get('serviceType'), 'vva');
    t.notOk(page.url().includes(analystKey));
    const { indicators } = await api<{ indicators: ApiIndicator[] }>('/v1/indicators?period=2022-23&serviceType=vva');
    const referrals = indicators.find((i) => i.id === 'referrals')!;
    t.equal(referrals.status, 'suppressed', 'three referrals are suppressed by the API');
    const shown = await indicatorTexts(page);
    t.equal(shown.get('referrals'), 'suppressed', 'and shown as suppressed');
    for (const indicator of indicators) t.equal(shown.get(indicator.id), shownText(indicator), `indicator ${indicator.id} for vva`);
    const suppressedCells = await page.locator('[data-panel="referrals-by-quarter"] td[data-status="suppressed"]').count();
    t.ok(suppressedCells > 0, 'the quarter table marks the suppressed cell');
    t.same(
      await page.$$eval('[data-panel="referrals-by-quarter"] tbody tr:first-child td', (tds) => tds.map((td) => td.textContent)),
      ['suppressed', 'suppressed'],
      'the suppressed quarter reads suppressed, not 0',
    );
    t.match(
      await page.getAttribute('[data-panel="referrals-by-quarter"] .chart', 'data-suppressed'),
      /Q1 2022\/23/,
      'the chart draws the suppressed quarter hatched',
    );
    await page.screenshot({ path: new URL('suppressed-vva.png', ARTIFACTS).pathname });
  });

  await t.test('a range of quarters is compared with the range before it', async (t) => {
    await page.selectOption('select[name="serviceType"]', '');
    await settled(page);
    await page.selectOption('select[name="from"]', '2022-23-Q3');
    await page.selectOption('select[name="to"]', '2022-23-Q4');
    await settled(page);
    const address = new URL(page.url());
    t.same([address.searchParams.get('from'), address.searchParams.get('to'), address.searchParams.get('year')], ['2022-23-Q3', '2022-23-Q4', null]);
    const now = await api<{ indicators: ApiIndicator[] }>('/v1/indicators?from=2022-23-Q3&to=2022-23-Q4');
    const before = await api<{ indicators: ApiIndicator[] }>('/v1/indicators?from=2022-23-Q1&to=2022-23-Q2');
    const rows = await page.$$eval('[data-panel="indicators"] tr[data-indicator-id="referrals"] td', (tds) => tds.map((td) => td.textContent));
    const referrals = (list: ApiIndicator[]) => list.find((i) => i.id === 'referrals')!;
    t.equal(rows[0], shownText(referrals(now.indicators)), 'the range as the API gives it');
    t.equal(rows[1], shownText(referrals(before.indicators)), 'the previous period is the two quarters before');
    const change = ((referrals(now.indicators).value! - referrals(before.indicators).value!) / referrals(before.indicators).value!) * 100;
    t.equal(rows[2], `${change > 0 ? '+' : '−'}${Math.abs(change).toFixed(1)}%`, 'the change from them');
    await page.selectOption('select[name="year"]', '2022-23');
    await settled(page);
    await page.selectOption('select[name="serviceType"]', 'vva');
    await settled(page);
  });

  await t.test("a panel's table downloads as CSV with labels", async (t) => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('[data-panel="referrals-by-quarter"] button', { hasText: 'CSV' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');
    t.match(download.suggestedFilename(), /^referrals-by-quarter-2022-23.*\.csv$/);
    t.equal(csv.split('\r\n')[0], 'Quarter,Referrals,People');
    t.match(csv, /Q1 2022\/23,suppressed,suppressed/, 'suppressed in the CSV too');
    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('[data-panel="referrals-by-quarter"] button', { hasText: 'PNG' }).click()]);
    t.equal(
      readFileSync(await png.path())
        .subarray(1, 4)
        .toString(),
      'PNG',
      'the chart downloads as a PNG',
    );
  });

  await t.test('a shared link opens the same view for a colleague with their own key', async (t) => {
    const shared = page.url();
    const colleague = await (await browser.newContext()).newPage();
    await colleague.goto(shared);
    await colleague.fill('#api-key', analystKey);
    await colleague.click('#sign-in-form button[type=submit]');
    await settled(colleague);
    t.equal(await colleague.inputValue('select[name="serviceType"]'), 'vva');
    t.equal((await indicatorTexts(colleague)).get('referrals'), 'suppressed');
    await colleague.context().close();
  });

  await t.test('the page prints to A4 without its controls', async (t) => {
    await page.emulateMedia({ media: 'print' });
    t.notOk(await page.isVisible('#filters'), 'filters are not printed');
    t.notOk(await page.locator('.panel-actions').first().isVisible(), 'buttons are not printed');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    t.equal(pdf.subarray(0, 4).toString(), '%PDF');
    await page.emulateMedia({ media: 'screen' });
  });

  await t.test('signing out forgets the key', async (t) => {
    await page.click('#sign-out');
    t.ok(await page.isVisible('#sign-in'));
    t.equal(await page.evaluate(() => sessionStorage.length), 0);
    t.equal(await page.locator('[data-panel]').count(), 0, 'no figure is left on the page');
  });

  t.same(problems, [], 'no page error or console error');
});

t.test('before the first return the dashboard shows the current year, not errors', { skip }, async (t) => {
  const app = await buildTestApp(t);
  const { origin, browser } = await serveToBrowser(t, app);
  const page = await browser.newPage();
  await page.goto(`${origin}/dashboard/`);
  await page.fill('#api-key', ADMIN_KEY);
  await page.click('#sign-in-form button[type=submit]');
  await settled(page);
  const today = new Date();
  const start = today.getMonth() >= 3 ? today.getFullYear() : today.getFullYear() - 1;
  t.equal(await page.inputValue('select[name="year"]'), `${start}-${String((start + 1) % 100).padStart(2, '0')}`);
  t.same(await page.$$eval('[data-panel][data-state="error"]', (els) => els.map((e) => e.getAttribute('data-panel'))), [], 'no panel failed');
  t.match(await page.textContent('[data-panel="indicators"] .panel-rule'), /not applied/, 'an admin is told the figures are exact');
});
