import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { setProxy } from '../../../src-main/proxy/proxies.ts';
import { failureOf } from '../../helpers/failure.ts';
import { loadCatalog } from '../../../src-main/components/catalog.ts';
import { trustInstallers } from '../../../src-main/components/sources.ts';

// Examination (facts, checks, detection) is another feature's; here it reports a clean Windows host with nothing installed.
vi.mock('../../../src-main/deploy/examine.ts', () => ({
  examineHost: async (_s: unknown, host: unknown) => ({
    host,
    facts: null,
    checks: { checks: [], installerOsId: null },
    installed: { installed: false, version: null, configured: false, service: 'absent' },
  }),
}));
const { createPlan } = await import('../../../src-main/deploy/plan.ts');

const VAULT = '<ASRVaultCreds><Key>plan-secret-KEY</Key></ASRVaultCreds>';
let home: string;
let store: Store;
let source: string;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'asr-winplan-'));
  store = openStore(home, (db) => new LazyVaultStore(db, () => 'unit-vault-key'));
  source = join(home, 'src');
  mkdirSync(source);
  writeFileSync(join(source, 'AzureSiteRecoveryProvider_5.24.0614.1.exe'), 'MZ stand-in');
  // No document gives the Provider's SHA-256: the stand-in is pinned as an admin pins the real one (sources trust).
  await trustInstallers(loadCatalog(), store.installerPins, [join(source, 'AzureSiteRecoveryProvider_5.24.0614.1.exe')], 'unit-test', new Date().toISOString());
  writeFileSync(join(home, 'vault.VaultCredentials'), VAULT);
  writeFileSync(join(home, 'empty.VaultCredentials'), '  \n');
  for (const [name, tags] of [
    ['vmmnode2', ['vmm-cluster:VMMHA']],
    ['vmmnode1', ['vmm-cluster:VMMHA', 'vmm-cluster-active']],
  ] as const) {
    store.hosts.upsert({ address: `${name}.contoso.local`, name, os: 'windows', credential: 'win', tags: [...tags], source: 'manual' });
  }
});
afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

describe('plan: Provider on Windows hosts', () => {
  it('gives the documented lines, the active VMM cluster node first, and keeps the vault credentials encrypted', async () => {
    const plan = await createPlan(store, { component: 'provider', source, vaultCredentialsFile: join(home, 'vault.VaultCredentials') });
    expect(plan.items.map((i) => [i.host, i.action])).toEqual([
      ['vmmnode1', 'install'],
      ['vmmnode2', 'install'],
    ]);
    expect(plan.waves).toEqual([[plan.items[0]!.hostId]]);
    expect(plan.items[0]!.commandLines).toEqual([
      ['AzureSiteRecoveryProvider_5.24.0614.1.exe', '/x:.', '/q'],
      ['setupdr.exe', '/i'],
      [
        'C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager\\bin\\DRConfigurator.exe',
        '/r',
        '/Friendlyname',
        'vmmnode1',
        '/Credentials',
        '%ProgramData%\\asr-deploy\\JOB\\vault.VaultCredentials',
        '/startvmmservice',
      ],
    ]);
    expect(plan.vaultCredentialsRef).toBe(`plan/${plan.planId}/vault-credentials`);
    expect(store.secrets.get(plan.vaultCredentialsRef!)).toBe(VAULT);
    const stored = store.db.prepare('SELECT document FROM plans WHERE id = ?').get(plan.planId) as { document: string };
    expect(stored.document).not.toContain('plan-secret-KEY');
    const raw = store.db.prepare('SELECT * FROM secrets').all();
    expect(JSON.stringify(raw)).not.toContain('plan-secret-KEY');
  });

  it('without --vault-credentials a Provider install is refused at plan time (missing_secret, exit 2), storing no plan', async () => {
    const err = await failureOf(createPlan(store, { component: 'provider', source }));
    expect(err).toMatchObject({
      code: 'missing_secret',
      remedy: expect.stringContaining('--vault-credentials'),
      details: { need: 'vault_credentials', hosts: ['vmmnode1', 'vmmnode2'] },
    });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM plans').get()).toEqual({ n: 0 });
  });

  it('refuses an empty or missing vault credentials file and a friendly name for several hosts, storing nothing', async () => {
    expect(await failureOf(createPlan(store, { component: 'provider', source, vaultCredentialsFile: join(home, 'empty.VaultCredentials') }))).toMatchObject({
      code: 'validation',
      remedy: expect.stringContaining('vault'),
    });
    expect(await failureOf(createPlan(store, { component: 'provider', source, vaultCredentialsFile: join(home, 'nope.VaultCredentials') }))).toMatchObject({
      code: 'validation',
      message: expect.stringContaining('ENOENT'),
    });
    expect(
      await failureOf(createPlan(store, { component: 'provider', source, vaultCredentialsFile: join(home, 'vault.VaultCredentials'), friendlyName: 'One' })),
    ).toMatchObject({ code: 'validation', remedy: expect.stringContaining('--hosts') });
    expect(
      await failureOf(
        createPlan(store, {
          component: 'provider',
          source,
          hosts: 'vmmnode1',
          vaultCredentialsFile: join(home, 'vault.VaultCredentials'),
          friendlyName: 'bad"name',
        }),
      ),
    ).toMatchObject({ code: 'validation' });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM plans').get()).toEqual({ n: 0 });
    const one = await createPlan(store, {
      component: 'provider',
      source,
      hosts: 'vmmnode1',
      vaultCredentialsFile: join(home, 'vault.VaultCredentials'),
      friendlyName: 'VMM Primary',
    });
    expect(one.items[0]!.commandLines!.at(-1)).toContain('VMM Primary');
  });

  it('--proxy adds the documented proxy switches, the password redacted and never stored with the plan', async () => {
    store.credentials.add({ name: 'proxy-account', user: 'CONTOSO\\svc-proxy', password: 'Proxy-Pa55-word' });
    setProxy(store, { name: 'corp', url: 'http://proxy.contoso.local:8080', credential: 'proxy-account' });
    const plan = await createPlan(store, {
      component: 'provider',
      source,
      hosts: 'vmmnode1',
      vaultCredentialsFile: join(home, 'vault.VaultCredentials'),
      proxy: 'corp',
    });
    expect(plan.proxy).toBe('corp');
    const configure = plan.items[0]!.commandLines!.at(-1)!;
    const at = (flag: string) => configure[configure.findIndex((a) => a.toLowerCase() === flag.toLowerCase()) + 1];
    expect(at('/proxyAddress')).toBe('proxy.contoso.local');
    expect(at('/proxyport')).toBe('8080');
    expect(at('/proxyUsername')).toBe('CONTOSO\\svc-proxy');
    expect(at('/proxyPassword')).toBe('[redacted]');
    const stored = store.db.prepare('SELECT document FROM plans WHERE id = ?').get(plan.planId) as { document: string };
    expect(stored.document).not.toContain('Proxy-Pa55-word');
  });

  it('refuses an unknown proxy, and a proxy for the Mobility service, storing no plan', async () => {
    expect(
      await failureOf(createPlan(store, { component: 'provider', source, vaultCredentialsFile: join(home, 'vault.VaultCredentials'), proxy: 'nope' })),
    ).toMatchObject({ code: 'not_found', remedy: expect.stringContaining('proxy set') });
    setProxy(store, { name: 'open', url: 'http://10.0.0.9:3128' });
    expect(await failureOf(createPlan(store, { component: 'mobility-service', source, proxy: 'open' }))).toMatchObject({ code: 'usage' });
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM plans').get()).toEqual({ n: 0 });
  });
});
