/** Running a `vawg` subcommand in-process with captured output, and temporary files for it. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import type { CommandIo } from '../../src/cli/command-line.js';

export class Capture extends Writable {
  text = '';

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCommand(command: (io: CommandIo) => Promise<number>): Promise<CommandResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await command({ stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

export async function makeTempDir(t: Test, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `vawg-${prefix}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writeIn(dir: string, name: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}
