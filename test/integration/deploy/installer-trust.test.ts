import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import type { HostState } from '../../lab/lab.ts';
import { buildFixtureInstaller } from '../../fixtures/mobility-installer/build.ts';
import { DeployBench, installCount, onHost } from './lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';

/**
 * Issue 12 item 4: an installer no document gives a hash for runs only once pinned, and a file
 * changed after its pin never reaches the host. One lab host.
 */
describe.skipIf(!lab)(`installers are verified before they run as root (needs the lab: ${reason})`, () => {
  let b: DeployBench;
  let h: HostState;
  let source: string;
  let installer: string;
  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({ installers: [] });
    h = await b.host();
    // A folder of its own, not pinned by the bench.
    source = join(b.home, 'unpinned');
    mkdirSync(source);
    installer = buildFixtureInstaller({ dir: source, version: V, osId: 'UBUNTU-22.04-64' });
  }, 120_000);
  afterAll(async () => b?.close());
  const plan = () => b.call('plan.create', { component: 'mobility-service', version: V, source, hosts: h.name, accept: [] });

  it('unpinned: blocked at plan time with a named reason whose remedy is sources trust; scan says not trusted', async () => {
    const [scanned] = await b.call('sources.scan', { dir: source });
    expect(scanned).toMatchObject({ hashStatus: 'unknown', trusted: false });
    const p = await plan();
    expect(p.items[0]).toMatchObject({
      action: 'blocked',
      error: { code: 'installer_untrusted', remedy: expect.stringContaining(`asr-deploy sources trust ${installer}`) },
    });
    expect(p.items[0]!.reason).toMatch(/no document gives the SHA-256 of Microsoft-ASR_UA_9\.62/);
  });

  it('changed after it was planned and pinned: hash_mismatch at apply, and nothing ran on the host', async () => {
    await b.call('sources.trust', { dir: source, files: [basename(installer)] });
    const p = await plan();
    expect(p.items[0]).toMatchObject({ action: 'install', installer: { trust: { basis: 'pin', by: expect.any(String), at: expect.any(String) } } });
    appendFileSync(installer, 'tampered');
    const r = await b.call('apply.start', { planId: p.planId });
    expect(r.hosts[0]).toMatchObject({
      status: 'failed',
      error: { code: 'hash_mismatch', message: expect.stringMatching(/changed since it was planned and trusted.*nothing was run/) },
    });
    // Nothing reached the host: no step was journalled, no staging folder, no install.
    expect(b.store.journal.steps(r.jobId, p.items[0]!.hostId)).toEqual([]);
    expect((await onHost(h, 'ls -d /tmp/asr-deploy-* 2>/dev/null | wc -l')).trim()).toBe('0');
    expect(await installCount(h)).toBe(0);
    // The scan now says so too: the pinned hash no longer matches the file.
    expect((await b.call('sources.scan', { dir: source }))[0]).toMatchObject({ hashStatus: 'mismatch', trusted: false });
    expect((await plan()).items[0]).toMatchObject({ action: 'blocked', error: { code: 'hash_mismatch' } });
  });

  it('pinned and unchanged: installs', async () => {
    // A good copy again (the tampered one no longer extracts), pinned: these bytes are trusted.
    rmSync(installer);
    buildFixtureInstaller({ dir: source, version: V, osId: 'UBUNTU-22.04-64' });
    await b.call('sources.trust', { dir: source, files: [basename(installer)] });
    const p = await plan();
    expect(p.items[0]!.action).toBe('install');
    const r = await b.call('apply.start', { planId: p.planId });
    expect(r.hosts[0], JSON.stringify(r.hosts[0])).toMatchObject({ status: 'succeeded', version: V });
    expect(await installCount(h)).toBe(1);
  });
});
