import { describe, expect, it } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { runCli, tempHome } from '../../helpers/cli.ts';

const { lab, reason } = getLab();

describe.skipIf(!lab)(`CLI: trust enrolment and network discovery against the lab (needs the lab: ${reason})`, () => {
  it('trust scan shows the key without pinning; approve pins it; --fingerprint must match; revoke forgets', async () => {
    const home = tempHome();
    const h = lab!.hosts[0]!;
    const scan = await runCli(['--json', 'trust', 'scan', `${h.address}:22`], { home });
    expect(scan.code).toBe(0);
    expect(scan.json()).toEqual([{ host: h.address, port: 22, kind: 'ssh', fingerprint: h.hostKeyFingerprint }]);
    expect((await runCli(['--json', 'trust', 'list'], { home })).json()).toEqual([]);

    const wrong = await runCli(['trust', 'approve', `${h.address}:22`, '--fingerprint', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'], { home });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/nothing was pinned/);
    expect((await runCli(['--json', 'trust', 'list'], { home })).json()).toEqual([]);

    const ok = await runCli(['--json', 'trust', 'approve', `${h.address}:22`, '--fingerprint', h.hostKeyFingerprint], { home });
    expect(ok.code).toBe(0);
    expect((await runCli(['--json', 'trust', 'list'], { home })).json()).toMatchObject([
      { host: h.address, port: 22, kind: 'ssh', fingerprint: h.hostKeyFingerprint },
    ]);
    expect((await runCli(['--json', 'trust', 'revoke', h.address], { home })).json()).toEqual({ revoked: 1 });
  });

  it('trust scan of a TLS listener gives the certificate SHA-256 and expiry', async () => {
    const vc = lab!.vcsim;
    if (!vc) return;
    const u = new URL(vc.url);
    const scan = await runCli(['--json', 'trust', 'scan', `${u.hostname}:${u.port}`], { home: tempHome() });
    expect(scan.json()).toMatchObject([{ kind: 'tls', fingerprint: vc.fingerprintSha256, notAfter: expect.any(String) }]);
  });

  it('discover network --add stores the lab hosts with SSH open; re-running updates, never duplicates', async () => {
    const home = tempHome();
    const subnet = lab!.subnet;
    const first = await runCli(['--json', 'discover', 'network', subnet, '--ports', '22', '--timeout', '500', '--add', '--tag', 'lab'], {
      home,
      timeoutMs: 120_000,
    });
    expect(first.code).toBe(0);
    const found = (first.json() as { address: string; open: number[] }[]).filter((d) => d.open.includes(22)).map((d) => d.address);
    for (const h of lab!.hosts) expect(found).toContain(h.address);
    const n1 = (await runCli(['--json', 'hosts', 'list', '--hosts', 'tag:lab'], { home })).json() as { source: string; os: string }[];
    expect(n1.length).toBe(found.length);
    expect(n1.every((h) => h.source === 'network' && h.os === 'linux')).toBe(true);
    await runCli(['discover', 'network', subnet, '--ports', '22', '--timeout', '500', '--add'], { home, timeoutMs: 120_000 });
    const n2 = (await runCli(['--json', 'hosts', 'list'], { home })).json() as unknown[];
    expect(n2.length).toBe(n1.length);
  }, 180_000);

  it('bad targets are usage errors (exit 2) and store nothing', async () => {
    const home = tempHome();
    for (const bad of [['10.0.0.0/33'], ['10.0.0.300'], ['10.0.0.20-10.0.0.5'], ['10.0.0.0/8'], ['not-an-ip/24']]) {
      const r = await runCli(['discover', 'network', ...bad, '--add'], { home });
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error \(usage\)/);
    }
    expect((await runCli(['--json', 'hosts', 'list'], { home })).json()).toEqual([]);
  });
});
