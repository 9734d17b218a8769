import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src-main/store/store.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';

/** Plans, check runs, installed-version inventories and installer hashes, through the store's repositories. */
describe('document repositories', () => {
  const store = () => openStore(mkdtempSync(join(tmpdir(), 'asr-repo-')), (db) => new LazyVaultStore(db, () => 'k'.repeat(32)));

  it('keeps plans and check runs whole, by id, and knows the newest check run', () => {
    const s = store();
    s.plans.add({ id: 'p-1', createdAt: '2026-01-01T00:00:00.000Z', component: 'mobility-service', version: '9.66' }, { items: [{ host: 'a' }] });
    expect(s.plans.get('p-1')).toEqual({ items: [{ host: 'a' }] });
    expect(s.plans.get('p-2')).toBeUndefined();
    expect(s.checkRuns.latest()).toBeUndefined();
    s.checkRuns.add({ id: 'c-1', createdAt: '2026-01-01T00:00:00.000Z', component: 'provider', version: null }, { verdict: 'pass' });
    s.checkRuns.add({ id: 'c-2', createdAt: '2026-01-01T00:00:00.000Z', component: 'provider', version: null }, { verdict: 'fail' });
    expect(s.checkRuns.latest()).toEqual({ id: 'c-2', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(s.checkRuns.has('c-1')).toBe(true);
    expect(s.checkRuns.has('p-1')).toBe(false);
    expect(s.checkRuns.get('c-1')).toEqual({ verdict: 'pass' });
    s.close();
  });

  it('replaces a host inventory, and trusts an installer hash only for the same size and mtime', () => {
    const s = store();
    const { host } = s.hosts.upsert({ name: 'h1', address: '192.0.2.10', os: 'linux' });
    s.componentVersions.put(host.id, '2026-01-01T00:00:00.000Z', { host: 'h1', n: 1 });
    s.componentVersions.put(host.id, '2026-01-02T00:00:00.000Z', { host: 'h1', n: 2 });
    expect(s.componentVersions.all()).toEqual([{ host: 'h1', n: 2 }]);
    s.installerHashes.set('/src/a.tar.gz', 10, 1_700_000_000_123.7, 'ab'.repeat(32));
    expect(s.installerHashes.get('/src/a.tar.gz', 10, 1_700_000_000_123)).toBe('ab'.repeat(32));
    expect(s.installerHashes.get('/src/a.tar.gz', 11, 1_700_000_000_123)).toBeUndefined();
    s.installerHashes.set('/src/a.tar.gz', 11, 1_700_000_000_999, 'cd'.repeat(32));
    expect(s.installerHashes.get('/src/a.tar.gz', 10, 1_700_000_000_123)).toBeUndefined();
    s.close();
  });
  it('finds the first install or upgrade of a component that finished on a host since a time (the reboot rule)', () => {
    const s = store();
    const { host } = s.hosts.upsert({ name: 'h1', address: '192.0.2.10', os: 'linux' });
    const plan = { planId: 'p-1', items: [{ hostId: host.id, from: '9.60', to: '9.62' }] };
    s.plans.add({ id: 'p-1', createdAt: '2026-01-01T00:00:00.000Z', component: 'mobility-service', version: '9.62' }, plan);
    const job = s.journal.createJob({ kind: 'apply', planId: 'p-1', options: {}, hosts: [{ hostId: host.id, host: 'h1', action: 'upgrade', version: null }] });
    const before = '2000-01-01T00:00:00.000Z';
    expect(s.journal.firstChangeSince(host.id, 'mobility-service', before)).toBeUndefined();
    s.journal.setHost(job.id, host.id, { status: 'succeeded' });
    expect(s.journal.firstChangeSince(host.id, 'mobility-service', before)).toEqual({ action: 'upgrade', plan });
    expect(s.journal.firstChangeSince(host.id, 'provider', before)).toBeUndefined();
    expect(s.journal.firstChangeSince(host.id, 'mobility-service', '2999-01-01T00:00:00.000Z')).toBeUndefined();
    s.close();
  });
});
