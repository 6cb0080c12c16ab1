/**
 * Writes docs/authorisation.md from the authorisation matrix the tests check and the operations of
 * the committed OpenAPI document. `--check` exits 1 instead when the committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { renderAuthorisationDoc } from '../test/support/authorisation-matrix.js';

const target = new URL('../docs/authorisation.md', import.meta.url);
const openapi = new URL('../openapi/openapi.json', import.meta.url);

export async function generateAuthorisationDoc(): Promise<string> {
  const document = JSON.parse(await readFile(openapi, 'utf8'));
  const options = (await prettier.resolveConfig(fileURLToPath(target))) ?? {};
  return prettier.format(renderAuthorisationDoc(document), { ...options, parser: 'markdown' });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const doc = await generateAuthorisationDoc();
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== doc) {
      console.error('docs/authorisation.md is stale: run node --import tsx scripts/generate-authorisation-doc.ts');
      process.exit(1);
    }
  } else {
    await writeFile(target, doc);
    console.log(`wrote ${target.pathname}`);
  }
}
