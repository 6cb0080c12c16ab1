/**
 * Headless Debian Chromium for browser tests, driven by playwright-core (which starts it with a new,
 * empty profile of its own). `.ci/run` installs the `chromium` package when it is missing; elsewhere
 * a test without it is skipped, and says so.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { Test } from 'tap';
import type { App } from '../../src/app.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. In CI a missing browser is a failure, not a skip. */
export function browserUnavailable(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env.CI) throw new Error(`${CHROMIUM_PATH} is missing: .ci/run installs Debian's chromium package`);
  return `no ${CHROMIUM_PATH} (apt-get install chromium)`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Without the background-networking flags Chromium keeps dialling out, and a closed network refuses it.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
}

/** Serves `app` on a free local port and launches a browser closed at the test's end: the page's origin and the browser. */
export async function serveToBrowser(t: Test, app: App): Promise<{ origin: string; browser: Browser }> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const browser = await launchBrowser();
  t.teardown(() => browser.close());
  return { origin: `http://127.0.0.1:${address.port}`, browser };
}
