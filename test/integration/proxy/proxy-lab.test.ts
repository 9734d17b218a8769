// `proxy test` against the lab's real squid (basic auth): from a CentOS 6 profile host over SSH
// (curl and the bash /dev/tcp fallback), and proxy-test.ps1 run for real in pwsh on the lab's
// PowerShell-remoting host. The password must never show in any process's command line.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEndpoint } from '../../../src-main/proxy/endpoints.ts';
import { probeFromWindows } from '../../../src-main/proxy/probe.ts';
import { setProxy } from '../../../src-main/proxy/proxies.ts';
import { PowerShellTransport } from '../../../src-main/remote/powershell/powershell-transport.ts';
import { createService } from '../../../src-main/service/service.ts';
import type { CommandOutput } from '../../../src-main/service/contract.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { getLab } from '../../lab/inject.ts';
import { allCmdlines } from '../../helpers/procs.ts';
import { labPowerShellTransport } from '../powershell/pwsh-lab-helpers.ts';

const { lab, reason } = getLab();
const why = !lab ? `needs the lab: ${reason}` : !lab.proxy ? `needs the lab proxy: ${lab.unavailable.proxy ?? 'not started'}` : 'lab squid';
const pwshHost = lab?.pwsh?.hosts.length ? lab.hosts.find((h) => h.name === lab.pwsh!.hosts[0] && h.powershell) : undefined;

/** Polls the process list while `work` runs; returns what it returned and every command line that held `needle`. */
async function watchingProcesses<T>(needle: string, work: () => Promise<T>): Promise<{ value: T; leaks: string[]; polls: number }> {
  const leaks: string[] = [];
  let polls = 0;
  let running = true;
  const poller = (async () => {
    while (running) {
      for (const c of allCmdlines()) if (c.includes(needle)) leaks.push(c);
      polls++;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    return { value: await work(), leaks, polls };
  } finally {
    running = false;
    await poller;
  }
}

type TestResult = CommandOutput<'proxy.test'>;

describe.skipIf(!lab?.proxy)(`proxy test through the lab's squid (${why})`, () => {
  const px = lab!.proxy!;
  const centos = lab!.hosts.find((h) => h.profile === 'centos-6.6') ?? lab!.hosts[0]!;
  const target = `${px.endpointNames[0]}:443`;
  let store: Store;
  let call: (input: Parameters<ReturnType<typeof createService>['call']>[1] & object) => Promise<TestResult>;

  beforeAll(() => {
    store = openStore(mkdtempSync(join(tmpdir(), 'asr-home-')), (db) => new LazyVaultStore(db, () => 'lab-test-vault-key'));
    store.credentials.add({ name: 'root', user: 'root', privateKey: readFileSync(lab!.users.root.keyPath, 'utf8') });
    store.trust.approve({ host: centos.address, port: 22, kind: 'ssh', fingerprint: centos.hostKeyFingerprint, keyType: null, subject: null, notAfter: null });
    store.hosts.upsert({ address: centos.address, name: centos.name, os: 'linux', credential: 'root' });
    store.credentials.add({ name: 'proxy-ok', user: px.user, password: px.password });
    store.credentials.add({ name: 'proxy-wrong', user: px.user, password: `${px.password}-wrong` });
    setProxy(store, { name: 'lab', url: `http://${px.host}:${px.port}`, credential: 'proxy-ok' });
    setProxy(store, { name: 'lab-wrong', url: `http://${px.host}:${px.port}`, credential: 'proxy-wrong' });
    setProxy(store, { name: 'lab-dead', url: `http://${px.host}:${px.port + 71}`, credential: 'proxy-ok' });
    const svc = createService(store);
    call = async (input) => {
      const r = await svc.call('proxy.test', input as never);
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    };
  });
  afterAll(() => store?.close());

  for (const method of ['curl', 'devtcp'] as const) {
    it(`${method}: right credentials → ok; wrong password → proxy_auth_failed; wrong address → proxy_unreachable; password never in a command line`, async () => {
      const {
        value: good,
        leaks,
        polls,
      } = await watchingProcesses(px.password, () => call({ name: 'lab', hosts: centos.name, endpoints: [target, `http://${px.endpointNames[1]}`], method }));
      expect(good.hosts[0]).toMatchObject({ host: centos.name, ok: true });
      expect(good.hosts[0]!.endpoints.map((e) => [e.endpoint, e.outcome, e.method])).toEqual([
        [target, 'ok', method],
        [`${px.endpointNames[1]}:80`, 'ok', method],
      ]);
      expect(good.hosts[0]!.endpoints[0]!.status).toMatch(/^HTTP\/1\.[01] 200/);
      expect(polls).toBeGreaterThan(3);
      expect(leaks).toEqual([]);

      const wrong = await watchingProcesses(`${px.password}-wrong`, () => call({ name: 'lab-wrong', hosts: centos.name, endpoints: [target], method }));
      expect(wrong.value.hosts[0]!.endpoints[0]).toMatchObject({ outcome: 'proxy_auth_failed', status: 'HTTP/1.1 407 Proxy Authentication Required' });
      expect(wrong.leaks).toEqual([]);

      const dead = await call({ name: 'lab-dead', hosts: centos.name, endpoints: [target], method, timeoutSeconds: 3 });
      expect(dead.hosts[0]).toMatchObject({ ok: false });
      expect(dead.hosts[0]!.endpoints[0]).toMatchObject({ outcome: 'proxy_unreachable', status: null });
      expect(dead.hosts[0]!.endpoints[0]!.detail).toMatch(/refused|connect/i);
      for (const doc of [good, wrong.value, dead]) expect(JSON.stringify(doc)).not.toContain(px.password);
    });
  }

  it('the real Azure endpoints (no DNS in the lab): refused_by_proxy with squid’s status line, not a crash', async () => {
    const r = await call({ name: 'lab', hosts: centos.name });
    const rows = r.hosts[0]!.endpoints;
    expect(rows).toHaveLength(7);
    for (const e of rows) {
      expect(e.outcome, e.endpoint).toBe('refused_by_proxy');
      expect(e.status, e.endpoint).toMatch(/^HTTP\/1\.[01] (403|503)/);
    }
    expect(rows.map((e) => e.endpoint)).toContain('time.windows.com:80');
    const logs = JSON.stringify(store.db.prepare('SELECT * FROM events').all()) + JSON.stringify(store.db.prepare('SELECT * FROM settings').all());
    expect(logs).not.toContain(px.password);
  });

  describe.skipIf(!pwshHost)(
    `proxy-test.ps1 run for real in pwsh over PowerShell remoting (${pwshHost ? 'lab pwsh host' : `needs a lab host with the powershell subsystem: ${lab?.unavailable.pwsh ?? 'none'}`})`,
    () => {
      let t: PowerShellTransport;
      beforeAll(async () => {
        t = labPowerShellTransport(lab!, pwshHost!, { openTimeoutMs: 20_000 });
        await t.connect();
      });
      afterAll(async () => t?.close());

      it('ok / proxy_auth_failed / proxy_unreachable / refused_by_proxy from the socket code, the password only in the secrets channel', async () => {
        const endpoints = [
          parseEndpoint(target),
          parseEndpoint('pod01-srs1.weu.hypervrecoverymanager.windowsazure.com:443'),
          parseEndpoint('http://time.windows.com'),
        ];
        const { value: ok, leaks } = await watchingProcesses(px.password, () =>
          probeFromWindows(t, { proxy: { host: px.host, port: px.port }, account: { user: px.user, password: px.password }, endpoints, timeoutSeconds: 8 }),
        );
        expect(ok.map((e) => [e.outcome, e.method])).toEqual([
          ['ok', 'socket'],
          ['refused_by_proxy', 'socket'],
          ['refused_by_proxy', 'socket'],
        ]);
        expect(ok[1]!.status).toMatch(/^HTTP\/1\.[01] (403|503)/);
        expect(leaks).toEqual([]);
        const wrong = await probeFromWindows(t, {
          proxy: { host: px.host, port: px.port },
          account: { user: px.user, password: 'nope' },
          endpoints: endpoints.slice(0, 1),
        });
        expect(wrong[0]).toMatchObject({ outcome: 'proxy_auth_failed', status: 'HTTP/1.1 407 Proxy Authentication Required' });
        const dead = await probeFromWindows(t, {
          proxy: { host: px.host, port: px.port + 71 },
          account: null,
          endpoints: endpoints.slice(0, 1),
          timeoutSeconds: 3,
        });
        expect(dead[0]).toMatchObject({ outcome: 'proxy_unreachable' });
      });
    },
  );
});
