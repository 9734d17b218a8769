import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { getLab } from '../../lab/inject.ts';
import { DeployBench } from '../deploy/lab-deploy.ts';

const { lab, reason } = getLab();

describe.skipIf(!lab)(`prerequisite checks on the lab's OS profiles (needs the lab: ${reason})`, () => {
  let b: DeployBench;
  const byProfile = (p: string) => lab!.hosts.find((h) => h.profile === p && !h.nonEnglishName && h.etcHostsCorrect)!;
  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({ installers: [] });
    for (const h of lab!.hosts) {
      await b.call('hosts.add', { address: h.address, name: h.name, os: 'linux', credential: 'root', tags: ['lab'], source: 'manual' });
    }
    await b.call('trust.approve', { targets: lab!.hosts.map((h) => h.address), timeoutMs: 5000 });
  }, 60_000);
  afterAll(async () => b?.close());

  const cs = () => lab!.proxy?.endpoint?.address;
  const verdicts = async (version: string, hosts: string) => {
    const doc = await b.call('check.run', { component: 'mobility-service', version, hosts, ...(cs() ? { cs: cs()! } : {}) });
    return Object.fromEntries(doc.hosts.map((h) => [h.host, h]));
  };

  it('CentOS 6.6 passes the 2015 (8.x) matrix; Ubuntu 22.04 fails it on the OS and passes the 9.x one', async () => {
    const centos = byProfile('centos-6.6');
    const ubuntu = byProfile('ubuntu-22.04');
    const old = await verdicts('8.4.0.0', `${centos.name},${ubuntu.name}`);
    // Microsoft publishes no kernel list for 8.x: the kernel is unknown, the rest passes.
    // (--cs is classic: classic-retired warns, the date from the catalog.)
    const notPass = (h: { checks: { id: string; verdict: string }[] }) =>
      h.checks.filter((c) => c.verdict !== 'pass' && !(c.id === 'classic-retired' && c.verdict === 'warn')).map((c) => `${c.id}:${c.verdict}`);
    expect(notPass(old[centos.name]!)).toEqual(['kernel-supported:unknown']);
    expect(old[centos.name]!.verdict).toBe('unknown');
    expect(old[centos.name]!.installerOsId).toBe('RHEL6-64');
    expect(old[ubuntu.name]!.verdict).toBe('fail');
    expect(old[ubuntu.name]!.checks.find((c) => c.id === 'os-supported')!.verdict).toBe('fail');
    const now = await verdicts('9.66.7567.1', ubuntu.name);
    expect(notPass(now[ubuntu.name]!)).toEqual([]);
    expect(now[ubuntu.name]!.checks.find((c) => c.id === 'kernel-supported')!.evidence).toContain(
      'Kernel 5.15.0-91-generic is listed for UBUNTU-22.04-64 in build 9.66.7567.1',
    );
    expect(now[ubuntu.name]!.installerOsId).toBe('UBUNTU-22.04-64');
  }, 60_000);

  it('the host whose /etc/hosts is wrong fails with the missing address as evidence; the non-English host name fails; no SFTP fails 95108', async () => {
    const wrong = lab!.hosts.find((h) => !h.etcHostsCorrect)!;
    const nonAscii = lab!.hosts.find((h) => h.nonEnglishName)!;
    const noSftp = lab!.hosts.find((h) => !h.sftp)!;
    const v = await verdicts('9.62.7096.1', `${wrong.name},${nonAscii.name},${noSftp.name}`);
    const hostsCheck = v[wrong.name]!.checks.find((c) => c.id === 'etc-hosts')!;
    expect(hostsCheck.verdict).toBe('fail');
    expect(hostsCheck.evidence).toContain(wrong.address);
    expect(hostsCheck.remedy).toContain(`${wrong.address} ${wrong.hostname}`);
    const names = v[nonAscii.name]!.checks.find((c) => c.id === 'english-names')!;
    expect(names.verdict).toBe('fail');
    expect(names.evidence).toContain(nonAscii.hostname);
    expect(v[noSftp.name]!.checks.find((c) => c.id === 'sftp-subsystem')).toMatchObject({ verdict: 'fail', asrErrorId: 95108 });
  }, 60_000);

  it('kernel-supported judges each host’s own kernel: listed, listed only under a later build, not listed', async () => {
    const later = await b.host({ kernel: '5.15.0-161-generic' });
    const unlisted = await b.host({ kernel: '5.15.0-9999-generic' });
    const ubuntu = byProfile('ubuntu-22.04');
    const v = await verdicts('9.66.7567.1', `${ubuntu.name},${later.name},${unlisted.name}`);
    const k = (h: string) => v[h]!.checks.find((c) => c.id === 'kernel-supported')!;
    expect(k(ubuntu.name).verdict).toBe('pass');
    expect(k(later.name)).toMatchObject({
      verdict: 'warn',
      evidence: expect.stringContaining(
        'Kernel 5.15.0-161-generic is not listed for UBUNTU-22.04-64 in build 9.66.7567.1; it is listed from the later build 9.66.7643.1 on',
      ),
    });
    expect(k(later.name).remedy).toContain('Build 9.66.7643.1 or later is needed');
    expect(k(unlisted.name).verdict).toBe('fail');
    expect(v[unlisted.name]!.verdict).toBe('fail');
    expect((await verdicts('9.66.7643.1', later.name))[later.name]!.checks.find((c) => c.id === 'kernel-supported')!.verdict).toBe('pass');
  }, 60_000);

  it('the check report exports as HTML, CSV and JSON', async () => {
    const doc = await b.call('check.run', { component: 'mobility-service', version: '9.62.7096.1', hosts: 'tag:lab' });
    for (const format of ['html', 'csv', 'json'] as const) {
      const r = await b.call('report.create', { id: doc.runId, format });
      expect(r.kind).toBe('check');
      expect(r.content!.length).toBeGreaterThan(200);
    }
  }, 60_000);
});
