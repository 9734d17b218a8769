// resources/scripts/linux/facts.sh run locally under dash, bash and busybox: each case gets its own
// mount/UTS/PID namespaces with an overlay /etc (release files written, others hidden by
// whiteouts), so the legacy release-file matrix, JSON escaping and the component file are checked
// without touching this machine. Needs root (namespaces); skipped otherwise.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LINUX_FACTS_SCRIPT, parseFactsOutput } from '../../../src-main/facts/linux.ts';
import type { Facts } from '../../../src-main/model/facts.ts';

const isRoot = process.getuid?.() === 0;
const canUnshare = isRoot && spawnSync('unshare', ['-m', '-u', '-p', '--fork', '--mount-proc', 'true']).status === 0;
const skipReason = !isRoot ? 'needs root' : !canUnshare ? 'unshare -m -u -p is not permitted here' : '';
const HIDE_ALWAYS = [
  'os-release',
  'debian_version',
  'lsb-release',
  'redhat-release',
  'centos-release',
  'oracle-release',
  'enterprise-release',
  'SuSE-release',
  'system-release',
];
const shells: [string, string][] = [
  ['dash', '/bin/dash'],
  ['bash', '/bin/bash'],
];
if (existsSync('/usr/bin/busybox')) shells.push(['busybox ash', '/usr/bin/busybox']);

interface Case {
  /** Files under /etc (relative) that the host has. */
  etc?: Record<string, string>;
  /** Files under /usr/local (relative). */
  usrLocal?: Record<string, string>;
  hostname?: string;
  /** A fake `uname -r`. */
  kernel?: string;
  /** Start a process named svagents inside the host. */
  svagents?: boolean;
  shell?: string;
}

const work = mkdtempSync(join(tmpdir(), 'asr-facts-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

function runFacts(c: Case): Facts {
  const dir = join(work, String(n++));
  const upper = join(dir, 'upper');
  const wd = join(dir, 'work');
  const local = join(dir, 'usr-local');
  const bin = join(dir, 'bin');
  for (const d of [upper, wd, local, bin]) mkdirSync(d, { recursive: true });
  const etc = { ...c.etc };
  for (const f of HIDE_ALWAYS) if (!(f in etc)) execFileSync('mknod', [join(upper, f), 'c', '0', '0']);
  for (const [f, text] of Object.entries(etc)) {
    mkdirSync(join(upper, f, '..'), { recursive: true });
    writeFileSync(join(upper, f), text);
  }
  for (const [f, text] of Object.entries(c.usrLocal ?? {})) writeFileSync(join(local, f), text);
  // The host's own kernel, as the lab gives one: its release bound over /proc/sys/kernel/osrelease.
  if (c.kernel) writeFileSync(join(dir, 'osrelease'), `${c.kernel}\n`);
  if (c.svagents) copyFileSync('/bin/sleep', join(bin, 'svagents'));
  const shell = c.shell ?? '/bin/dash';
  const runScript = shell.endsWith('busybox') ? `${shell} sh -s` : `${shell} -s`;
  const inner = [
    'set -e',
    `mount -t overlay overlay -o lowerdir=/etc,upperdir=${upper},workdir=${wd} /etc`,
    `mount --bind ${local} /usr/local`,
    // the os-release specification's fallback location is hidden too
    '[ -e /usr/lib/os-release ] && mount --bind /dev/null /usr/lib/os-release',
    `printf '%s' "$HOST_NAME" > /proc/sys/kernel/hostname`,
    c.kernel ? `mount --bind ${join(dir, 'osrelease')} /proc/sys/kernel/osrelease` : ':',
    c.svagents ? `(${join(bin, 'svagents')} 30 &)` : ':',
    'set +e',
    `PATH=${bin}:$PATH ${runScript} < ${LINUX_FACTS_SCRIPT}`,
  ].join('\n');
  const r = spawnSync('unshare', ['-m', '-u', '-p', '--fork', '--mount-proc', '--propagation', 'private', 'sh', '-c', inner], {
    encoding: 'utf8',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOST_NAME: c.hostname ?? 'facts-test' },
    timeout: 30_000,
  });
  if (r.status !== 0 && !r.stdout) throw new Error(`unshare failed: ${r.stderr}`);
  return parseFactsOutput(r.stdout, r.stderr, 'local');
}

describe.skipIf(!!skipReason)(`facts.sh in namespaces${skipReason ? ` (${skipReason})` : ''}`, () => {
  it.each(shells)('prints one valid document under %s', (_name, shell) => {
    const f = runFacts({ shell, etc: { 'centos-release': 'CentOS release 6.6 (Final)\n', 'redhat-release': 'CentOS release 6.6 (Final)\n' } });
    expect(f).toMatchObject({
      schema: 1,
      family: 'linux',
      os: { id: 'centos', version: '6.6', source: 'centos-release', name: 'CentOS release 6.6 (Final)' },
      hostName: 'facts-test',
    });
    expect(f.collectedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(f.freeSpace?.find((x) => x.path === '/')?.freeBytes).toBeGreaterThan(0);
    expect(f.access?.isRoot).toBe(true);
  });

  it.each<[string, Record<string, string>, Partial<Facts['os']>, string?]>([
    ['RHEL 6.5', { 'redhat-release': 'Red Hat Enterprise Linux Server release 6.5 (Santiago)\n' }, { id: 'rhel', version: '6.5', source: 'redhat-release' }],
    [
      'Oracle Linux 6.5 with UEK',
      { 'oracle-release': 'Oracle Linux Server release 6.5\n', 'redhat-release': 'Red Hat Enterprise Linux Server release 6.5 (Santiago)\n' },
      { id: 'ol', version: '6.5', source: 'oracle-release', kernelFlavor: 'uek', kernel: '2.6.39-400.17.1.el6uek.x86_64' },
      '2.6.39-400.17.1.el6uek.x86_64',
    ],
    ['Oracle Linux 6.5 with RHCK', { 'oracle-release': 'Oracle Linux Server release 6.5\n' }, { id: 'ol', kernelFlavor: 'rhck' }, '2.6.32-431.el6.x86_64'],
    [
      'Oracle Enterprise Linux 5',
      {
        'enterprise-release': 'Enterprise Linux Enterprise Linux Server release 5.8 (Carthage)\n',
        'redhat-release': 'Red Hat Enterprise Linux Server release 5.8 (Tikanga)\n',
      },
      { id: 'ol', version: '5.8', source: 'enterprise-release' },
    ],
    [
      'SLES 11 SP3',
      { 'SuSE-release': 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 3\n' },
      { id: 'sles', version: '11.3', servicePack: 'SP3', source: 'SuSE-release', name: 'SUSE Linux Enterprise Server 11 (x86_64)' },
    ],
    [
      'SLES 11 GA',
      { 'SuSE-release': 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 0\n' },
      { id: 'sles', version: '11', servicePack: null },
    ],
    ['openSUSE 13.1', { 'SuSE-release': 'openSUSE 13.1 (x86_64)\nVERSION = 13.1\nCODENAME = Bottle\n' }, { id: 'opensuse', version: '13.1' }],
    [
      'Ubuntu 12.04 (lsb-release)',
      {
        'lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=12.04\nDISTRIB_CODENAME=precise\nDISTRIB_DESCRIPTION="Ubuntu 12.04.5 LTS"\n',
        debian_version: 'wheezy/sid\n',
      },
      { id: 'ubuntu', version: '12.04', name: 'Ubuntu 12.04.5 LTS', source: 'lsb-release' },
    ],
    ['Debian 7', { debian_version: '7.11\n' }, { id: 'debian', version: '7.11', source: 'debian_version' }],
    [
      'SLES 12 SP5 (os-release)',
      {
        'os-release': 'NAME="SLES"\nVERSION="12-SP5"\nVERSION_ID="12.5"\nPRETTY_NAME="SUSE Linux Enterprise Server 12 SP5"\nID="sles"\n',
        'SuSE-release': 'SUSE Linux Enterprise Server 12 (x86_64)\nVERSION = 12\nPATCHLEVEL = 5\n',
      },
      { id: 'sles', version: '12.5', servicePack: 'SP5', source: 'os-release', name: 'SUSE Linux Enterprise Server 12 SP5' },
    ],
    ['no release file at all', {}, { id: null, version: null, source: null }],
  ])('%s', (_label, etc, expected, kernel) => {
    const f = runFacts({ etc, ...(kernel ? { kernel } : {}) });
    expect(f.os).toMatchObject(expected);
    if (expected.id === null) expect(f.notes?.join('\n')).toContain('no readable /etc/os-release');
  });

  it('escapes every string: quotes, backslashes, tabs, control characters; UTF-8 passes through', () => {
    const name = 'sé"rv\\eur\tß-1\u0001';
    const f = runFacts({ hostname: name, etc: { 'centos-release': 'CentOS "release" 6.6 \\ (Final)\n' } });
    expect(f.hostName).toBe(name);
    expect(f.os.name).toBe('CentOS "release" 6.6 \\ (Final)');
  });

  it('says whether /etc/hosts maps the host name to each address', () => {
    const right = runFacts({ hostname: 'web01', etc: { hosts: '127.0.0.1 localhost\n# 127.0.0.1 web01\n::1 ip6-localhost web01.corp.example\n' } });
    expect(right.addresses?.find((a) => a.address === '127.0.0.1')).toMatchObject({ nic: 'lo', family: 4, inEtcHosts: false });
    expect(right.addresses?.find((a) => a.address === '::1')?.inEtcHosts ?? true).toBe(true);
    const mapped = runFacts({ hostname: 'WEB01.corp.example', etc: { hosts: '127.0.0.1\tlocalhost web01 # comment\n' } });
    expect(mapped.addresses?.find((a) => a.address === '127.0.0.1')?.inEtcHosts).toBe(true);
  });

  it('flags GRUB configurations that name disks by device', () => {
    const bad = runFacts({
      etc: { 'grub.conf': 'title CentOS\n  kernel /vmlinuz-2.6.32 ro root=/dev/sda2 resume=/dev/sdb1 rhgb\n# kernel /old root=/dev/hda1\n', default: '' },
    });
    expect(bad.boot?.grubUsesUuid).toBe(false);
    expect(bad.boot?.grubDeviceNames).toEqual(['/etc/grub.conf: resume=/dev/sdb1', '/etc/grub.conf: root=/dev/sda2']);
    const good = runFacts({ etc: { 'default/grub': 'GRUB_CMDLINE_LINUX="root=UUID=0b1e-44 rd.lvm.lv=vg/root resume=/dev/mapper/vg-swap"\n' } });
    expect(good.boot).toMatchObject({ grubUsesUuid: true, grubDeviceNames: [] });
  });

  it('reads the Mobility service version file and the svagents process', () => {
    const vx = 'HOST_ID=1f2e\nINSTALLATION_DIR=/usr/local/ASR\nVersion = 9.60.0.0\nAGENT_CONFIGURATION_STATUS=Succeeded\n';
    const f = runFacts({ usrLocal: { '.vx_version': vx }, svagents: true });
    expect(f.components).toEqual([{ id: 'mobility-service', version: '9.60.0.0', configured: true, service: 'running', installDir: '/usr/local/ASR' }]);
    const g = runFacts({ usrLocal: { '.vx_version': 'VERSION=9.55.0.0\nAGENT_CONFIGURATION_STATUS=Failed\n' } });
    expect(g.components).toEqual([{ id: 'mobility-service', version: '9.55.0.0', configured: false, service: 'absent', installDir: null }]);
    expect(runFacts({}).components).toEqual([]);
  });
});

describe('parseFactsOutput', () => {
  const doc = JSON.stringify({ schema: 1, family: 'linux', collectedAt: '2024-01-01T00:00:00Z', os: { id: 'centos' } });

  it('finds the document after login noise', () => {
    expect(parseFactsOutput(`Last login: yesterday\n${doc}\n`, '', 'h').os.id).toBe('centos');
  });

  it('fails with command_failed and the first lines as evidence', () => {
    expect(() => parseFactsOutput('', 'sh: 1: awk: not found\n', 'h')).toThrow(/no facts document.*awk: not found/);
    expect(() => parseFactsOutput('{"schema":1,', '', 'h')).toThrow(/malformed JSON/);
    expect(() => parseFactsOutput('{"schema":1,"family":"bsd"}', '', 'h')).toThrow(/does not match the schema/);
    try {
      parseFactsOutput('', 'boom', 'host-7');
    } catch (e) {
      expect(e).toMatchObject({ data: { code: 'command_failed', host: 'host-7' } });
    }
  });
});
