/**
 * Writes the OpenAPI document generated from the route schemas to `openapi/openapi.json`.
 * `--check` exits 1 instead when the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const target = new URL('../openapi/openapi.json', import.meta.url);

export async function generateOpenApi(): Promise<string> {
  const config = await loadConfig({ VAWG_DATA_DIR: 'memory://', LOG_LEVEL: 'silent' });
  const app = await buildApp(config);
  await app.ready();
  const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  return document;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const document = await generateOpenApi();
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== document) {
      console.error('openapi/openapi.json is stale: run npm run openapi');
      process.exit(1);
    }
  } else {
    await writeFile(target, document);
    console.log(`wrote ${target.pathname}`);
  }
}
