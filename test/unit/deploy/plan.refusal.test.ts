import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { setProxy } from '../../../src-main/proxy/proxies.ts';
import { exitCodeFor } from '../../../src-main/model/errors.ts';
import { failureOf } from '../../helpers/failure.ts';
import { buildFixtureInstaller } from '../../fixtures/mobility-installer/build.ts';
import { loadCatalog } from '../../../src-main/components/catalog.ts';
import { trustInstallers } from '../../../src-main/components/sources.ts';

// Examination (facts, checks, detection) is another feature's: here every host is a clean Ubuntu 22.04 with nothing installed.
vi.mock('../../../src-main/deploy/examine.ts', () => ({
  examineHost: async (_s: unknown, host: unknown) => ({
    host,
    facts: null,
    checks: { checks: [], installerOsId: 'UBUNTU-22.04-64' },
    installed: { installed: false, version: null, configured: false, service: 'absent' },
  }),
}));
const { createPlan } = await import('../../../src-main/deploy/plan.ts');

let home: string;
let store: Store;
let source: string;
const plans = () => (store.db.prepare('SELECT COUNT(*) AS n FROM plans').get() as { n: number }).n;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'asr-planref-'));
  store = openStore(home, (db) => new LazyVaultStore(db, () => 'unit-vault-key'));
  source = join(home, 'src');
  mkdirSync(source);
  const built = [
    buildFixtureInstaller({ dir: source, version: '9.62.7096.1', osId: 'UBUNTU-22.04-64', payloadBytes: 1024 }),
    buildFixtureInstaller({ dir: source, version: '8.4.0.0', osId: 'UBUNTU-22.04-64', payloadBytes: 1024 }),
  ];
  // No document gives the fixtures' SHA-256: pinned as an admin does (sources trust), or plan blocks them.
  await trustInstallers(loadCatalog(), store.installerPins, built, 'unit-test', new Date().toISOString());
  writeFileSync(join(home, 'cs.passphrase'), 'a-passphrase\n');
  for (const name of ['web1', 'web2'])
    store.hosts.upsert({ address: `${name}.contoso.local`, name, os: 'linux', credential: 'root', tags: [], source: 'manual' });
});
afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

describe('plan refuses a plan that cannot finish (issue 15 item 3)', () => {
  it('a configure step that needs the configuration server passphrase the plan does not have: missing_secret, exit 2, no plan stored', async () => {
    const err = await failureOf(createPlan(store, { component: 'mobility-service', version: '9.62.7096.1', source, cs: '10.0.0.2' }));
    expect(err).toMatchObject({
      code: 'missing_secret',
      details: { need: 'passphrase', hosts: ['web1', 'web2'] },
      remedy: expect.stringContaining('--passphrase-file'),
    });
    expect(err.message).toContain('10.0.0.2');
    expect(exitCodeFor(err.code)).toBe(2);
    expect(plans()).toBe(0);
  });

  it('a version that registers during install (8.x) needs --cs and the passphrase', async () => {
    expect(await failureOf(createPlan(store, { component: 'mobility-service', version: '8.4.0.0', source }))).toMatchObject({
      code: 'missing_secret',
      details: { need: 'cs' },
    });
    expect(await failureOf(createPlan(store, { component: 'mobility-service', version: '8.4.0.0', source, cs: '10.0.0.2' }))).toMatchObject({
      code: 'missing_secret',
      details: { need: 'passphrase' },
    });
    const ok = await createPlan(store, {
      component: 'mobility-service',
      version: '8.4.0.0',
      source,
      cs: '10.0.0.2',
      passphraseFile: join(home, 'cs.passphrase'),
    });
    expect(ok.items.map((i) => i.action)).toEqual(['install', 'install']);
    expect(ok.counts).toEqual({ install: 2, upgrade: 0, skip: 0, blocked: 0 });
  });

  it('with --cs and the passphrase the same plan is made; without --cs (install only, 9.x) nothing needs a secret', async () => {
    const full = await createPlan(store, {
      component: 'mobility-service',
      version: '9.62.7096.1',
      source,
      cs: '10.0.0.2',
      passphraseFile: join(home, 'cs.passphrase'),
    });
    expect(full.items.every((i) => i.action === 'install' && i.commandLines!.some((l) => l.includes('-P')))).toBe(true);
    const installOnly = await createPlan(store, { component: 'mobility-service', version: '9.62.7096.1', source });
    expect(installOnly.items.every((i) => i.action === 'install')).toBe(true);
  });

  it('a proxy whose account has no password, or whose credential is gone, is refused before any host is examined', async () => {
    store.credentials.add({ name: 'proxy-key', user: 'svc-proxy', password: 'pw' });
    setProxy(store, { name: 'keyed', url: 'http://proxy.contoso.local:8080', credential: 'proxy-key' });
    // The account was later replaced by a key credential of the same name: no password any more.
    store.credentials.add({ name: 'proxy-key', user: 'svc-proxy', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n' });
    const noPassword = await failureOf(createPlan(store, { component: 'mars-agent', source, proxy: 'keyed' }));
    expect(noPassword).toMatchObject({
      code: 'missing_secret',
      details: { need: 'proxy_password', proxy: 'keyed' },
      remedy: expect.stringContaining('--password-stdin'),
    });
    store.credentials.add({ name: 'proxy-account', user: 'svc-proxy', password: 'pw' });
    setProxy(store, { name: 'corp', url: 'http://proxy.contoso.local:8080', credential: 'proxy-account' });
    store.credentials.remove('proxy-account');
    expect(await failureOf(createPlan(store, { component: 'mars-agent', source, proxy: 'corp' }))).toMatchObject({
      code: 'missing_secret',
      message: expect.stringContaining('does not exist'),
    });
    expect(plans()).toBe(0);
  });
});
