// Issue 12 item 3: imported data cannot lower security. A host file or hosts.add cannot set WinRM
// authentication, HTTP or ids; Basic, CredSSP and HTTP 5985 are the operator's `hosts winrm`
// setting, with a warning, never a default.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { transportFor } from '../../../src-main/deploy/connect.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { runCli, tempHome } from '../../helpers/cli.ts';

const KEY = 'a vault key long enough for the tests 1234';
const setup = () => {
  const home = tempHome();
  const store = openStore(home, (db) => new LazyVaultStore(db, () => KEY));
  return { home, store, service: createService(store) };
};
const connectionOf = (t: unknown) => (t as { o: { connection: { auth: string; useSsl: boolean; port: number } } }).o.connection;

describe('imported data cannot lower security', () => {
  it('a JSON host file that sets WinRM auth, useSsl:false, an id, a uuid or evidence is refused whole, naming the field', async () => {
    const { home, service, store } = setup();
    const file = join(home, 'hosts.json');
    writeFileSync(
      file,
      JSON.stringify([
        { address: '10.9.0.1', os: 'windows' },
        { address: '10.9.0.2', os: 'windows', evidence: { winrm: { auth: 'Basic', useSsl: false } } },
        { address: '10.9.0.3', os: 'windows', auth: 'CredSSP' },
        { address: '10.9.0.4', os: 'windows', useSsl: false },
        { address: '10.9.0.5', id: 'h-deadbeef' },
        { address: '10.9.0.6', uuid: '4210-vm' },
        { address: '10.9.0.7', transport: 'winrm', port: 5985 },
        { address: '10.9.0.8', source: 'vcenter' },
      ]),
    );
    const r = await service.call('hosts.import', { file });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const errors = (r.error.details as { errors: { line: number; message: string }[] }).errors;
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(errors[0]!.message).toMatch(/"evidence" cannot be set from a host file.*hosts winrm/);
    expect(errors[1]!.message).toMatch(/"auth" cannot be set/);
    expect(errors[2]!.message).toMatch(/"useSsl" cannot be set/);
    expect(errors[3]!.message).toMatch(/"id" cannot be set/);
    expect(errors[4]!.message).toMatch(/"uuid" cannot be set/);
    expect(errors[5]!.message).toMatch(/5985 is WinRM over HTTP/);
    expect(errors[6]!.message).toMatch(/"source" cannot be set/);
    expect(store.hosts.list()).toEqual([]);
  });

  it('a CSV with an auth column or a WinRM 5985 row is refused', async () => {
    const { home, service } = setup();
    const csv = join(home, 'h.csv');
    writeFileSync(csv, 'address,os,auth\n10.9.1.1,windows,Basic\n');
    expect(await service.call('hosts.import', { file: csv })).toMatchObject({ ok: false, error: { code: 'validation' } });
    writeFileSync(csv, 'address,os,port\n10.9.1.1,windows,5985\n');
    const r = await service.call('hosts.import', { file: csv });
    expect(r).toMatchObject({ ok: false, error: { code: 'validation', message: expect.stringMatching(/line 2: port: 5985 is WinRM over HTTP/) } });
  });

  it('hosts.add (CLI, IPC, WebSocket) takes the cli.md columns only', async () => {
    const { service } = setup();
    for (const extra of [
      { evidence: { winrm: { auth: 'Basic' } } },
      { uuid: 'x' },
      { id: 'h-1' },
      { auth: 'Basic' },
      { useSsl: false },
      { source: 'Made Up!' },
    ]) {
      const r = await service.call('hosts.add', { address: '10.9.2.1', os: 'windows', ...extra } as never);
      expect(r, JSON.stringify(extra)).toMatchObject({ ok: false, error: { code: 'validation' } });
    }
    expect(await service.call('hosts.add', { address: '10.9.2.1', os: 'windows', port: 5985 })).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/hosts winrm HOST --http/) },
    });
    expect(await service.call('hosts.list', {})).toEqual({ ok: true, value: [] });
  });

  it('evidence (discovery, old data) never chooses the connection: Negotiate over HTTPS unless the operator said otherwise', async () => {
    const { store } = setup();
    const { host } = store.hosts.upsert({
      address: '10.9.3.1',
      os: 'windows',
      source: 'network',
      evidence: { winrm: { auth: 'Basic', useSsl: false, https: false } },
    });
    const t = transportFor(store, { ...host, credential: 'c' }, { name: 'c', user: 'CONTOSO\\admin', kind: 'password', password: 'p' });
    expect(connectionOf(t)).toMatchObject({ auth: 'Negotiate', useSsl: true, port: 5986 });
  });

  it('hosts winrm: Basic, CredSSP and HTTP are explicit, journalled and warned about; Basic over HTTP is refused', async () => {
    const { home, store } = setup();
    const { host } = store.hosts.upsert({ address: '10.9.4.1', os: 'windows' });
    store.close();
    const env = { ASR_DEPLOY_VAULT_KEY: KEY };
    const basic = await runCli(['hosts', 'winrm', '10.9.4.1', '--auth', 'Basic'], { home, env });
    expect(basic.code).toBe(0);
    expect(basic.stderr).toMatch(/warning: 10\.9\.4\.1: Basic authentication sends the password/);
    const bad = await runCli(['--json', 'hosts', 'winrm', '10.9.4.1', '--http'], { home, env });
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/clear text; nothing was changed/);
    const http = await runCli(['--json', 'hosts', 'winrm', '10.9.4.1', '--http', '--auth', 'Negotiate'], { home, env });
    expect(http.code).toBe(0);
    expect(http.json()).toMatchObject([{ host: '10.9.4.1', auth: 'Negotiate', useSsl: false, port: 5985, warnings: [expect.stringMatching(/HTTP \(5985\)/)] }]);
    const s2 = openStore(home, (db) => new LazyVaultStore(db, () => KEY));
    const h2 = s2.hosts.get(host.id)!;
    expect(h2.port).toBe(5985);
    expect(connectionOf(transportFor(s2, { ...h2, credential: 'c' }, { name: 'c', user: 'u', kind: 'password', password: 'p' }))).toMatchObject({
      auth: 'Negotiate',
      useSsl: false,
      port: 5985,
    });
    s2.close();
    const back = await runCli(['--json', 'hosts', 'winrm', '10.9.4.1', '--https', '--auth', 'CredSSP'], { home, env });
    expect(back.json()).toMatchObject([{ useSsl: true, port: 5986, auth: 'CredSSP', warnings: [expect.stringMatching(/CredSSP delegates/)] }]);
  });
});
