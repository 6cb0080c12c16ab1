/**
 * `npm run regen`: every generated step of a change, in the order each depends on the one before —
 * the migration from `src/db/tables.ts`, the OpenAPI document from the route schemas, the TypeScript
 * client types from the document, docs/authorisation.md from the document and the matrix, and the
 * inventory of docs/data-protection.md from the tables and the dataset's fields.
 * `npm run regen -- --name <what_changed>` names a new migration (`0005_<what_changed>.sql`) instead of
 * drizzle-kit's random words. `npm run regen -- --check` changes nothing and exits 1 when any generated file is stale (for the
 * migration: drizzle-kit generates into a copy of `migrations/`, and a new file there means a change
 * to the tables has no migration yet).
 *
 * Conformance fixtures are not regenerated here: they are hand-written expectations (see
 * scripts/generate-conformance.ts) and change only when a recipe says so.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';

// drizzle-kit resolves --out against the working directory, so the copy lives inside the project.
const migrationsCopy = 'node_modules/.cache/regen-migrations';

function checkMigrations(): boolean {
  rmSync(migrationsCopy, { recursive: true, force: true });
  cpSync('migrations', migrationsCopy, { recursive: true });
  const run = spawnSync(
    'npx',
    ['drizzle-kit', 'generate', '--dialect', 'postgresql', '--schema', './src/db/tables.ts', '--out', `./${migrationsCopy}`, '--casing', 'snake_case'],
    { stdio: 'inherit' },
  );
  const current = run.status === 0 && readdirSync(migrationsCopy).length === readdirSync('migrations').length;
  rmSync(migrationsCopy, { recursive: true, force: true });
  return current;
}

interface Step {
  name: string;
  write: string[];
  check: string[] | (() => boolean);
}

const nameAt = process.argv.indexOf('--name');
const migrationName = nameAt >= 0 ? process.argv[nameAt + 1] : undefined;
if (nameAt >= 0 && !/^[a-z0-9_]+$/.test(migrationName ?? '')) {
  console.error('regen: --name takes a snake_case name for the migration, e.g. --name victim_armed_forces');
  process.exit(2);
}

const steps: Step[] = [
  { name: 'migration', write: ['npx', 'drizzle-kit', 'generate', ...(migrationName ? ['--name', migrationName] : [])], check: checkMigrations },
  { name: 'OpenAPI document', write: ['npm', 'run', '-s', 'openapi'], check: ['npm', 'run', '-s', 'openapi', '--', '--check'] },
  { name: 'TypeScript client types', write: ['npm', 'run', '-s', 'client'], check: ['npm', 'run', '-s', 'client', '--', '--check'] },
  {
    name: 'authorisation doc',
    write: ['npm', 'run', '-s', 'docs:authorisation'],
    check: ['npm', 'run', '-s', 'docs:authorisation', '--', '--check'],
  },
  {
    name: 'data protection inventory',
    write: ['npm', 'run', '-s', 'docs:data-protection'],
    check: ['npm', 'run', '-s', 'docs:data-protection', '--', '--check'],
  },
];

const checking = process.argv.includes('--check');
let stale = 0;
for (const step of steps) {
  const command = checking ? step.check : step.write;
  console.log(`regen: ${checking ? 'checking' : 'writing'} the ${step.name}`);
  let ok: boolean;
  if (typeof command === 'function') ok = command();
  else {
    const [program, ...args] = command as [string, ...string[]];
    ok = spawnSync(program, args, { stdio: 'inherit' }).status === 0;
  }
  if (!ok) {
    stale += 1;
    console.error(`regen: the ${step.name} ${checking ? 'is stale' : 'failed'}`);
    if (!checking) process.exit(1);
  }
}
if (stale > 0) process.exit(1);
console.log(checking ? 'regen: every generated file is current' : 'regen: done; review `git status` and commit the generated files with the change');
