import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { yamlString } from '../../../src-main/deploy/export-ansible.ts';
import { getLab } from '../../lab/inject.ts';
import { fault, type HostState } from '../../lab/lab.ts';
import { hostileStrings } from '../../unit/remote/hostile-strings.ts';
import { DeployBench, PASSPHRASE, installCount, onHost } from './lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';
const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' });
const haveAnsible = ansible.status === 0;
const why = !lab ? `needs the lab: ${reason}` : !haveAnsible ? 'needs ansible-playbook (Debian package ansible)' : `lab, ${ansible.stdout.split('\n')[0]}`;

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, ANSIBLE_CONFIG: join(cwd, 'ansible.cfg'), ANSIBLE_NOCOLOR: '1', ...env },
  });

describe.skipIf(!haveAnsible)(`YAML scalars of the export (checked by Ansible's own loader: ${haveAnsible ? 'ansible-inventory' : 'no ansible'})`, () => {
  it('every hostile string comes back from ansible-inventory byte for byte, never templated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-yaml-'));
    const values = [...hostileStrings(400), '{{ lookup("pipe", "id") }}', '{% raw %}x', '!unsafe', '- a', '#c', 'a: b', '*alias', '&anchor'];
    const lines = ['all:', '  hosts:', '    h1:', ...values.map((v, i) => `      v${i}: ${yamlString(v)}`)];
    writeFileSync(join(dir, 'inventory.yml'), lines.join('\n') + '\n');
    const r = spawnSync('ansible-inventory', ['-i', join(dir, 'inventory.yml'), '--host', 'h1'], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1' },
    });
    expect(r.status, r.stderr).toBe(0);
    // ansible-inventory prints an !unsafe value as {"__ansible_unsafe": value}: still a literal.
    const got = JSON.parse(r.stdout) as Record<string, { __ansible_unsafe: string }>;
    values.forEach((v, i) => expect(got[`v${i}`], JSON.stringify(v)).toEqual({ __ansible_unsafe: v }));
  });
});

describe.skipIf(!lab || !haveAnsible)(`export ansible: the plan as an Ansible project, run for real against the lab (${why})`, () => {
  let b: DeployBench;
  let ok: HostState;
  let rekeyed: HostState;
  let planId: string;
  const out = join(mkdtempSync(join(tmpdir(), 'asr-export-')), 'project');

  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({ installers: [{ version: V, osId: 'UBUNTU-22.04-64', bytes: 1 << 20 }] });
    [ok, rekeyed] = await Promise.all([b.host(), b.host()]);
    const unknown = await b.host({ approve: false });
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: b.source,
      hosts: [ok.name, rekeyed.name, unknown.name].join(','),
      cs: lab!.proxy?.endpoint?.address ?? lab!.bridgeAddress,
      passphraseFile: b.passphraseFile,
      accept: ['reach-process-server', 'reach-configuration-server'],
    });
    planId = plan.planId;
    expect(
      plan.items
        .filter((i) => i.action === 'install')
        .map((i) => i.host)
        .sort(),
    ).toEqual([ok.name, rekeyed.name].sort());
  }, 120_000);
  afterAll(async () => b?.close());

  it('refuses a non-empty folder and an unknown plan, writing nothing', async () => {
    const full = mkdtempSync(join(tmpdir(), 'asr-export-full-'));
    writeFileSync(join(full, 'keep.txt'), 'mine');
    await expect(b.call('export.ansible', { planId, out: full })).rejects.toMatchObject({ data: { code: 'usage' } });
    expect(readdirSync(full)).toEqual(['keep.txt']);
    await expect(b.call('export.ansible', { planId: 'no-such-plan', out: join(full, 'x') })).rejects.toMatchObject({ data: { code: 'not_found' } });
    expect(existsSync(join(full, 'x'))).toBe(false);
  });

  it('exports only hosts whose key still matches its pin, with no secret in any file', async () => {
    await fault(lab!, rekeyed, 'rekey');
    const r = await b.call('export.ansible', { planId, out });
    const byHost = Object.fromEntries(r.hosts.map((h) => [h.host, h]));
    expect(byHost[ok.name]).toMatchObject({ exported: true });
    expect(byHost[rekeyed.name]).toMatchObject({ exported: false });
    expect(byHost[rekeyed.name]!.reason).toMatch(/^host_key_mismatch/);
    expect(r.hosts.find((h) => h.reason.startsWith('blocked'))?.reason).toMatch(/host_key_unknown/);
    expect(r.passphraseVariable).toBe('asr_cs_passphrase');
    expect(readdirSync(out).sort()).toEqual(['README.md', 'ansible.cfg', 'inventory.yml', 'known_hosts', 'playbook.yml']);
    for (const f of readdirSync(out)) expect(readFileSync(join(out, f), 'utf8'), f).not.toContain(PASSPHRASE);
    expect(readFileSync(join(out, 'known_hosts'), 'utf8')).toContain(ok.address);
    expect(readFileSync(join(out, 'known_hosts'), 'utf8')).not.toContain(rekeyed.address);
    const syntax = run('ansible-playbook', ['--syntax-check', 'playbook.yml'], out);
    expect(syntax.status, syntax.stdout + syntax.stderr).toBe(0);
  });

  it('without the passphrase the playbook stops before copying anything', () => {
    const r = run('ansible-playbook', ['playbook.yml', '--private-key', lab!.users.root.keyPath], out);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/asr_cs_passphrase/);
    expect(readFileSync(join(out, 'inventory.yml'), 'utf8')).toMatch(/asr_needs_passphrase: true/);
  });

  it('ansible-playbook installs and registers the Mobility service on the exported host, verifies the hash, and cleans up', async () => {
    const vars = mkdtempSync(join(tmpdir(), 'asr-export-vars-'));
    mkdirSync(vars, { recursive: true });
    writeFileSync(join(vars, 'secrets.json'), JSON.stringify({ asr_cs_passphrase: PASSPHRASE }), { mode: 0o600 });
    const r = run('ansible-playbook', ['playbook.yml', '--private-key', lab!.users.root.keyPath, '-e', `@${join(vars, 'secrets.json')}`], out);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain(PASSPHRASE);
    expect((await onHost(ok, 'cat /usr/local/.vx_version')).trim()).toContain(V);
    expect(await installCount(ok)).toBe(1);
    expect((await onHost(ok, `ls -d /tmp/asr-deploy-ansible-${planId} 2>/dev/null || echo gone`)).trim()).toBe('gone');
  }, 200_000);
});
