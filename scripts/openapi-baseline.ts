/**
 * Writes the committed baseline of the v1 contract, `openapi/baseline/v1.json`, from the route
 * schemas (the same document as `npm run openapi`). The baseline is the floor the
 * breaking-change test (`test/app/openapi-compat.test.ts`) holds the API to, so this refuses to
 * move it past a breaking change: it only ever records growth. `--accept-breaking` overrides that,
 * for a new major version only (docs/versioning.md).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { findBreakingChanges, readAcceptedChanges, unacceptedChanges } from './check-openapi-compat.js';
import { generateOpenApi } from './generate-openapi.js';

const target = new URL('../openapi/baseline/v1.json', import.meta.url);

if (import.meta.url === `file://${process.argv[1]}`) {
  const document = await generateOpenApi();
  const previous = await readFile(target, 'utf8').catch(() => undefined);
  if (previous !== undefined && !process.argv.includes('--accept-breaking')) {
    // Accepted changes (openapi/baseline/accepted-changes.json) narrow the document to what the server always enforced.
    const changes = unacceptedChanges(findBreakingChanges(JSON.parse(previous), JSON.parse(document)), await readAcceptedChanges());
    if (changes.length > 0) {
      console.error(`not updating ${target.pathname}: ${changes.length} breaking change(s) against it:`);
      for (const change of changes) console.error(`  - ${change}`);
      process.exit(1);
    }
  }
  await mkdir(new URL('.', target), { recursive: true });
  await writeFile(target, document);
  console.log(`wrote ${target.pathname}`);
}
