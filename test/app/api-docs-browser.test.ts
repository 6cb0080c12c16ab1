/**
 * `/docs` in a real browser: the page renders the operations, says who we are, and the browser
 * reports no Content-Security-Policy violation and no console error while it loads and while an
 * operation is opened (the fault issue #12 found was a CSP error from Swagger UI's inline style).
 */
import t from 'tap';
import { browserUnavailable, serveToBrowser } from '../support/browser.js';
import { buildTestApp } from '../helper.js';

const skip = browserUnavailable();

t.test('/docs in headless Chromium', { skip }, async (t) => {
  const app = await buildTestApp(t);
  const { origin, browser } = await serveToBrowser(t, app);
  const page = await browser.newPage();

  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // A violation is reported to the page as an event before (or without) any console message.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });

  const response = await page.goto(`${origin}/docs`, { waitUntil: 'networkidle' });
  t.equal(response?.status(), 200);
  t.ok(response?.headers()['content-security-policy'], 'the page carries a policy');
  await page.waitForSelector('.opblock', { timeout: 30_000 });

  t.equal(await page.title(), 'VAWG Dataset API', 'our title');
  t.ok((await page.locator('.opblock').count()) > 20, 'the operations are drawn');
  t.match(await page.locator('.information-container').innerText(), /Getting started/, 'the getting-started text is shown');
  t.equal(await page.locator('.topbar').count(), 0, 'no Swagger UI top bar (its inline style was the CSP error)');

  // Opening an operation renders its parameters and examples: no lazily loaded script or style is refused.
  await page.locator('.opblock-summary', { hasText: '/v1/returns' }).first().click();
  await page.waitForSelector('.opblock.is-open', { timeout: 10_000 });
  await page.waitForLoadState('networkidle');

  t.same(problems, [], 'no CSP violation, console error or warning');
});
