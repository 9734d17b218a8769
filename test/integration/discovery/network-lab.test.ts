// `discover network` against the lab: a sweep of the lab's own /24 (namespace addresses only)
// finds exactly the lab hosts with SSH open, with their banners.
import { describe, expect, it } from 'vitest';
import { discoverNetwork, parseTargets } from '../../../src-main/discovery/network/index.ts';
import { getLab } from '../../lab/inject.ts';

const { lab, reason } = getLab();

describe.skipIf(!lab)(`network discovery in the lab (${reason})`, () => {
  it('finds exactly the lab hosts on port 22, with OpenSSH banners', async () => {
    const targets = parseTargets([lab!.subnet]);
    expect(targets.count).toBe(254);
    const started = Date.now();
    const found = await discoverNetwork(targets, { timeoutMs: 1000 });
    const elapsed = Date.now() - started;
    const labHosts = lab!.hosts.filter((h) => !h.scratch);
    const scratch = new Set(lab!.hosts.filter((h) => h.scratch).map((h) => h.address));
    const withSsh = found.filter((h) => h.open.includes(22) && !scratch.has(h.address));
    expect(withSsh.map((h) => h.address).sort()).toEqual(labHosts.map((h) => h.address).sort());
    for (const h of withSsh) {
      expect(h.ssh?.banner).toMatch(/^SSH-2\.0-OpenSSH_/);
      expect(h.os).toBe('linux'); // Debian's sshd names its distribution in the banner
      expect(h.winrm).toBeUndefined();
    }
    // nothing but lab addresses answered
    const known = new Set([...lab!.hosts.map((h) => h.address), lab!.bridgeAddress, ...(lab!.proxy ? [lab!.proxy.endpoint.address] : [])]);
    for (const h of found) expect(known.has(h.address)).toBe(true);
    expect(elapsed).toBeLessThan(20_000);
  });

  it('accepts the lab range as A-B and as the short form', async () => {
    const first = lab!.hosts[0]!.address;
    const last = first.replace(/\d+$/, (n) => String(Number(n) + 1));
    const found = await discoverNetwork([`${first}-${last.split('.').pop()}`], { ports: [22] });
    expect(found.map((h) => h.address)).toContain(first);
  });
});
