import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog, parseCatalog } from '../../../src-main/components/catalog.ts';
import { expectedInstallerHash, identifyInstaller, scanSources, untrustedReason, verifyPlannedInstaller } from '../../../src-main/components/sources.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';

const FILE = 'Microsoft-ASR_UA_9.66.7567.1_RHEL8-64_GA_20Sep2025_release.tar.gz';

function bench() {
  const home = mkdtempSync(join(tmpdir(), 'asr-trust-'));
  const store = openStore(home, (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));
  const service = createService(store);
  const dir = mkdtempSync(join(tmpdir(), 'asr-src-'));
  writeFileSync(join(dir, FILE), 'stand-in installer bytes');
  const call = async <T>(name: 'sources.scan' | 'sources.trust', input: object): Promise<T> => {
    const r = await service.call(name, input as never);
    if (!r.ok) throw Object.assign(new Error(`${r.error.code}: ${r.error.message}`), { data: r.error });
    return r.value as T;
  };
  return { store, dir, call };
}

type Scanned = { file: string; hashStatus: string; trusted?: boolean; pinnedBy?: string | null; pinnedAt?: string; sha256: string; path: string }[];

describe('installer trust: catalog hash, else a pin (sources trust)', () => {
  it('the bundled catalog says for every version where its hashes come from, or that no document gives one', () => {
    const c = loadCatalog();
    for (const comp of c.components) {
      for (const v of comp.versions) {
        expect(v.sha256Source, `${comp.id} ${v.version}`).toBeTruthy();
        if (!Object.keys(v.sha256).length) expect(v.sha256Source, `${comp.id} ${v.version}`).toMatch(/^No SHA-256 published: .+sources trust/);
      }
    }
    // Mobility service 9.66: Microsoft's download-link page is the source, and it gives links only.
    expect(c.find('mobility-service', '9.66.7567.1')!.sha256Source).toMatch(/AgentDownloadLinks\.md \(commit 5fcd149\)/);
  });

  it('unknown until pinned; the pin records hash, file, component/version, who and when, in the journal; scan shows it trusted', async () => {
    const { store, dir, call } = bench();
    const before = await call<Scanned>('sources.scan', { dir });
    expect(before[0]).toMatchObject({ file: FILE, hashStatus: 'unknown', trusted: false });
    const c = loadCatalog();
    const id = identifyInstaller(c, FILE)!;
    const none = expectedInstallerHash(c, store.installerPins, id);
    expect(none).toMatchObject({ sha256: null, reason: 'no_known_hash' });
    expect(none.sha256 === null && none.remedy).toMatch(/asr-deploy sources trust/);
    expect(untrustedReason(c, { ...before[0]!, ...id, size: 1 } as never)).toMatchObject({
      code: 'installer_untrusted',
      remedy: expect.stringMatching(/sources trust/),
    });

    const pinned = await call<Scanned>('sources.trust', { dir, files: [FILE] });
    expect(pinned[0]).toMatchObject({ file: FILE, hashStatus: 'pinned', trusted: true, pinnedBy: userInfo().username, sha256: before[0]!.sha256 });
    expect(store.installerPins.byHash(before[0]!.sha256)).toMatchObject({
      file: FILE,
      component: 'mobility-service',
      version: '9.66.7567.1',
      osId: 'RHEL8-64',
      platform: 'linux',
      pinnedBy: userInfo().username,
    });
    const journal = store.db.prepare("SELECT data FROM events WHERE type = 'installers-trusted'").all() as { data: string }[];
    expect(journal).toHaveLength(1);
    expect(JSON.parse(journal[0]!.data)).toMatchObject({
      by: userInfo().username,
      files: [{ file: FILE, sha256: before[0]!.sha256, version: '9.66.7567.1', basis: 'pin' }],
    });

    const after = await call<Scanned>('sources.scan', { dir });
    expect(after[0]).toMatchObject({ hashStatus: 'pinned', trusted: true, pinnedBy: userInfo().username, pinnedAt: expect.any(String) });
    expect(expectedInstallerHash(c, store.installerPins, id)).toMatchObject({ sha256: before[0]!.sha256, basis: 'pin', pinnedBy: userInfo().username });
  });

  it('a file changed after its pin is a mismatch (scan) and refused at apply time, before anything runs', async () => {
    const { store, dir, call } = bench();
    const [pinned] = await call<Scanned>('sources.trust', { dir, files: [FILE] });
    writeFileSync(join(dir, FILE), 'a different, longer payload');
    const [changed] = await call<Scanned>('sources.scan', { dir });
    expect(changed).toMatchObject({ hashStatus: 'mismatch', trusted: false, pinnedBy: userInfo().username });
    expect(untrustedReason(loadCatalog(), changed as never)).toMatchObject({ code: 'hash_mismatch', remedy: expect.stringMatching(/sources trust/) });
    await expect(verifyPlannedInstaller({ path: pinned!.path, file: FILE, sha256: pinned!.sha256 })).rejects.toMatchObject({
      data: { code: 'hash_mismatch', details: { expected: pinned!.sha256 } },
    });
    store.close();
  });

  it('refuses what cannot be pinned, and pins none of a batch then (one transaction)', async () => {
    const { store, dir, call } = bench();
    writeFileSync(join(dir, 'notes.txt'), 'x');
    await expect(call('sources.trust', { dir, files: [FILE, 'notes.txt'] })).rejects.toMatchObject({ data: { code: 'validation' } });
    await expect(call('sources.trust', { dir, files: [FILE, 'missing.tar.gz'] })).rejects.toMatchObject({ data: { code: 'validation' } });
    await expect(call('sources.trust', { dir, files: ['../' + FILE] })).rejects.toMatchObject({ data: { code: 'validation' } });
    expect(store.installerPins.list()).toEqual([]);
    // A catalog hash wins: a file that differs from a document's hash is never pinned over it.
    const withHash = parseCatalog(
      loadCatalog().components.map((comp) => ({
        file: comp.id,
        data:
          comp.id === 'mobility-service'
            ? { ...comp, versions: comp.versions.map((v) => (v.version === '9.66.7567.1' ? { ...v, sha256: { 'RHEL8-64': '0'.repeat(64) } } : v)) }
            : comp,
      })),
    );
    const [f] = await scanSources(withHash, dir, undefined, store.installerPins);
    expect(f).toMatchObject({ hashStatus: 'mismatch', expectedSha256: '0'.repeat(64) });
    store.close();
  });
});
