import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '../../bin/asr-deploy.mjs');

export const tempHome = (): string => mkdtempSync(join(tmpdir(), 'asr-home-'));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json: () => unknown;
}

/** Runs the real CLI in a child process (the same entry point `npx asr-deploy` uses). */
export function runCli(
  args: string[],
  opts: { stdin?: string; env?: Record<string, string | undefined>; home?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const argv = opts.home ? ['--home', opts.home, ...args] : args;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      env: { ...process.env, ASR_DEPLOY_HOME: undefined, NO_COLOR: '1', ...opts.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

/**
 * Runs the real CLI on a pseudo-terminal (util-linux `script`), so stdin and stderr are a TTY
 * as in an admin's shell; `answer` is typed once the CLI has asked (`ask` seen on the terminal).
 */
export function runCliOnTerminal(
  args: string[],
  opts: { answer: string; ask: RegExp; env?: Record<string, string | undefined>; home?: string; timeoutMs?: number },
): Promise<{ code: number; output: string }> {
  const argv = opts.home ? ['--home', opts.home, ...args] : args;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, ...argv].map(q).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: { ...process.env, ASR_DEPLOY_HOME: undefined, NO_COLOR: '1', TERM: 'dumb', ...opts.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let answered = false;
    const onData = (d: Buffer) => {
      output += d.toString();
      if (!answered && opts.ask.test(output)) {
        answered = true;
        child.stdin.write(opts.answer);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}
