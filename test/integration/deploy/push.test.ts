import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { getLab } from '../../lab/inject.ts';
import { fault, hostProcs } from '../../lab/lab.ts';
import type { HostState } from '../../lab/lab.ts';
import type { ServiceEvent } from '../../../src-main/service/contract.ts';
import { DeployBench, PASSPHRASE, installCount, onHost } from './lab-deploy.ts';

const { lab, reason } = getLab();
const V = '9.62.7096.1';

describe.skipIf(!lab)(`push-install over SSH against the lab (needs the lab: ${reason})`, () => {
  let b: DeployBench;
  const hosts: Record<string, HostState> = {};

  beforeAll(async () => {
    b = new DeployBench(lab!);
    await b.setup({
      installers: [
        { version: V, osId: 'UBUNTU-22.04-64', bytes: 4 << 20 },
        { version: '8.4.0.0', osId: 'RHEL6-64' },
      ],
    });
    await b.call('credentials.add', { name: 'wrong-password', user: 'asrlab-admin', password: 'definitely-not-the-password' });
    const [ok1, ok2, badpw, rekey, disk, hang, unknown] = await Promise.all([
      b.host(),
      b.host(),
      b.host({ credential: 'wrong-password' }),
      b.host(),
      b.host(),
      b.host(),
      b.host({ approve: false }),
    ]);
    Object.assign(hosts, { ok1, ok2, badpw, rekey, disk, hang, unknown });
  }, 120_000);
  afterAll(async () => b?.close());

  it('plans, then pushes to 6 hosts at once with mixed outcomes; each failure is named, with a remedy, and the others go on', async () => {
    const sel = Object.values(hosts)
      .map((h) => h.name)
      .join(',');
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: b.source,
      hosts: sel,
      cs: lab!.proxy?.endpoint?.address ?? lab!.bridgeAddress,
      passphraseFile: b.passphraseFile,
      accept: ['reach-process-server', 'reach-configuration-server'],
    });
    const byHost = Object.fromEntries(plan.items.map((i) => [i.host, i]));
    expect(byHost[hosts.ok1!.name]).toMatchObject({ action: 'install', from: null, to: V });
    // Wrong password: blocked, auth_failed, and exactly one login attempt (no retry: account lockout, 95520).
    expect(byHost[hosts.badpw!.name]).toMatchObject({ action: 'blocked', error: { code: 'auth_failed', retryable: false } });
    const failedLogins = readFileSync(hosts.badpw!.sshdLogPath, 'utf8')
      .split('\n')
      .filter((l) => /Failed (password|keyboard-interactive)/.test(l));
    expect(failedLogins).toHaveLength(1);
    // Never approved: refused before any login.
    expect(byHost[hosts.unknown!.name]).toMatchObject({ action: 'blocked', error: { code: 'host_key_unknown' } });
    expect(plan.items.filter((i) => i.action === 'install')).toHaveLength(5);

    // Faults between plan and apply.
    await fault(lab!, hosts.rekey!, 'rekey');
    await fault(lab!, hosts.disk!, 'disk-full');
    await onHost(hosts.hang!, 'echo HANG=1 > /usr/local/asr-fixture.conf');

    const events: ServiceEvent[] = [];
    let maxParallel = 0;
    const inFlight = new Set<string>();
    let passphraseSeenInArgv = false;
    const started = Date.now();
    const result = await b.call('apply.start', { planId: plan.planId, concurrency: 8, stepTimeoutMs: 4000, retries: 1 }, (e) => {
      events.push(e);
      if (e.type === 'host-step' && e.step === 'install' && e.status === 'started') {
        inFlight.add(e.host);
        maxParallel = Math.max(maxParallel, inFlight.size);
        // While installers run, no process on the target carries the passphrase in its command line.
        for (const h of Object.values(hosts)) if (hostProcs(h).some((p) => p.cmdline.includes(PASSPHRASE))) passphraseSeenInArgv = true;
      } else if (e.type === 'host-step' && e.step === 'install') {
        // Succeeded, failed, retrying, cancelled: this host's installer is no longer running, so
        // maxParallel counts installers that really ran at the same time.
        inFlight.delete(e.host);
      }
    });
    const elapsed = Date.now() - started;
    const st = Object.fromEntries(result.hosts.map((h) => [h.host, h]));
    expect(st[hosts.ok1!.name]).toMatchObject({ status: 'succeeded', version: V });
    expect(st[hosts.ok2!.name]).toMatchObject({ status: 'succeeded', version: V });
    expect(st[hosts.rekey!.name]).toMatchObject({ status: 'failed', error: { code: 'host_key_mismatch' } });
    expect(st[hosts.rekey!.name]!.error!.remedy).toMatch(/trust/);
    expect(st[hosts.disk!.name]).toMatchObject({ status: 'failed', error: { code: 'disk_full' } });
    expect(st[hosts.disk!.name]!.error!.remedy).toMatch(/Free space/i);
    expect(st[hosts.hang!.name]).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
    expect(st[hosts.badpw!.name]).toMatchObject({ status: 'blocked' });
    expect(passphraseSeenInArgv).toBe(false);
    expect(maxParallel).toBeGreaterThanOrEqual(2);
    // The hung installer was bounded by the 4 s step timeout (plus connect/stage), and killed on the host.
    expect(elapsed).toBeLessThan(30_000);
    expect(hostProcs(hosts.hang!).some((p) => /\binstall\b/.test(p.cmdline) && p.cmdline.includes('asr-deploy'))).toBe(false);
    // Installed for real on the targets: version file, registered, svagents running, one install each.
    for (const h of [hosts.ok1!, hosts.ok2!]) {
      const vx = await onHost(h, 'cat /usr/local/.vx_version');
      expect(vx).toMatch(`VERSION=${V}`);
      expect(vx).toMatch('AGENT_CONFIGURATION_STATUS=Succeeded');
      expect(await onHost(h, 'pgrep -x svagents >/dev/null && echo running')).toMatch('running');
      expect(await installCount(h)).toBe(1);
      // Staged installer and passphrase file are gone.
      expect(await onHost(h, 'ls -d /tmp/asr-deploy-* 2>/dev/null | wc -l')).toMatch(/^0/);
    }
    // The per-host log exists, and holds no secret.
    const logs = await b.call('jobs.logs', { jobId: result.jobId });
    expect(logs.length).toBeGreaterThanOrEqual(5);
    for (const l of logs) expect(l.text).not.toContain(PASSPHRASE);
    // Step events streamed for every host that ran.
    expect(
      events
        .filter((e) => e.type === 'host-step' && e.status === 'succeeded' && e.step === 'verify')
        .map((e) => (e as { host: string }).host)
        .sort(),
    ).toEqual([hosts.ok1!.name, hosts.ok2!.name].sort());
    await fault(lab!, hosts.disk!, 'disk-free');
  }, 120_000);

  it('an unsupported OS is blocked at plan time by the support matrix (8.x on Ubuntu 22.04)', async () => {
    const h = await b.host();
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: '8.4.0.0',
      source: b.source,
      hosts: h.name,
      cs: lab!.bridgeAddress,
      passphraseFile: b.passphraseFile,
      accept: ['reach-process-server', 'reach-configuration-server'],
    });
    expect(plan.items[0]).toMatchObject({ action: 'blocked' });
    expect(plan.items[0]!.failedChecks).toContain('os-supported');
  }, 60_000);

  it('a second apply of the same version copies nothing: hosts already current are skipped', async () => {
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: b.source,
      hosts: `${hosts.ok1!.name},${hosts.ok2!.name}`,
      cs: lab!.proxy?.endpoint?.address ?? lab!.bridgeAddress,
      passphraseFile: b.passphraseFile,
      accept: ['reach-process-server', 'reach-configuration-server'],
    });
    expect(plan.items.map((i) => i.action)).toEqual(['skip', 'skip']);
    const events: ServiceEvent[] = [];
    const r = await b.call('apply.start', { planId: plan.planId }, (e) => events.push(e));
    expect(r.hosts.map((h) => h.status)).toEqual(['skipped', 'skipped']);
    expect(events.some((e) => e.type === 'host-step' && e.step === 'stage')).toBe(false);
    expect(await installCount(hosts.ok1!)).toBe(1);
  }, 60_000);

  it('an installer failure fails that host with its exit code and the installer log, and still removes the staged secrets', async () => {
    const h = await b.host();
    await onHost(h, 'echo FAIL_EXIT=3 > /usr/local/asr-fixture.conf');
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: V,
      source: b.source,
      hosts: h.name,
      cs: lab!.proxy?.endpoint?.address ?? lab!.bridgeAddress,
      passphraseFile: b.passphraseFile,
      accept: ['reach-process-server', 'reach-configuration-server'],
    });
    const r = await b.call('apply.start', { planId: plan.planId, retries: 1 });
    expect(r.hosts[0]).toMatchObject({ status: 'failed', error: { code: 'install_failed' } });
    expect(r.hosts[0]!.error!.message).toMatch(/exit code 3/);
    const logs = await b.call('jobs.logs', { jobId: r.jobId, host: h.name });
    expect(logs[0]!.text).toMatch(/ua_install\.log/);
    expect(logs[0]!.text).toMatch(/fixture FAIL_EXIT=3/);
    expect(await onHost(h, 'ls -d /tmp/asr-deploy-* 2>/dev/null | wc -l')).toMatch(/^0/);
  }, 60_000);

  it('warnings: installer exit 98 is success with warnings', async () => {
    const h = await b.host();
    await onHost(h, 'echo WARN=1 > /usr/local/asr-fixture.conf');
    const plan = await b.call('plan.create', { component: 'mobility-service', version: V, source: b.source, hosts: h.name, accept: [] });
    const r = await b.call('apply.start', { planId: plan.planId });
    expect(r.hosts[0]).toMatchObject({ status: 'succeeded_with_warnings', version: V });
    expect(r.hosts[0]!.warning).toMatch(/98/);
  }, 60_000);

  it('sshd stopped during the upload: the host is retried with back-off and succeeds when sshd returns', async () => {
    const h = await b.host();
    const plan = await b.call('plan.create', { component: 'mobility-service', version: V, source: b.source, hosts: h.name, accept: [] });
    let cut = false;
    const r = await b.call('apply.start', { planId: plan.planId, retries: 5, retryBaseMs: 300 }, (e) => {
      if (!cut && e.type === 'host-step' && e.step === 'stage' && e.bytes !== undefined && e.bytes > 0 && e.bytes < (e.totalBytes ?? Infinity)) {
        cut = true;
        // Inside the first progress callback, synchronously: the upload is certainly mid-way (the
        // rest of it still awaits the server's replies). Kill the listener and the live sessions.
        for (const p of hostProcs(h)) if (p.cmdline.startsWith('sshd')) process.kill(p.pid, 'SIGKILL');
        setTimeout(() => void fault(lab!, h, 'sshd-start'), 800);
      }
    });
    expect(cut).toBe(true);
    expect(r.hosts[0]).toMatchObject({ status: 'succeeded', version: V });
    const show = await b.call('jobs.show', { jobId: r.jobId });
    expect(show.hosts[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(await installCount(h)).toBe(1);
  }, 90_000);

  it('the 2015 (8.x) agent on CentOS 6.6: the legacy command line registers during install (passphrase file, never argv); uninstall removes it', async () => {
    const h = await b.host({ profile: 'centos-6.6' });
    const cs = lab!.proxy?.endpoint?.address ?? lab!.bridgeAddress;
    const plan = await b.call('plan.create', {
      component: 'mobility-service',
      version: '8.4.0.0',
      source: b.source,
      hosts: h.name,
      cs,
      passphraseFile: b.passphraseFile,
      accept: ['reach-process-server', 'reach-configuration-server'],
    });
    expect(plan.items[0]).toMatchObject({ action: 'install', osId: 'RHEL6-64' });
    const main = plan.items[0]!.commandLines!.find((c) => c[0] === './install')!;
    expect(main).toEqual([
      './install',
      '-t',
      'both',
      '-a',
      'host',
      '-R',
      'Agent',
      '-d',
      '/usr/local/ASR',
      '-i',
      cs,
      '-p',
      '443',
      '-s',
      'y',
      '-c',
      'https',
      '-P',
      '/tmp/asr-deploy-JOB/passphrase',
    ]);
    const r = await b.call('apply.start', { planId: plan.planId });
    expect(r.hosts[0]).toMatchObject({ status: 'succeeded', version: '8.4.0.0' });
    expect(await onHost(h, 'cat /usr/local/.vx_version')).toMatch(`CS_IP=${cs}`);

    const un = await b.call('components.uninstall', { component: 'mobility-service', hosts: h.name });
    expect(un).toEqual([{ host: h.name, status: 'removed' }]);
    expect(await onHost(h, 'test -e /usr/local/.vx_version && echo present; pgrep -x svagents || true')).toBe('');
    expect(await b.call('components.uninstall', { component: 'mobility-service', hosts: h.name })).toEqual([{ host: h.name, status: 'absent' }]);
  }, 90_000);
});
