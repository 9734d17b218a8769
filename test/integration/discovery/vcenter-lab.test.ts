// `discover vcenter` against VMware's simulator (govmomi 0.24.2): the lab's instance for login and
// TLS trust, and one of a few hundred VMs (given the lab hosts' addresses) for a complete inventory
// across pages. The simulator ignores maxObjects and has no ContinueRetrievePropertiesEx, so the
// paged run goes through test/unit/discovery/vim25-pager.ts in front of it.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverVcenter, type VcenterVm, vmsToHostInputs } from '../../../src-main/discovery/vcenter/index.ts';
import { scanTlsCertificate, sha256Fingerprint } from '../../../src-main/remote/tls-scan.ts';
import { getLab } from '../../lab/inject.ts';
import type { VcsimState } from '../../lab/types.ts';
import { startVcsim } from '../../lab/vcsim.ts';
import { makeCerts } from '../../unit/discovery/certs.ts';
import { forwardTo, type Pager, startPager } from '../../unit/discovery/vim25-pager.ts';

const { lab, reason } = getLab();
const vcReason = !lab ? reason : !lab.vcsim ? `no simulator in the lab: ${lab.unavailable['vcsim'] ?? 'not started'}` : 'simulator up';
const VMS = 300;

describe.skipIf(!lab?.vcsim)(`vCenter discovery against the simulator (${vcReason})`, () => {
  const vc = () => lab!.vcsim!;
  const login = () => ({ server: vc().url, user: vc().user, password: vc().password, fingerprint: vc().fingerprintSha256 });

  it('inventories the lab simulator with the pinned certificate', async () => {
    const vms = await discoverVcenter(login());
    expect(vms).toHaveLength(vc().vmCount);
    expect(vms.filter((v) => v.powerState === 'poweredOff')).toHaveLength(vc().poweredOff);
    const labAddresses = new Set(lab!.hosts.map((h) => h.address));
    for (const vm of vms.filter((v) => v.powerState === 'poweredOn')) {
      expect(vm.addresses.length).toBe(1);
      expect(labAddresses.has(vm.addresses[0]!)).toBe(true);
      expect(vm).toMatchObject({
        datacenter: expect.any(String),
        esxHost: expect.any(String),
        disks: expect.any(Number),
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(['linux', 'windows']).toContain(vm.family);
    }
  });

  it('refuses a wrong password with auth_failed', async () => {
    await expect(discoverVcenter({ ...login(), password: `${vc().password}x` })).rejects.toMatchObject({
      data: { code: 'auth_failed', remedy: expect.any(String) },
    });
  });

  it('refuses the self-signed certificate when it is not pinned, naming its fingerprint', async () => {
    const err = await discoverVcenter({ ...login(), fingerprint: undefined }).catch((e: unknown) => e);
    expect(err).toMatchObject({ data: { code: 'certificate_untrusted' } });
    expect((err as Error).message).toContain(vc().fingerprintSha256);
  });

  it('refuses a wrong pin with certificate_mismatch', async () => {
    const wrong = vc().fingerprintSha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await expect(discoverVcenter({ ...login(), fingerprint: wrong })).rejects.toMatchObject({ data: { code: 'certificate_mismatch' } });
  });

  describe(`a simulator with ${VMS} VMs, read in pages`, () => {
    let big: VcsimState;
    let dir: string;
    let pager: Pager;
    let pagerFingerprint: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'asr-vcsim-'));
      const hosts = lab!.hosts.filter((h) => !h.scratch);
      big = await startVcsim(dir, {
        guestIps: hosts.map((h) => h.address),
        guestNames: hosts.map((h) => h.hostname),
        vms: VMS,
        clusters: 2,
        hostsPerCluster: 3,
      });
      const scanned = await scanTlsCertificate('127.0.0.1', Number(new URL(big.url).port));
      expect(scanned.fingerprint).toBe(big.fingerprintSha256);
      const certs = makeCerts();
      pagerFingerprint = sha256Fingerprint(new X509Certificate(certs.selfSigned.cert).raw);
      pager = await startPager({
        key: certs.selfSigned.key,
        cert: certs.selfSigned.cert,
        upstream: forwardTo(big.url, scanned.pem, big.fingerprintSha256, sha256Fingerprint),
      });
    }, 180_000);

    afterAll(async () => {
      await pager?.close();
      if (big?.pid) {
        try {
          process.kill(big.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('gets every VM across several pages, with the addresses the simulator was given', async () => {
      const direct = await discoverVcenter({ server: big.url, user: big.user, password: big.password, fingerprint: big.fingerprintSha256 });
      const paged = await discoverVcenter({ server: pager.url, user: big.user, password: big.password, fingerprint: pagerFingerprint, pageSize: 40 });
      expect(pager.pages.length).toBeGreaterThanOrEqual(1 + Math.ceil(VMS / 40));
      expect(pager.calls.filter((c) => c === 'ContinueRetrievePropertiesEx').length).toBe(Math.ceil(VMS / 40) - 1);
      expect(pager.calls.at(-1)).toBe('Logout');
      const key = (v: VcenterVm) => v.moref;
      expect(paged).toHaveLength(VMS);
      expect(new Set(paged.map(key)).size).toBe(VMS);
      expect(paged.map((v) => ({ ...v, vcenter: '' }))).toEqual(direct.map((v) => ({ ...v, vcenter: '' })));

      const given = new Set(big.guestIps);
      const on = paged.filter((v) => v.powerState === 'poweredOn');
      expect(on.length).toBe(VMS - big.poweredOff);
      for (const vm of on) expect(given.has(vm.addresses[0]!)).toBe(true);
      // every address handed out shows up
      expect(new Set(on.map((v) => v.addresses[0]))).toEqual(given);
      expect(new Set(paged.map((v) => v.cluster)).size).toBeGreaterThanOrEqual(2);

      const inputs = vmsToHostInputs(paged, { vcenter: 'vcsim' });
      expect(inputs).toHaveLength(on.length);
      expect(inputs.every((i) => i.tags?.includes('vcenter:vcsim'))).toBe(true);
    });

    it('refuses a certificate that changed since it was pinned', async () => {
      // The pager presents another certificate than the simulator's: like a replaced or intercepted vCenter.
      await expect(discoverVcenter({ server: pager.url, user: big.user, password: big.password, fingerprint: big.fingerprintSha256 })).rejects.toMatchObject({
        data: { code: 'certificate_mismatch' },
      });
    });
  });
});
