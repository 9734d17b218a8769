import { describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../../helpers/cli.ts';

describe('asr-deploy CLI', () => {
  it('hosts add then hosts list --json prints the host as cli.md describes', async () => {
    const home = tempHome();
    const add = await runCli(['hosts', 'add', '10.0.0.5', '--os', 'linux', '--name', 'web1'], { home });
    expect(add.code).toBe(0);
    const list = await runCli(['hosts', 'list', '--json'], { home });
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    const hosts = list.json() as Record<string, unknown>[];
    expect(hosts).toHaveLength(1);
    expect(Object.keys(hosts[0]!)).toEqual(
      expect.arrayContaining(['id', 'name', 'address', 'os', 'transport', 'port', 'credential', 'tags', 'source', 'facts']),
    );
    expect(hosts[0]).toMatchObject({
      name: 'web1',
      address: '10.0.0.5',
      os: 'linux',
      transport: 'ssh',
      port: 22,
      credential: null,
      tags: [],
      source: 'manual',
      facts: null,
    });
  });

  it('honours ASR_DEPLOY_HOME and --home, and selects hosts by name, address and tag', async () => {
    const home = tempHome();
    await runCli(['hosts', 'add', '10.0.0.1', '--name', 'a', '--tag', 'prod'], { env: { ASR_DEPLOY_HOME: home } });
    await runCli(['hosts', 'add', 'srv2.contoso.local', '--os', 'windows'], { home });
    const byTag = (await runCli(['--json', 'hosts', 'list', '--hosts', 'tag:prod'], { home })).json() as { name: string }[];
    expect(byTag.map((h) => h.name)).toEqual(['a']);
    const win = (await runCli(['--json', 'hosts', 'list', '--hosts', 'srv2.contoso.local'], { home })).json() as { transport: string; port: number }[];
    expect(win[0]).toMatchObject({ transport: 'winrm', port: 5986 });
    const unknown = await runCli(['--json', 'hosts', 'list', '--hosts', 'nope'], { home });
    expect(unknown.code).toBe(2);
    expect(unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('usage errors exit 2 and change nothing', async () => {
    const home = tempHome();
    expect((await runCli(['hosts', 'add'], { home })).code).toBe(2);
    expect((await runCli(['hosts', 'add', '10.0.0.1', '--port', '0'], { home })).code).toBe(2);
    expect((await runCli(['hosts', 'add', '$(reboot)'], { home })).code).toBe(2);
    expect((await runCli(['no-such-command'], { home })).code).toBe(2);
    expect((await runCli(['--json', 'hosts', 'list'], { home })).json()).toEqual([]);
  });

  it('--help and --version exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/hosts/);
    expect((await runCli(['hosts', 'add', '--help'])).stdout).toMatch(/--credential/);
    expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('a credential without a vault key is refused with the remedy, and nothing is stored', async () => {
    const home = tempHome();
    const r = await runCli(['credentials', 'add', 'c1', '--user', 'root', '--password-stdin'], { home, stdin: 'pw\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ASR_DEPLOY_VAULT_KEY/);
    expect(r.stderr).not.toContain('pw\n');
    expect((await runCli(['--json', 'credentials', 'list'], { home })).json()).toEqual([]);
  });

  it('refuses an encrypted key without its passphrase, and takes it with one', async () => {
    const { execFileSync } = await import('node:child_process');
    const home = tempHome();
    const key = `${home}/id_ed25519`;
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'kp-secret', '-f', key]);
    const env = { ASR_DEPLOY_VAULT_KEY: 'cli-test-vault-key' };
    const no = await runCli(['credentials', 'add', 'k', '--user', 'root', '--key-file', key], { home, env });
    expect(no.code).toBe(2);
    expect(no.stderr).toMatch(/--passphrase-stdin/);
    const yes = await runCli(['--json', 'credentials', 'add', 'k', '--user', 'root', '--key-file', key, '--passphrase-stdin'], {
      home,
      env,
      stdin: 'kp-secret\n',
    });
    expect(yes.code).toBe(0);
    expect(yes.json()).toEqual({ name: 'k', user: 'root', kind: 'key' });
  });
});
