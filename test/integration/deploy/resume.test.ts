import { spawn } from 'node:child_process';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { BIN, runCli } from '../../helpers/cli.ts';
import { DeployBench, VAULT_KEY, installCount, onHost } from './lab-deploy.ts';
import type { HostState } from '../../lab/lab.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';

describe.skipIf(!lab)(`kill -9 in the middle of an apply, then jobs resume (needs the lab: ${reason})`, () => {
  let b: DeployBench;
  let hosts: HostState[] = [];
  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({ installers: [{ version: V, osId: 'UBUNTU-22.04-64', bytes: 2 << 20 }] });
    hosts = await Promise.all([b.host(), b.host(), b.host(), b.host()]);
    // Installs take 3 s, so the kill lands while they run on the targets.
    for (const h of hosts) await onHost(h, 'echo SLEEP=3 > /usr/local/asr-fixture.conf');
  }, 120_000);
  afterAll(async () => b?.close());

  it('every host ends installed exactly once', async () => {
    const plan = await b.call('plan.create', { component: 'mobility-service', version: V, source: b.source, hosts: 'tag:it', accept: [] });
    expect(plan.items.every((i) => i.action === 'install')).toBe(true);
    b.store.close(); // the CLI processes own the database from here

    const env = { ...process.env, ASR_DEPLOY_VAULT_KEY: VAULT_KEY, NO_COLOR: '1' };
    const child = spawn(process.execPath, [BIN, '--home', b.home, '--verbose', 'apply', plan.planId, '--yes', '--concurrency', '2'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    // Two hosts installing (window of 2), two still pending: kill -9 then.
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no install started: ${stderr}`)), 30_000);
      child.stderr.on('data', (d) => {
        stderr += d;
        if ((stderr.match(/: install…/g) ?? []).length >= 2) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));

    const jobId = /job (j-[0-9a-f-]+)/.exec(stderr)![1]!;
    const show = await runCli(['--json', 'jobs', 'show', jobId], { home: b.home, env: { ASR_DEPLOY_VAULT_KEY: VAULT_KEY } });
    expect((show.json() as { status: string }).status).toBe('interrupted');

    const resume = await runCli(['--json', 'jobs', 'resume', jobId], { home: b.home, env: { ASR_DEPLOY_VAULT_KEY: VAULT_KEY }, timeoutMs: 90_000 });
    expect(resume.stderr).not.toMatch(/error/);
    expect(resume.code).toBe(0);
    const r = resume.json() as { hosts: { status: string; version: string }[] };
    expect(r.hosts.map((h) => h.status).sort()).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (const h of hosts) {
      expect(await installCount(h)).toBe(1);
      expect(await onHost(h, 'cat /usr/local/.vx_version')).toMatch(`VERSION=${V}`);
    }
    const again = await runCli(['--json', 'jobs', 'show', jobId], { home: b.home });
    expect((again.json() as { status: string }).status).toBe('succeeded');
  }, 150_000);
});
