/**
 * The committed OpenAPI document lints clean under Redocly CLI's recommended rules plus the stricter
 * ones in `redocly.yaml`: zero errors and zero warnings. A deliberately broken copy proves the
 * configuration is in force.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));
const redocly = join(root, 'node_modules', '.bin', 'redocly');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer?: string }> }>;
}

function lint(file: string): Promise<LintReport> {
  return new Promise((resolve, reject) => {
    execFile(
      redocly,
      ['lint', file, '--format=json', `--config=${join(root, 'redocly.yaml')}`],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
      // Redocly exits 1 when there are errors: the report on stdout is what counts.
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout) as LintReport);
        } catch {
          reject(new Error(`redocly lint gave no JSON report (${error?.message ?? 'no error'}): ${stderr}`));
        }
      },
    );
  });
}

const describe = (report: LintReport) => report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`).join('\n');

t.test('openapi/openapi.json lints clean: zero errors, zero warnings', async (t) => {
  const report = await lint('openapi/openapi.json');
  t.equal(report.totals.errors, 0, `no errors\n${describe(report)}`);
  t.equal(report.totals.warnings, 0, `no warnings\n${describe(report)}`);
  t.equal(report.totals.ignored, 0, 'nothing is silenced by an ignore file');
});

t.test('the lint configuration catches a broken document', async (t) => {
  const document = JSON.parse(await readFile(join(root, 'openapi', 'openapi.json'), 'utf8'));
  const submit = document.paths['/v1/returns'].post;
  delete submit.description;
  delete submit.responses['401'];
  submit.requestBody.content['application/json'].examples.twoRecords.value.records[0].riskLevel = 'severe';
  delete document.paths['/health'].get.security;
  const dir = await mkdtemp(join(tmpdir(), 'vawg-openapi-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(document, null, 2));
  const report = await lint(file);
  const rules = new Set(report.problems.map((p) => p.ruleId));
  for (const rule of [
    'operation-description',
    'rule/secured-operation-auth-errors',
    'no-invalid-media-type-examples',
    'security-defined',
    'rule/operation-security-declared',
  ]) {
    t.ok(rules.has(rule), `${rule} is reported`);
  }
});
