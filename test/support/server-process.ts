/**
 * Runs `src/server.ts` as a child process, as `npm start` does, for what only a real process can
 * show: peak memory, and what a kill -9 in the middle of a submission leaves behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Peak resident memory so far, in MiB (Linux VmHWM). */
  peakRssMiB(): number;
  /** Everything the process has written to stdout and stderr so far (its log lines). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface ReadyProcess {
  url: string;
  child: ChildProcess;
  output(): string;
}

/**
 * Spawns `node <args>` on a free port (`args` and `env` say how the program is told it) and
 * resolves once `readyPath` answers 2xx, or rejects with what the process wrote.
 */
export async function spawnUntilReady(options: {
  name: string;
  args: (port: number) => string[];
  readyPath: string;
  env?: (port: number) => NodeJS.ProcessEnv;
  timeoutMs?: number;
}): Promise<ReadyProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, options.args(port), { cwd: root, env: options.env?.(port), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited: ${output}`);
    try {
      if ((await fetch(`${url}${options.readyPath}`)).ok) return { url, child, output: () => output };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${options.name} did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const { url, child, output } = await spawnUntilReady({
    name: 'server',
    args: () => ['--import', 'tsx', 'src/server.ts'],
    readyPath: '/ready',
    env: (port) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' }),
    timeoutMs: 30_000,
  });
  return {
    url,
    child,
    peakRssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    },
    output,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}
