import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsrFailure, type AsrError } from '../../../src-main/model/errors.ts';
import type { Host } from '../../../src-main/model/host.ts';
import { applyProxySteps, DRA_PROXY_ACCOUNT, DRCONFIGURATOR_PATHS, proxyStepsFor } from '../../../src-main/proxy/apply.ts';
import { parseEndpoint, REQUIRED_ENDPOINTS } from '../../../src-main/proxy/endpoints.ts';
import { judge, probeFromWindows, type Observation } from '../../../src-main/proxy/probe.ts';
import { parseProxyUrl, setProxy, listProxies, type ProxyRecord } from '../../../src-main/proxy/proxies.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { FakePowerShell, loadTranscript } from '../../helpers/fake-powershell.ts';

const store = () => openStore(mkdtempSync(join(tmpdir(), 'asr-home-')), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));
const SECRET = 'Pr0xy-p@ss \'"$(x)`';

function errorOf(f: () => unknown): AsrError {
  try {
    f();
  } catch (e) {
    if (e instanceof AsrFailure) return e.data;
    throw e;
  }
  throw new Error('expected a failure');
}

const host = (over: Partial<Host>): Host => ({
  id: 'h-1',
  name: 'vmm01',
  address: 'vmm01.contoso.local',
  os: 'windows',
  transport: 'winrm',
  port: 5986,
  credential: 'admin',
  tags: [],
  source: 'vmm',
  uuid: null,
  evidence: null,
  facts: null,
  ...over,
});
const proxy: ProxyRecord = {
  name: 'corp',
  url: 'http://proxy.contoso.local:8080',
  host: 'proxy.contoso.local',
  port: 8080,
  credential: 'proxy-acct',
  createdAt: '',
  updatedAt: '',
};

describe('proxy URLs and storage', () => {
  it('accepts http://HOST:PORT only; https is refused with the Provider remedy; bad URLs are usage errors that store nothing', () => {
    expect(parseProxyUrl('http://proxy.contoso.local:8080')).toEqual({ url: 'http://proxy.contoso.local:8080', host: 'proxy.contoso.local', port: 8080 });
    expect(parseProxyUrl('http://10.0.0.1:3128/')).toMatchObject({ host: '10.0.0.1', port: 3128 });
    const https = errorOf(() => parseProxyUrl('https://proxy:8443'));
    expect(https).toMatchObject({ code: 'usage' });
    expect(https.remedy).toMatch(/HTTPS-based proxy isn't supported/);
    for (const bad of [
      'proxy:8080',
      'http://proxy',
      'http://u:p@proxy:8080',
      'socks5://p:1080',
      'http://proxy:8080/path',
      'http://proxy:99999',
      'http://bad host:80',
    ]) {
      expect(errorOf(() => parseProxyUrl(bad)).code, bad).toBe('usage');
    }
    const s = store();
    expect(errorOf(() => setProxy(s, { name: 'corp', url: 'https://proxy:8443' })).code).toBe('usage');
    expect(errorOf(() => setProxy(s, { name: 'corp', url: 'http://proxy:8080', credential: 'missing' })).code).toBe('not_found');
    expect(listProxies(s)).toEqual([]);
    s.close();
  });

  it('stores the proxy in settings and its password only in the encrypted credential store', async () => {
    const s = store();
    const svc = createService(s);
    s.credentials.add({ name: 'proxy-acct', user: 'CONTOSO\\svc-proxy', password: SECRET });
    const r = await svc.call('proxy.set', { name: 'corp', url: 'http://proxy.contoso.local:8080', credential: 'proxy-acct' });
    expect(r).toMatchObject({ ok: true, value: { name: 'corp', host: 'proxy.contoso.local', port: 8080, credential: 'proxy-acct' } });
    const listed = await svc.call('proxy.list', {});
    expect(JSON.stringify(listed)).not.toContain(SECRET);
    const dump =
      s.db
        .prepare('SELECT value FROM settings')
        .all()
        .map((x) => JSON.stringify(x))
        .join('\n') + JSON.stringify(s.db.prepare('SELECT * FROM events').all());
    expect(dump).not.toContain(SECRET);
    const bad = await svc.call('proxy.set', { name: 'corp', url: 'https://proxy.contoso.local:8443' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect((await svc.call('proxy.list', {})).ok && (listed as { value: ProxyRecord[] }).value[0]!.url).toBe('http://proxy.contoso.local:8080');
    s.close();
  });
});

describe('proxy test: endpoints and judging what the proxy answered', () => {
  it('the default list covers the documented wildcards on 443 and both time servers', () => {
    const wildcards = [
      '.hypervrecoverymanager.windowsazure.com',
      '.accesscontrol.windows.net',
      '.backup.windowsazure.com',
      '.blob.core.windows.net',
      '.store.core.windows.net',
    ];
    expect(REQUIRED_ENDPOINTS.filter((e) => e.kind === 'connect').map((e) => wildcards.find((w) => e.host.endsWith(w)))).toEqual(wildcards);
    expect(REQUIRED_ENDPOINTS.filter((e) => e.kind === 'connect').every((e) => e.port === 443)).toBe(true);
    expect(REQUIRED_ENDPOINTS.filter((e) => e.kind === 'http').map((e) => e.host)).toEqual(['time.windows.com', 'time.nist.gov']);
    expect(parseEndpoint('fake.blob.core.windows.net:443')).toMatchObject({ kind: 'connect', host: 'fake.blob.core.windows.net', port: 443 });
    expect(parseEndpoint('http://time.windows.com')).toMatchObject({ kind: 'http', port: 80 });
    for (const bad of ['nohost', 'a b:443', 'h:0', 'https://x:443', 'h:443; rm -rf /']) expect(errorOf(() => parseEndpoint(bad)).code, bad).toBe('usage');
  });

  const e = REQUIRED_ENDPOINTS[0]!;
  const o = (x: Partial<Observation>): Observation => ({
    kind: 'connect',
    host: 'h',
    port: 443,
    method: 'curl',
    connected: true,
    statusLine: null,
    proxyError: null,
    error: null,
    ...x,
  });
  it.each([
    [o({ statusLine: 'HTTP/1.1 200 Connection established' }), 'ok'],
    [o({ statusLine: 'HTTP/1.1 407 Proxy Authentication Required', proxyError: 'ERR_CACHE_ACCESS_DENIED 0' }), 'proxy_auth_failed'],
    [o({ connected: false, error: 'curl: (7) Failed to connect' }), 'proxy_unreachable'],
    [o({ error: 'curl: (28) Proxy CONNECT aborted due to timeout' }), 'proxy_unreachable'],
    [o({ statusLine: 'HTTP/1.1 403 Forbidden', proxyError: 'ERR_ACCESS_DENIED 0' }), 'refused_by_proxy'],
    [o({ statusLine: 'HTTP/1.1 503 Service Unavailable' }), 'refused_by_proxy'],
    [o({ kind: 'http', statusLine: 'HTTP/1.1 404 Not Found' }), 'ok'],
    [o({ kind: 'http', statusLine: 'HTTP/1.1 403 Forbidden', proxyError: 'ERR_ACCESS_DENIED 0' }), 'refused_by_proxy'],
    [o({ kind: 'http', statusLine: 'HTTP/1.1 504 Gateway Timeout' }), 'refused_by_proxy'],
  ])('%o → %s', (obs, outcome) => {
    const r = judge(obs, e);
    expect(r.outcome).toBe(outcome);
    if (outcome === 'refused_by_proxy') expect(r.status).toBe(obs.statusLine);
  });

  it('Windows: proxy-test.ps1 gets host, port, user and endpoints as params and the password only through the secrets channel', async () => {
    const t = new FakePowerShell('hv01', {
      'proxy-test.ps1': [
        {
          answer:
            '{"results":[{"kind":"connect","host":"fake.blob.core.windows.net","port":443,"method":"socket","connected":true,"statusLine":"HTTP/1.1 200 Connection established","proxyError":null,"error":null}]}',
        },
      ],
    });
    const r = await probeFromWindows(t, {
      proxy: { host: 'proxy', port: 8080 },
      account: { user: 'svc', password: SECRET },
      endpoints: [parseEndpoint('fake.blob.core.windows.net:443')],
    });
    expect(r).toEqual([expect.objectContaining({ endpoint: 'fake.blob.core.windows.net:443', outcome: 'ok', method: 'socket' })]);
    expect(t.calls[0]!.params).toEqual({
      ProxyHost: 'proxy',
      ProxyPort: 8080,
      ProxyUser: 'svc',
      Endpoints: ['connect|fake.blob.core.windows.net|443'],
      TimeoutSeconds: 10,
    });
    expect(t.calls[0]!.secrets).toEqual({ ProxyPassword: SECRET });
    expect(t.calls[0]!.text).not.toContain(SECRET);
  });
});

describe('proxy apply: what runs where, by role', () => {
  it('plans by tags and explains: VMM server, standalone Hyper-V host, VMM-managed host, neither, Linux', () => {
    expect(proxyStepsFor(host({ tags: ['role:vmm-server'] }), proxy).steps.map((s) => s.id)).toEqual(['provider', 'vmm-proxy-account']);
    expect(proxyStepsFor(host({ tags: ['role:vmm-server'] }), { ...proxy, credential: null }).steps.map((s) => s.id)).toEqual(['provider']);
    expect(proxyStepsFor(host({ tags: ['role:hyperv-host'] }), proxy).steps.map((s) => s.id)).toEqual(['provider', 'mars-agent']);
    const managed = proxyStepsFor(host({ tags: ['role:hyperv-host', 'vmm:VMM01.contoso.local'] }), proxy);
    expect(managed.steps.map((s) => s.id)).toEqual(['mars-agent']);
    expect(managed.steps[0]!.why).toContain('VMM01.contoso.local');
    const neither = proxyStepsFor(host({ tags: ['site:hq'] }), proxy);
    expect(neither.steps).toEqual([]);
    expect(neither.skip).toMatch(/neither role:vmm-server nor role:hyperv-host/);
    expect(proxyStepsFor(host({ os: 'linux', tags: ['role:hyperv-host'] }), proxy).skip).toMatch(/Linux/);
  });

  it('VMM server: uploads the vault credentials, runs DRConfigurator then DRAProxyAccount + VMM restart, with the password only as a secret', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-vc-'));
    const vc = join(dir, 'site.VaultCredentials');
    writeFileSync(vc, '<VaultCredentials/>');
    const h = host({ tags: ['role:vmm-server'] });
    const t = Object.assign(new FakePowerShell('vmm01', { ...loadTranscript('proxy/provider-applied'), ...loadTranscript('proxy/vmm-account-created') }), {
      remoteTemp: 'C:\\Users\\adm\\AppData\\Local\\Temp',
    });
    const r = await applyProxySteps(t, h, proxyStepsFor(h, proxy).steps, {
      proxy,
      account: { user: 'CONTOSO\\svc-proxy', password: SECRET },
      vaultCredentialsFile: vc,
    });
    expect(r.error).toBeNull();
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['provider', 'applied'],
      ['vmm-proxy-account', 'applied'],
    ]);
    expect(r.steps[1]!.detail).toBe('DRAProxyAccount created; VMM service Running');
    expect(t.uploads).toHaveLength(1);
    expect(t.uploads[0]!.remotePath).toMatch(/^C:\\Users\\adm\\AppData\\Local\\Temp\\asr-deploy-[0-9a-f]{8}\.vaultcredentials$/);
    expect(t.calls.map((c) => c.script)).toEqual(['proxy-apply-provider.ps1', 'proxy-apply-vmm-account.ps1']);
    expect(t.calls[0]!.params).toEqual({
      DRConfiguratorPaths: [...DRCONFIGURATOR_PATHS.vmm],
      VaultCredentialsPath: t.uploads[0]!.remotePath,
      FriendlyName: '',
      ProxyAddress: 'http://proxy.contoso.local',
      ProxyPort: 8080,
      ProxyUser: 'CONTOSO\\svc-proxy',
    });
    expect(t.calls[1]!.params).toEqual({
      AccountName: DRA_PROXY_ACCOUNT,
      ProxyUser: 'CONTOSO\\svc-proxy',
      ServiceDisplayName: 'System Center Virtual Machine Manager Service',
    });
    for (const c of t.calls) {
      expect(c.secrets).toEqual({ ProxyPassword: SECRET });
      expect(c.text).not.toContain(SECRET);
      expect(JSON.stringify(c.params)).not.toContain(SECRET);
    }
    // The documented switches are in the script, built from params.
    expect(t.calls[0]!.text).toMatch(
      /'\/r', '\/Credentials', \$VaultCredentialsPath, '\/FriendlyName', \$FriendlyName, '\/proxyAddress', \$ProxyAddress, '\/proxyport'/,
    );
    expect(t.calls[0]!.text).toContain("'/proxyUsername', $ProxyUser, '/proxyPassword', $ProxyPassword");
    expect(t.calls[1]!.text).toMatch(/Set-SCRunAsAccount -RunAsAccount \$account -Credential \$cred/);
    expect(t.calls[1]!.text).toMatch(/New-SCRunAsAccount -VMMServer \$vmm -Name \$AccountName -Credential \$cred/);
  });

  it('VMM-managed Hyper-V host: only the MARS agent (Set-OBMachineSetting + obengine restart); no upload', async () => {
    const h = host({ name: 'hv01', tags: ['role:hyperv-host', 'vmm:VMM01.contoso.local'] });
    const t = new FakePowerShell('hv01', { ...loadTranscript('proxy/mars-applied') });
    const r = await applyProxySteps(t, h, proxyStepsFor(h, proxy).steps, { proxy, account: { user: 'svc', password: SECRET } });
    expect(r.steps).toEqual([expect.objectContaining({ id: 'mars-agent', status: 'applied', detail: 'service Running' })]);
    expect(t.uploads).toEqual([]);
    expect(t.calls.map((c) => [c.script, c.params, c.secrets])).toEqual([
      [
        'proxy-apply-mars.ps1',
        { ProxyAddress: 'http://proxy.contoso.local', ProxyPort: 8080, ProxyUser: 'svc', ServiceName: 'obengine' },
        { ProxyPassword: SECRET },
      ],
    ]);
    expect(t.calls[0]!.text).toContain(
      'Set-OBMachineSetting -ProxyServer $ProxyAddress -ProxyPort $ProxyPort -ProxyUsername $ProxyUser -ProxyPassword $secure',
    );
  });

  it('standalone Hyper-V host without the Provider: provider step not_installed, MARS still applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-vc-'));
    const vc = join(dir, 'v.VaultCredentials');
    writeFileSync(vc, 'x');
    const h = host({ name: 'hv-branch07', tags: ['role:hyperv-host'] });
    const t = new FakePowerShell('hv-branch07', { ...loadTranscript('proxy/provider-not-installed'), ...loadTranscript('proxy/mars-applied') });
    const r = await applyProxySteps(t, h, proxyStepsFor(h, proxy).steps, { proxy, account: null, vaultCredentialsFile: vc });
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['provider', 'not_installed'],
      ['mars-agent', 'applied'],
    ]);
    expect(t.calls[0]!.params.DRConfiguratorPaths).toEqual([...DRCONFIGURATOR_PATHS.hyperv]);
    expect(t.calls.every((c) => Object.keys(c.secrets).length === 0 && c.params.ProxyUser === '')).toBe(true);
  });

  it('service: a host with neither role is skipped with the reason; a Provider step without --vault-credentials is a usage error before any host is touched', async () => {
    const s = store();
    const svc = createService(s);
    s.credentials.add({ name: 'proxy-acct', user: 'svc', password: SECRET });
    setProxy(s, { name: 'corp', url: 'http://proxy.contoso.local:8080', credential: 'proxy-acct' });
    s.hosts.upsert({ address: '10.0.0.5', os: 'windows', tags: ['site:hq'] });
    const skipped = await svc.call('proxy.apply', { name: 'corp', hosts: '10.0.0.5' });
    expect(skipped).toMatchObject({ ok: true, value: { hosts: [{ host: '10.0.0.5', status: 'skipped', steps: [] }] } });
    expect((skipped as { value: { hosts: { reason: string }[] } }).value.hosts[0]!.reason).toMatch(/neither role:vmm-server nor role:hyperv-host/);
    s.hosts.upsert({ address: 'vmm01.contoso.local', os: 'windows', tags: ['role:vmm-server'] });
    const noVc = await svc.call('proxy.apply', { name: 'corp', hosts: 'all' });
    expect(noVc).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect((noVc as { error: AsrError }).error.remedy).toContain('--vault-credentials');
    s.close();
  });
});
