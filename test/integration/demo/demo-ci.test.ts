import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labStatus, labUnavailableReason } from '../../lab/lab.ts';

const root = join(import.meta.dirname, '../../..');
const why = process.env.ASR_LAB === 'off' ? 'ASR_LAB=off' : labUnavailableReason();

/**
 * `npm run demo -- --ci` as a new user runs it (through scripts/demo.sh), on its own lab next to
 * the suite's: exit 0 only when every host the plan installs ended installed, a report and a
 * serve URL printed, and no lab left behind.
 */
describe.skipIf(!!why)(`npm run demo -- --ci (${why ?? 'own lab'})`, () => {
  it('runs discover → check → plan → apply → report → serve unattended and leaves no lab', async () => {
    const child = spawn('sh', [join(root, 'scripts/demo.sh'), '--ci'], {
      cwd: root,
      env: { ...process.env, ASR_LAB_STATE: undefined, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number>((r) => child.once('close', (c) => r(c ?? -1)));
    expect(code, out.slice(-4000)).toBe(0);
    const labId = /lab (\w+) is down; nothing of it is left/.exec(out)?.[1];
    expect(labId).toBeTruthy();
    expect((await labStatus()).some((l) => l.id === labId)).toBe(false);
    // The fixture is labelled as such, the stand-in server named, each step the real CLI.
    expect(out).toMatch(/TEST FIXTURE/);
    for (const cmd of ['credentials add', 'discover network', 'trust approve', 'check', 'plan', 'apply', 'report', 'serve'])
      expect(out).toContain(`$ asr-deploy ${cmd}`);
    // The job's last summary (after `jobs configure`: the modernized flow installs, waits for the
    // appliance's files, then configures), and the hosts waiting for a file before that.
    const summaries = [...out.matchAll(/(\d+) installed, \d+ upgraded(?:, (\d+) awaiting config)?/g)];
    expect(
      summaries.some((m) => Number(m[2]) >= 1),
      out.slice(-4000),
    ).toBe(true);
    const installed = Number(summaries.at(-1)?.[1]);
    expect(installed).toBeGreaterThanOrEqual(1);
    expect(out).toMatch(/wizard: +http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const report = /HTML report: (\S+)/.exec(out)?.[1];
    expect(report && existsSync(report)).toBe(true);
    expect(readFileSync(report!, 'utf8')).toMatch(/installed/);
    const home = /data directory (\S+)/.exec(out)?.[1];
    if (home?.includes('asr-demo-')) rmSync(home, { recursive: true, force: true });
  }, 900_000);
});
