import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { addHost, fault, removeHost, type HostState } from '../../lab/lab.ts';
import { BIN, runCli, runCliOnTerminal, tempHome, type CliRun } from '../../helpers/cli.ts';
import { buildFixtureInstaller } from '../../fixtures/mobility-installer/build.ts';
import { installCount, onHost } from '../deploy/lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';
const VAULT_KEY = 'exit-codes-vault-key';

interface ApplyDoc {
  jobId: string;
  status: string;
  outcome: Record<string, number>;
  hosts: { host: string; status: string }[];
}

/**
 * One test per row of the README's exit-code table (0 ok, 1 failed, 2 usage, 3 cancelled,
 * 4 blocked), through the real CLI against lab hosts, plus the confirmation of `apply`.
 */
describe.skipIf(!lab)(`CLI exit codes and apply's confirmation (needs the lab: ${reason})`, () => {
  const home = tempHome();
  const source = join(home, 'installers');
  const passphrase = join(home, 'cs.passphrase');
  const scratch: HostState[] = [];
  const cli = (args: string[], timeoutMs = 120_000): Promise<CliRun> => runCli(args, { home, env: { ASR_DEPLOY_VAULT_KEY: VAULT_KEY }, timeoutMs });
  const json = async <T>(args: string[]): Promise<{ code: number; doc: T; stderr: string; stdout: string }> => {
    const r = await cli(['--json', ...args]);
    return { code: r.code, doc: JSON.parse(r.stdout) as T, stderr: r.stderr, stdout: r.stdout };
  };
  const cs = () => lab!.proxy?.endpoint.address ?? lab!.bridgeAddress;
  /** A scratch host in the inventory; approved unless told otherwise. */
  const host = async (approve = true): Promise<HostState> => {
    const h = await addHost(lab!, { profile: 'ubuntu-22.04' });
    scratch.push(h);
    expect((await cli(['hosts', 'add', h.address, '--name', h.name, '--os', 'linux', '--credential', 'root'])).code).toBe(0);
    if (approve) expect((await cli(['trust', 'approve', h.address])).code).toBe(0);
    return h;
  };
  const plan = async (hosts: HostState[]) =>
    json<{ planId: string; items: { host: string; action: string }[] }>([
      'plan',
      '--component',
      'mobility-service',
      '--version',
      V,
      '--source',
      source,
      '--hosts',
      hosts.map((h) => h.name).join(','),
      '--cs',
      cs(),
      '--passphrase-file',
      passphrase,
    ]);

  beforeAll(async () => {
    const installer = buildFixtureInstaller({ dir: source, version: V, osId: 'UBUNTU-22.04-64' });
    expect((await cli(['sources', 'trust', installer])).code).toBe(0);
    writeFileSync(passphrase, 'Exit-Codes-Passphrase\n', { mode: 0o600 });
    expect((await cli(['credentials', 'add', 'root', '--user', 'root', '--key-file', lab!.users.root.keyPath])).code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    for (const h of scratch) await removeHost(lab!, h.name).catch(() => undefined);
  });

  it('0: every host installed; the summary counts it', async () => {
    const h = await host();
    const p = await plan([h]);
    expect(p.code).toBe(0);
    const human = await cli(['apply', p.doc.planId, '--yes']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/job j-\S+: succeeded/);
    expect(human.stdout).toContain('1 installed, 0 upgraded, 0 skipped, 0 blocked, 0 failed');
    expect(await installCount(h)).toBe(1);
  }, 300_000);

  it('4: a plan where every host is blocked exits 4 without "apply it with"; a job with blocked hosts and no failure is completed_with_blocked, exit 4', async () => {
    const [ok, unknown] = [await host(), await host(false)];
    const allBlocked = await cli([
      'plan',
      '--component',
      'mobility-service',
      '--version',
      V,
      '--source',
      source,
      '--hosts',
      unknown.name,
      '--cs',
      cs(),
      '--passphrase-file',
      passphrase,
    ]);
    expect(allBlocked.code).toBe(4);
    expect(allBlocked.stdout).not.toMatch(/apply it with/);
    expect(allBlocked.stdout).toMatch(/every host is blocked/);

    const mixed = await cli([
      'plan',
      '--component',
      'mobility-service',
      '--version',
      V,
      '--source',
      source,
      '--hosts',
      `${ok.name},${unknown.name}`,
      '--cs',
      cs(),
      '--passphrase-file',
      passphrase,
    ]);
    expect(mixed.code).toBe(0);
    expect(mixed.stdout).toMatch(/1 install, 0 upgrade, 0 skip, 1 blocked/);
    const planId = /apply it with: asr-deploy apply (p-[0-9a-f]+)/.exec(mixed.stdout)![1]!;
    const r = await json<ApplyDoc>(['apply', planId, '--yes']);
    expect(r.code).toBe(4);
    expect(r.doc.status).toBe('completed_with_blocked');
    expect(r.doc.outcome).toMatchObject({ installed: 1, blocked: 1, failed: 0 });
    const shown = await json<{ status: string; outcome: Record<string, number> }>(['jobs', 'show', r.doc.jobId]);
    expect(shown.doc).toMatchObject({ status: 'completed_with_blocked', outcome: { installed: 1, blocked: 1 } });
  }, 300_000);

  it('1: a host failed (its sshd stopped between plan and apply): job failed, exit 1', async () => {
    const [good, bad] = [await host(), await host()];
    const p = await plan([good, bad]);
    expect(p.doc.items.every((i) => i.action === 'install')).toBe(true);
    await fault(lab!, bad, 'sshd-stop');
    const r = await json<ApplyDoc>(['apply', p.doc.planId, '--yes', '--retries', '1']);
    expect(r.code).toBe(1);
    expect(r.doc.status).toBe('failed');
    expect(r.doc.outcome).toMatchObject({ installed: 1, failed: 1 });
  }, 300_000);

  it('2: apply without a terminal and without --yes refuses and changes nothing; a bad option is a usage error', async () => {
    const h = await host();
    const p = await plan([h]);
    const r = await cli(['apply', p.doc.planId]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no terminal to ask on/);
    expect(r.stderr).toContain(`asr-deploy apply ${p.doc.planId} --yes`);
    expect(await installCount(h)).toBe(0);
    expect((await json<{ planId: string }[]>(['jobs', 'list'])).doc.some((j) => j.planId === p.doc.planId)).toBe(false);
    expect((await cli(['apply', p.doc.planId, '--yes', '--concurrency', 'many'])).code).toBe(2);
  }, 300_000);

  it('3: Ctrl-C during apply cancels the job: exit 3', async () => {
    const h = await host();
    await onHost(h, 'echo HANG=1 > /usr/local/asr-fixture.conf');
    const p = await plan([h]);
    // The step timeout bounds the hung installer should the interrupt be missed: the test cannot hang.
    const child = spawn(process.execPath, [BIN, '--home', home, '--verbose', 'apply', p.doc.planId, '--yes', '--retries', '1', '--step-timeout', '90'], {
      env: { ...process.env, ASR_DEPLOY_VAULT_KEY: VAULT_KEY, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /: install…/.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number>((r) => child.once('close', (c) => r(c ?? -1)));
    expect(code, stderr).toBe(3);
    expect(stderr).toMatch(/cancelled/);
  }, 300_000);

  it('in a terminal, apply shows the plan counts and asks: "n" changes nothing (exit 3), "y" applies (exit 0)', async () => {
    const h = await host();
    const p = await plan([h]);
    const no = await runCliOnTerminal(['apply', p.doc.planId], { home, env: { ASR_DEPLOY_VAULT_KEY: VAULT_KEY }, ask: /\[y\/N\]/, answer: 'n\r' });
    expect(no.output).toMatch(/1 install, 0 upgrade, 0 skip, 0 blocked/);
    expect(no.output).toContain(`install ${h.name}`);
    expect(no.output).toMatch(/not applied: nothing was changed/);
    expect(no.code).toBe(3);
    expect(await installCount(h)).toBe(0);
    const yes = await runCliOnTerminal(['apply', p.doc.planId], {
      home,
      env: { ASR_DEPLOY_VAULT_KEY: VAULT_KEY },
      ask: /\[y\/N\]/,
      answer: 'y\r',
      timeoutMs: 120_000,
    });
    expect(yes.output).toMatch(/job j-\S+: succeeded/);
    expect(yes.code).toBe(0);
    expect(await installCount(h)).toBe(1);
    expect(readFileSync(join(home, 'asr-deploy.db')).length).toBeGreaterThan(0);
  }, 300_000);
});
