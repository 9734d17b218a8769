import { describe, expect, it } from 'vitest';
import type { Facts } from '../../../src-main/model/facts.ts';
import { AsrFailure } from '../../../src-main/model/errors.ts';
import { matrixFor } from '../../../src-main/checks/matrix.ts';
import { reachabilityProbesFor } from '../../../src-main/checks/reachability.ts';
import { CHECKS, META_CHECK_IDS, checksFor, listChecks, runChecks } from '../../../src-main/checks/registry.ts';
import { worstVerdict, type CheckResult, type CheckSettings, type MatrixComponentId, type ReachabilityProbe } from '../../../src-main/checks/types.ts';
import { loadFacts, stripFact } from './facts-fixtures.ts';

const MB = 1024 * 1024;
const CS = '10.200.0.1';
const SETTINGS: CheckSettings = { configurationServer: CS, installerBytes: 300 * MB, accountKind: 'local' };
const PROBES_OK: ReachabilityProbe[] = [443, 9080, 9443].map((port) => ({ target: CS, port, ok: true }));

function run(
  fixture: string | Facts,
  version = '8.4.0.0',
  settings: CheckSettings = SETTINGS,
  probes: ReachabilityProbe[] = PROBES_OK,
  componentId = 'mobility-service',
) {
  const facts = typeof fixture === 'string' ? loadFacts(fixture) : fixture;
  return runChecks({ facts, componentId, version, settings, probes });
}
function check(r: { checks: CheckResult[] }, id: string): CheckResult {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id} in ${r.checks.map((x) => x.id).join(', ')}`);
  return c;
}
function nonPass(r: { checks: CheckResult[] }) {
  return r.checks.filter((c) => c.verdict !== 'pass').map((c) => `${c.id}:${c.verdict}`);
}

describe('verdict ranking', () => {
  it('is fail > unknown > warn > pass, and nothing proven is unknown', () => {
    expect(worstVerdict(['pass', 'warn'])).toBe('warn');
    expect(worstVerdict(['pass', 'warn', 'unknown'])).toBe('unknown');
    expect(worstVerdict(['unknown', 'fail', 'warn'])).toBe('fail');
    expect(worstVerdict(['pass'])).toBe('pass');
    expect(worstVerdict([])).toBe('unknown');
  });
});

describe('registry', () => {
  it('has unique kebab-case ids, each with a family, a component and needs', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) {
      expect(c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(c.families.length).toBeGreaterThan(0);
      expect(c.components.length).toBeGreaterThan(0);
    }
    expect(listChecks().map((c) => c.id)).toEqual(ids);
  });

  it('lists the required checks', () => {
    expect(CHECKS.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'os-supported',
        'architecture-64bit',
        'system-drive',
        'basic-disks',
        'english-names',
        'etc-hosts',
        'file-systems',
        'volume-managers',
        'no-cciss',
        'free-space',
        'linux-root-access',
        'sftp-subsystem',
        'windows-admin',
        'firewall-file-printer-sharing',
        'firewall-wmi',
        'local-account-token-filter',
        'grub-uuid',
        'pending-reboot',
        'reach-configuration-server',
        'reach-process-server',
        'proxy-http-only',
        'host-role',
        'master-target-sizing',
      ]),
    );
  });

  it('selects checks by component, family and matrix data', () => {
    const m8 = matrixFor('mobility-service', '8.4.0.0');
    const m9 = matrixFor('mobility-service', '9.65.0.0');
    expect(checksFor('mobility-service', 'windows', m8).map((c) => c.id)).toContain('system-drive');
    expect(checksFor('mobility-service', 'windows', m9).map((c) => c.id)).not.toContain('system-drive');
    expect(checksFor('mobility-service', 'linux', m8).map((c) => c.id)).not.toContain('firewall-wmi');
    expect(checksFor('provider', 'windows', matrixFor('provider')).map((c) => c.id)).toEqual(
      expect.arrayContaining(['os-supported', 'host-role', 'proxy-http-only', 'local-account-token-filter']),
    );
    expect(checksFor('provider', 'windows', matrixFor('provider')).map((c) => c.id)).not.toContain('etc-hosts');
  });
});

describe('lab OS profiles against the matrices', () => {
  it('CentOS 6.6 passes the 2015 matrix', () => {
    const r = run('linux-centos-6.6');
    // Microsoft publishes no supported-kernel list for 8.x: the kernel is unknown, never a pass.
    expect(nonPass(r)).toEqual(['kernel-supported:unknown']);
    expect(check(r, 'kernel-supported').evidence).toContain('no RHEL6-64 list for build 8.4.0.0');
    expect(r.verdict).toBe('unknown');
    expect(r.installerOsId).toBe('RHEL6-64');
    expect(check(r, 'os-supported').evidence).toContain('site-recovery-components.md');
  });

  it('Oracle Linux 6.5 UEK3 is supported; the lab host has no SFTP (95108)', () => {
    const r = run('linux-ol-6.5-uek3');
    expect(check(r, 'os-supported').verdict).toBe('pass');
    expect(check(r, 'linux-root-access').verdict).toBe('pass'); // passwordless sudo
    const sftp = check(r, 'sftp-subsystem');
    expect(sftp).toMatchObject({ verdict: 'fail', asrErrorId: 95108 });
    expect(sftp.remedy).toContain('Subsystem sftp /usr/libexec/openssh/sftp-server');
    expect(sftp.remedy).toContain('/etc/ssh/sshd_config');
    expect(nonPass(r)).toEqual(['sftp-subsystem:fail', 'kernel-supported:unknown']);
  });

  it('SLES 11 SP3 is supported by 8.x; the lab host has a wrong /etc/hosts', () => {
    const r = run('linux-sles-11-sp3');
    expect(check(r, 'os-supported').verdict).toBe('pass');
    expect(check(r, 'file-systems').verdict).toBe('pass'); // ext3 + ReiserFS
    expect(check(r, 'volume-managers').evidence).toContain('multipath in use');
    expect(nonPass(r)).toEqual(['etc-hosts:fail', 'kernel-supported:unknown']);
    // ReiserFS is not in the 9.x list.
    const r9 = run('linux-sles-11-sp3', '9.65.0.0');
    expect(check(r9, 'file-systems')).toMatchObject({ verdict: 'fail' });
    expect(check(r9, 'file-systems').evidence).toContain('/srv (reiserfs on /dev/sdb1)');
  });

  it.each(['linux-rhel-8.6', 'linux-ubuntu-22.04'])('%s fails the 2015 matrix and passes 9.x', (fixture) => {
    const r8 = run(fixture);
    expect(r8.verdict).toBe('fail');
    expect(check(r8, 'os-supported').verdict).toBe('fail');
    expect(check(r8, 'os-supported').remedy).toContain('centos 6.4, 6.5, 6.6');
    expect(r8.installerOsId).toBeNull();
    const r9 = run(fixture, '9.66.7567.1');
    // Ubuntu's kernel is in Microsoft's 9.66.7567.1 list; RHEL has no list (Microsoft publishes none for it).
    expect(nonPass(r9)).toEqual(fixture === 'linux-rhel-8.6' ? ['kernel-supported:unknown'] : []);
    expect(r9.verdict).toBe(fixture === 'linux-rhel-8.6' ? 'unknown' : 'pass');
  });

  it('a wrong /etc/hosts fails with the missing addresses as evidence', () => {
    const c = check(run('linux-bad-etc-hosts'), 'etc-hosts');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('10.201.0.16 (eth1)');
    expect(c.evidence).toContain('192.168.50.7 (eth2)');
    expect(c.evidence).not.toContain('10.200.0.16');
    expect(c.evidence).not.toContain('127.0.0.1');
    expect(c.remedy).toContain('10.201.0.16 lab-centos66-hosts.lab.local lab-centos66-hosts');
  });

  it('a non-English host name fails with the name as evidence', () => {
    const c = check(run('linux-non-english-hostname', '9.65.0.0'), 'english-names');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('sérveur-ß');
    expect(c.remedy).toContain('hostnamectl set-hostname');
  });

  it('non-English mount points and install paths fail too', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.fileSystems!.push({ mount: '/données', type: 'ext4', device: '/dev/sdc1' });
    expect(check(run(facts), 'english-names').evidence).toContain('mount point "/données"');
    expect(check(run('linux-centos-6.6', '8.4.0.0', { ...SETTINGS, installDir: '/opt/répertoire' }), 'english-names').evidence).toContain(
      'install path "/opt/répertoire"',
    );
  });
});

describe('Windows hosts', () => {
  it('Windows Server 2012 R2 passes 8.x and 9.x', () => {
    for (const v of ['8.4.0.0', '9.65.0.0']) {
      const r = run('windows-2012r2', v);
      expect(nonPass(r)).toEqual([]);
      expect(r.installerOsId).toBe('Windows');
    }
  });

  it('a dynamic data disk fails 8.x (basic only) but not 9.x (OS disk basic)', () => {
    const c = check(run('windows-dynamic-disk'), 'basic-disks');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('disk 1');
    expect(c.remedy).toContain('convert basic');
    expect(check(run('windows-dynamic-disk', '9.65.0.0'), 'basic-disks').verdict).toBe('pass');
    const facts = loadFacts('windows-dynamic-disk');
    facts.storage!.disks![0]!.dynamic = true;
    expect(check(run(facts, '9.65.0.0'), 'basic-disks').verdict).toBe('fail');
  });

  it('firewall groups off fail 95105 and 95103 with the netsh commands', () => {
    const r = run('windows-firewall-off');
    const fps = check(r, 'firewall-file-printer-sharing');
    const wmi = check(r, 'firewall-wmi');
    expect(fps).toMatchObject({ verdict: 'fail', asrErrorId: 95105 });
    expect(wmi).toMatchObject({ verdict: 'fail', asrErrorId: 95103 });
    expect(wmi.remedy).toContain('netsh advfirewall firewall set rule group="windows management instrumentation (wmi)" new enable=yes');
    expect(fps.remedy).toContain('netsh advfirewall firewall set rule group="File and Printer Sharing" new enable=Yes');
  });

  it('a local account without LocalAccountTokenFilterPolicy fails with the REG ADD line', () => {
    const c = check(run('windows-local-account-no-latfp', '8.4.0.0', { ...SETTINGS, accountKind: null }), 'local-account-token-filter');
    expect(c.verdict).toBe('fail'); // not domain joined → the credential is local
    expect(c.evidence).toContain('LocalAccountTokenFilterPolicy is 0');
    expect(c.remedy).toContain(
      'REG ADD HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f',
    );
  });

  it('LocalAccountTokenFilterPolicy does not matter for a domain account; unknown kind is unknown', () => {
    const facts = loadFacts('windows-2012r2');
    facts.windows!.localAccountTokenFilterPolicy = 0;
    expect(check(run(facts, '8.4.0.0', { ...SETTINGS, accountKind: 'domain' }), 'local-account-token-filter').verdict).toBe('pass');
    expect(check(run(facts, '8.4.0.0', { ...SETTINGS, accountKind: null }), 'local-account-token-filter').verdict).toBe('unknown');
    expect(check(run(facts, '8.4.0.0', { ...SETTINGS, accountKind: 'local' }), 'local-account-token-filter').verdict).toBe('fail');
  });

  it('Windows Server 2008 R2 needs SP1; the OS must be on C: for 8.x', () => {
    const facts = loadFacts('windows-2012r2');
    facts.os.name = 'Microsoft Windows Server 2008 R2 Enterprise';
    facts.os.servicePack = '';
    const c = check(run(facts), 'os-supported');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('needs at least SP1');
    facts.os.servicePack = 'Service Pack 1';
    expect(check(run(facts), 'os-supported').verdict).toBe('pass');
    facts.boot!.systemDrive = 'D:';
    expect(check(run(facts), 'system-drive').verdict).toBe('fail');
  });

  it('a 32-bit OS fails', () => {
    const facts = loadFacts('windows-2012r2');
    facts.os.architecture = '32-bit';
    expect(check(run(facts), 'architecture-64bit').verdict).toBe('fail');
  });

  it('a non-admin push account fails 95107', () => {
    const facts = loadFacts('windows-2012r2');
    facts.access!.isAdmin = false;
    expect(check(run(facts), 'windows-admin')).toMatchObject({ verdict: 'fail', asrErrorId: 95107 });
  });
});

describe('Linux storage, boot and access', () => {
  it('GRUB with device names fails 95320 with the UUID edit', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.boot!.grubUsesUuid = false;
    facts.boot!.grubDeviceNames = ['/dev/sda2'];
    const c = check(run(facts), 'grub-uuid');
    expect(c).toMatchObject({ verdict: 'fail', asrErrorId: 95320 });
    expect(c.evidence).toContain('/dev/sda2');
    expect(c.remedy).toContain('root=UUID=<uuid>');
    expect(c.remedy).toContain('blkid /dev/sda2');
  });

  it('HP CCISS fails, from the flag or from the device names', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.storage!.cciss = true;
    expect(check(run(facts), 'no-cciss').verdict).toBe('fail');
    facts.storage!.cciss = null;
    facts.storage!.deviceNames = ['/dev/cciss/c0d0'];
    const c = check(run(facts), 'no-cciss');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('/dev/cciss/c0d0');
  });

  it('an unsupported file system fails; pseudo and EFI file systems are ignored', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.fileSystems!.push({ mount: '/boot/efi', type: 'vfat', device: '/dev/sda3' }, { mount: '/run', type: 'tmpfs', device: 'tmpfs' });
    expect(check(run(facts), 'file-systems').verdict).toBe('pass');
    facts.fileSystems!.push({ mount: '/srv', type: 'btrfs', device: '/dev/sdc1' });
    expect(check(run(facts), 'file-systems').verdict).toBe('fail');
    // BTRFS only from 9.22.
    const r = (v: string) =>
      check(run(Object.assign(loadFacts('linux-rhel-8.6'), { fileSystems: [{ mount: '/', type: 'btrfs', device: '/dev/sda2' }] }), v), 'file-systems').verdict;
    expect(r('9.21.0.0')).toBe('fail');
    expect(r('9.22.0.0')).toBe('pass');
  });

  it('a non-root account without passwordless sudo fails 95108', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.access = { user: 'deploy', isRoot: false, sudoNoPassword: false, sftp: true, isAdmin: null };
    const c = check(run(facts), 'linux-root-access');
    expect(c).toMatchObject({ verdict: 'fail', asrErrorId: 95108 });
    expect(c.remedy).toContain('deploy ALL=(ALL) NOPASSWD: ALL');
    expect(c.remedy).toContain('--sudo-password-stdin');
  });

  it('a non-root account whose credential has a sudo password that sudo -S accepted passes; a refused one fails', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.access = { user: 'deploy', isRoot: false, sudoNoPassword: false, sudoWithPassword: true, sftp: true, isAdmin: null };
    expect(check(run(facts), 'linux-root-access')).toMatchObject({ verdict: 'pass', evidence: expect.stringContaining('sudo -S') });
    facts.access = { ...facts.access, sudoWithPassword: false };
    expect(check(run(facts), 'linux-root-access')).toMatchObject({ verdict: 'fail', evidence: expect.stringContaining('refused') });
  });
});

describe('free space (95524)', () => {
  it('gives the numbers and sums staging and install on one volume', () => {
    const facts = loadFacts('linux-centos-6.6');
    facts.freeSpace = [{ path: '/', freeBytes: 500 * MB, totalBytes: null }];
    const c = check(run(facts, '8.4.0.0', { ...SETTINGS, installerBytes: 300 * MB }), 'free-space');
    // staging 300 × 2 + install 100 = 700 MB on / with 500 MB free.
    expect(c).toMatchObject({ verdict: 'fail', asrErrorId: 95524 });
    expect(c.evidence).toContain('/: 500 MB free, 700 MB needed');
    expect(c.remedy).toContain('200 MB more on /');
  });

  it('checks the 9.x root partition minimum (2 GB)', () => {
    const facts = loadFacts('linux-rhel-8.6');
    facts.freeSpace = [{ path: '/', freeBytes: 1024 * MB }];
    const c = check(run(facts, '9.65.0.0', { ...SETTINGS, installerBytes: null }), 'free-space');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('root partition');
    expect(c.evidence).toContain('Installer size not given');
  });

  it('resolves Windows paths case-insensitively to their drive', () => {
    const facts = loadFacts('windows-2012r2');
    facts.freeSpace = [{ path: 'c:\\', freeBytes: 50 * MB }];
    const c = check(run(facts), 'free-space');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('c:\\: 50 MB free');
  });

  it('is unknown when no figure covers a directory', () => {
    const facts = loadFacts('windows-2012r2');
    facts.freeSpace = [{ path: 'D:\\', freeBytes: 500 * 1024 * MB }];
    expect(check(run(facts), 'free-space').verdict).toBe('unknown');
  });
});

describe('pending reboot', () => {
  it('warns', () => {
    const facts = loadFacts('windows-2012r2');
    facts.pendingReboot = true;
    const r = run(facts);
    expect(check(r, 'pending-reboot').verdict).toBe('warn');
    expect(r.verdict).toBe('warn');
  });
});

describe('reachability from the host', () => {
  it('asks for the configuration server on 443 and the process server on 9443 (9080 in 2015)', () => {
    const m8 = matrixFor('mobility-service', '8.4.0.0')!;
    const m9 = matrixFor('mobility-service', '9.65.0.0')!;
    expect(reachabilityProbesFor(m9, { configurationServer: 'cs.lab' })).toEqual([
      { role: 'configuration-server', target: 'cs.lab', port: 443 },
      { role: 'process-server', target: 'cs.lab', port: 9443 },
    ]);
    expect(reachabilityProbesFor(m8, { configurationServer: 'cs.lab', processServer: 'ps.lab' })).toEqual([
      { role: 'configuration-server', target: 'cs.lab', port: 443 },
      { role: 'process-server', target: 'ps.lab', port: 9080 },
    ]);
    expect(reachabilityProbesFor(m9, { configurationServer: 'cs', processServerPort: 9444 })[1]?.port).toBe(9444);
    expect(reachabilityProbesFor(m9, {})).toEqual([]);
    expect(reachabilityProbesFor(matrixFor('provider')!, { configurationServer: 'cs' })).toEqual([]);
  });

  it('fails with the probe error, is unknown without a probe, a warning without an address', () => {
    const probes = [
      { target: CS, port: 443, ok: true },
      { target: CS, port: 9443, ok: false, error: 'ECONNREFUSED' },
    ];
    const r = run('linux-rhel-8.6', '9.65.0.0', SETTINGS, probes);
    expect(check(r, 'reach-configuration-server').verdict).toBe('pass');
    const ps = check(r, 'reach-process-server');
    expect(ps.verdict).toBe('fail');
    expect(ps.evidence).toContain(`${CS} on TCP 9443: ECONNREFUSED`);
    expect(ps.remedy).toContain(`/dev/tcp/${CS}/9443`);
    expect(check(run('linux-rhel-8.6', '9.65.0.0', SETTINGS, []), 'reach-process-server').verdict).toBe('unknown');
    expect(check(run('linux-rhel-8.6', '9.65.0.0', { ...SETTINGS, configurationServer: null }), 'reach-configuration-server').verdict).toBe('warn');
  });
});

describe('Provider and MARS agent', () => {
  const provider = (facts: Facts | string, settings: CheckSettings = {}) => run(facts, '5.24.0614.1', settings, [], 'provider');

  it('a Hyper-V host on 2012 R2 passes the Provider checks', () => {
    const r = provider('windows-2012r2');
    expect(nonPass(r)).toEqual([]);
    expect(runChecks({ facts: loadFacts('windows-2012r2'), componentId: 'mars-agent', version: '2.0.9919.0' }).verdict).toBe('pass');
  });

  it('an https:// proxy fails; http:// passes', () => {
    const c = check(provider('windows-2012r2', { proxyUrl: 'https://proxy.lab:8443' }), 'proxy-http-only');
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toContain('https://proxy.lab:8443');
    expect(check(provider('windows-2012r2', { proxyUrl: 'http://proxy.lab:3128' }), 'proxy-http-only').verdict).toBe('pass');
    const facts = loadFacts('windows-2012r2');
    facts.windows!.winHttpProxy = 'https://proxy.lab:8443';
    expect(check(provider(facts), 'proxy-http-only').verdict).toBe('fail');
  });

  it('needs Hyper-V or a supported VMM', () => {
    const facts = loadFacts('windows-2012r2');
    facts.windows!.hyperV = false;
    expect(check(provider(facts), 'host-role').verdict).toBe('fail');
    facts.windows!.vmmServer = true;
    facts.windows!.vmmVersion = '10.19.2445.0';
    expect(check(provider(facts), 'host-role').verdict).toBe('pass');
    // VMM 2019 is not in the 2018 matrix.
    expect(check(run(facts, '5.1.2700.1', {}, [], 'provider'), 'host-role').verdict).toBe('fail');
  });

  it('fails on Linux and on Windows Server 2012 for the Provider', () => {
    expect(check(provider('linux-centos-6.6'), 'os-supported').verdict).toBe('fail');
    const facts = loadFacts('windows-2012r2');
    facts.os.name = 'Microsoft Windows Server 2012 Datacenter';
    expect(check(provider(facts), 'os-supported').verdict).toBe('fail');
  });
});

describe('missing facts are never a pass', () => {
  const BASE: Record<string, { fixture: string; version: string }> = {
    'linux/mobility-service': { fixture: 'linux-centos-6.6', version: '8.4.0.0' },
    'windows/mobility-service': { fixture: 'windows-2012r2', version: '8.4.0.0' },
    'windows/provider': { fixture: 'windows-2012r2', version: '5.24.0614.1' },
    'windows/mars-agent': { fixture: 'windows-2012r2', version: '2.0.9919.0' },
  };

  // Checks whose data covers other versions: the kernel lists exist for 9.66 builds (Ubuntu's kernel is listed there).
  const BASE_OF: Record<string, { fixture: string; version: string }> = { 'kernel-supported': { fixture: 'linux-ubuntu-22.04', version: '9.66.7567.1' } };
  const cases: [string, string, MatrixComponentId, string][] = [];
  // Provider / MARS on Linux only ever fail os-supported; there is no passing baseline to strip.
  for (const c of CHECKS)
    for (const family of c.families)
      for (const component of c.components)
        if (BASE[`${family}/${component}`]) for (const need of c.needs[family] ?? []) cases.push([c.id, family, component, need]);

  it('every check declares the facts it needs (reachability needs probes instead)', () => {
    for (const c of CHECKS) {
      const declared = c.families.flatMap((f) => c.needs[f] ?? []);
      // Settings-only checks (reachability, the registration architecture) need no facts.
      if (!c.id.startsWith('reach-') && !c.appliesToSettings) expect(declared.length, c.id).toBeGreaterThan(0);
    }
  });

  it.each(cases)('%s on %s (%s) without %s → unknown', (id, family, component, need) => {
    const base = BASE_OF[id] ?? BASE[`${family}/${component}`]!;
    const matrix = matrixFor(component, base.version)!;
    const def = CHECKS.find((c) => c.id === id)!;
    if (def.appliesTo && !def.appliesTo(matrix)) return;
    const facts = loadFacts(base.fixture);
    const extra = { probes: PROBES_OK, agentVersion: base.version };
    expect(def.run(facts, matrix, SETTINGS, extra).verdict, 'baseline').toBe('pass');
    for (const mode of ['delete', 'null'] as const) {
      const r = def.run(stripFact(facts, need, mode), matrix, SETTINGS, extra);
      expect(r.verdict, `${mode} ${need}`).toBe('unknown');
      expect(r.evidence).toContain(need);
      expect(r.remedy).toBeTruthy();
    }
  });

  it('every check is exercised by the baseline above on some component', () => {
    const covered = new Set(
      cases
        .filter(([id, f, comp]) => {
          const def = CHECKS.find((c) => c.id === id)!;
          const m = matrixFor(comp, (BASE_OF[id] ?? BASE[`${f}/${comp}`]!).version)!;
          return !def.appliesTo || def.appliesTo(m);
        })
        .map(([id]) => id),
    );
    for (const c of CHECKS) if (!c.id.startsWith('reach-') && !c.appliesToSettings) expect(covered.has(c.id), c.id).toBe(true);
  });

  it.each([
    ['linux-sparse', 'mobility-service', '8.4.0.0'],
    ['linux-sparse', 'mobility-service', '9.65.0.0'],
    ['windows-sparse', 'mobility-service', '8.4.0.0'],
    ['windows-sparse', 'mobility-service', '9.65.0.0'],
    ['windows-sparse', 'provider', '5.24.0614.1'],
    ['windows-sparse', 'mars-agent', '2.0.9919.0'],
  ])('%s: no check passes for %s %s', (fixture, component, version) => {
    const r = runChecks({ facts: loadFacts(fixture), componentId: component, version, settings: SETTINGS, probes: [] });
    expect(r.checks.length).toBeGreaterThan(3);
    expect(r.checks.filter((c) => c.verdict === 'pass').map((c) => c.id)).toEqual([]);
    expect(r.verdict).toBe('unknown');
    expect(r.installerOsId).toBeNull();
  });

  it('a host without facts or with invalid facts is unknown', () => {
    const none = runChecks({ facts: null, componentId: 'mobility-service', version: '9.65.0.0' });
    expect(none).toMatchObject({ verdict: 'unknown', checks: [{ id: META_CHECK_IDS.facts, verdict: 'unknown' }] });
    const bad = runChecks({ facts: { schema: 2 } as unknown as Facts, componentId: 'mobility-service', version: '9.65.0.0' });
    expect(bad.verdict).toBe('unknown');
    expect(bad.checks[0]!.evidence).toContain('schema');
  });

  it('a version no matrix covers is unknown; an unknown component is a validation error', () => {
    const r = runChecks({ facts: loadFacts('linux-centos-6.6'), componentId: 'mobility-service', version: '7.1.0.0' });
    expect(r).toMatchObject({ verdict: 'unknown', matrix: null, checks: [{ id: META_CHECK_IDS.matrix }] });
    expect(() => runChecks({ facts: null, componentId: 'vcontinuum' })).toThrow(AsrFailure);
  });

  it('a check that throws is unknown, never a pass', () => {
    const facts = loadFacts('linux-centos-6.6');
    (facts as { fileSystems: unknown }).fileSystems = [{ mount: 5, type: null, device: 'x' }];
    // Invalid facts are caught by schema validation first.
    expect(runChecks({ facts, componentId: 'mobility-service', version: '8.4.0.0' }).verdict).toBe('unknown');
  });
});
