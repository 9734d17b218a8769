import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { addHost, removeHost, type HostState } from '../../lab/lab.ts';
import { runCli, tempHome } from '../../helpers/cli.ts';
import { buildFixtureInstaller } from '../../fixtures/mobility-installer/build.ts';
import { installCount, onHost } from './lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';

/**
 * The lab's `asrlab-admin` is a sudo-only account: not root, no NOPASSWD rule, sudo asks for its
 * password every time (timestamp_timeout=0). With the password stored as the credential's sudo
 * password, facts, check and apply work end to end through `sudo -S`, and the password is never
 * in a command line (sudo logs every command line it runs), a log, or the CLI's output.
 */
describe.skipIf(!lab)(`a sudo-only account through sudo -S (needs the lab: ${reason})`, () => {
  let h: HostState | undefined;
  afterAll(async () => {
    if (h) await removeHost(lab!, h.name).catch(() => undefined);
  });

  it('facts, check (root-access passes) and apply as asrlab-admin; the sudo password never in argv, logs or output', async () => {
    const home = tempHome();
    const env = { ASR_DEPLOY_VAULT_KEY: 'sudo-test-vault-key' };
    const pw = lab!.users.admin.password;
    const outputs: string[] = [];
    const cli = async (args: string[], stdin?: string) => {
      const r = await runCli(args, { home, env, timeoutMs: 240_000, ...(stdin !== undefined ? { stdin } : {}) });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    h = await addHost(lab!, { profile: 'ubuntu-22.04' });
    // sudo writes every command line it runs (as root) to this host's own /var/log/sudo.log.
    await onHost(h, "echo 'Defaults logfile=/var/log/sudo.log, loglinelen=0' >> /etc/sudoers.d/asrlab");

    expect(
      (await cli(['credentials', 'add', 'admin', '--user', lab!.users.admin.name, '--password-stdin', '--sudo-password-stdin'], `${pw}\n${pw}\n`)).code,
    ).toBe(0);
    expect((await cli(['hosts', 'add', h.address, '--name', h.name, '--os', 'linux', '--credential', 'admin'])).code).toBe(0);
    expect((await cli(['trust', 'approve', h.address])).code).toBe(0);

    const facts = await cli(['--json', 'facts', '--hosts', h.name]);
    expect(facts.code, facts.stderr).toBe(0);
    const [f] = facts.json() as { facts: { access: Record<string, unknown> } }[];
    expect(f!.facts.access).toMatchObject({ user: lab!.users.admin.name, isRoot: false, sudoNoPassword: false, sudoWithPassword: true });

    const cs = lab!.proxy?.endpoint.address ?? lab!.bridgeAddress;
    const check = await cli(['--json', 'check', '--component', 'mobility-service', '--version', V, '--hosts', h.name, '--cs', cs]);
    const doc = check.json() as { hosts: { checks: { id: string; verdict: string; evidence: string }[] }[] };
    expect(doc.hosts[0]!.checks.find((c) => c.id === 'linux-root-access')).toMatchObject({ verdict: 'pass', evidence: expect.stringContaining('sudo -S') });

    const source = join(home, 'installers');
    expect((await cli(['sources', 'trust', buildFixtureInstaller({ dir: source, version: V, osId: 'UBUNTU-22.04-64' })])).code).toBe(0);
    writeFileSync(join(home, 'cs.passphrase'), 'Sudo-Test-Passphrase\n', { mode: 0o600 });
    const plan = await cli([
      '--json',
      'plan',
      '--component',
      'mobility-service',
      '--version',
      V,
      '--source',
      source,
      '--hosts',
      h.name,
      '--cs',
      cs,
      '--passphrase-file',
      join(home, 'cs.passphrase'),
    ]);
    const planDoc = plan.json() as { planId: string; items: { action: string; reason?: string }[] };
    expect(planDoc.items[0]!.action, JSON.stringify(planDoc.items[0]) + JSON.stringify(doc.hosts[0]!.checks.filter((c) => c.verdict !== 'pass'))).toBe(
      'install',
    );
    const apply = await cli(['--json', 'apply', planDoc.planId, '--yes']);
    expect(apply.code, apply.stderr).toBe(0);
    const r = apply.json() as { jobId: string; hosts: { status: string; version: string }[] };
    expect(r.hosts[0]).toMatchObject({ status: 'succeeded', version: V });
    // Installed as root (the fixture refuses to run as anyone else) and exactly once.
    expect(await installCount(h)).toBe(1);
    expect((await onHost(h, 'stat -c %U /usr/local/.vx_version')).trim()).toBe('root');

    const sudoLog = await onHost(h, 'cat /var/log/sudo.log');
    expect(sudoLog).toMatch(new RegExp(`${lab!.users.admin.name} :.*USER=root ; COMMAND=`));
    expect(sudoLog).not.toContain(pw);
    const logs = await cli(['jobs', 'logs', r.jobId]);
    expect(logs.stdout).toMatch(/sudo-password/);
    for (const o of outputs) expect(o).not.toContain(pw);
    expect(readFileSync(join(home, 'asr-deploy.db')).includes(Buffer.from(pw))).toBe(false);
  }, 600_000);
});
