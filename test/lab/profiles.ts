// OS profiles of the lab hosts: which release files a host has and which of the machine's files
// it hides. The machine is Debian 12; every host sees the machine's /etc through an overlay
// whose upper directory holds these files (a 0/0 character device there hides a file).

import type { ProfileId } from './types.ts';

export interface Profile {
  id: ProfileId;
  /** What a human would call it. */
  label: string;
  /** Files written into the host's view (absolute paths under /etc or /usr/lib). */
  files: Record<string, string>;
  /** The host's own /boot (GRUB configuration as that distribution writes it); paths relative to /boot. */
  boot: Record<string, string>;
  /** The host's running kernel (`uname -r` of that release): what facts read, and the image under /boot. */
  kernel: string;
  /** Files of the machine the host must not see. */
  hide: string[];
  /** The release file a detector reads first on this distribution. */
  primaryReleaseFile: string;
}

const issue = (line: string): string => `${line}\nKernel \\r on an \\m\n\n`;

// Every non-Debian host hides Debian's marker files; a host without os-release also hides the
// machine's /usr/lib/os-release (the fallback location of the os-release specification).
const debianMarkers = ['/etc/debian_version'];
const noOsRelease = ['/etc/os-release', '/usr/lib/os-release'];

export const PROFILES: Record<ProfileId, Profile> = {
  'centos-6.6': {
    id: 'centos-6.6',
    kernel: '2.6.32-504.el6.x86_64',
    label: 'CentOS 6.6',
    boot: {
      'grub/grub.conf':
        'default=0\ntimeout=5\ntitle CentOS (2.6.32-504.el6.x86_64)\n\troot (hd0,0)\n\tkernel /vmlinuz-2.6.32-504.el6.x86_64 ro root=UUID=0f3a6c1e-6d2b-4c51-9a53-7e2f8f0c1a11 rd_NO_LUKS LANG=en_US.UTF-8\n\tinitrd /initramfs-2.6.32-504.el6.x86_64.img\n',
    },
    files: {
      '/etc/centos-release': 'CentOS release 6.6 (Final)\n',
      '/etc/redhat-release': 'CentOS release 6.6 (Final)\n',
      '/etc/system-release': 'CentOS release 6.6 (Final)\n',
      '/etc/issue': issue('CentOS release 6.6 (Final)'),
    },
    hide: [...noOsRelease, ...debianMarkers],
    primaryReleaseFile: '/etc/centos-release',
  },
  'ol-6.5': {
    id: 'ol-6.5',
    kernel: '3.8.13-16.2.1.el6uek.x86_64',
    label: 'Oracle Linux 6.5',
    boot: {
      'grub/grub.conf':
        'default=0\ntimeout=5\ntitle Oracle Linux Server Unbreakable Enterprise Kernel (3.8.13-16.2.1.el6uek.x86_64)\n\troot (hd0,0)\n\tkernel /vmlinuz-3.8.13-16.2.1.el6uek.x86_64 ro root=UUID=0f3a6c1e-6d2b-4c51-9a53-7e2f8f0c1a11\n\tinitrd /initramfs-3.8.13-16.2.1.el6uek.x86_64.img\n',
    },
    files: {
      '/etc/oracle-release': 'Oracle Linux Server release 6.5\n',
      '/etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.5 (Santiago)\n',
      '/etc/system-release': 'Oracle Linux Server release 6.5\n',
      '/etc/issue': issue('Oracle Linux Server release 6.5'),
    },
    hide: [...noOsRelease, ...debianMarkers],
    primaryReleaseFile: '/etc/oracle-release',
  },
  'sles-11-sp3': {
    id: 'sles-11-sp3',
    kernel: '3.0.76-0.11-default',
    label: 'SUSE Linux Enterprise Server 11 SP3',
    boot: {
      'grub/menu.lst':
        'default 0\ntimeout 8\ntitle SUSE Linux Enterprise Server 11 SP3 - 3.0.76-0.11\n    root (hd0,1)\n    kernel /boot/vmlinuz-3.0.76-0.11-default root=/dev/disk/by-id/scsi-SATA_disk1-part2 resume=/dev/disk/by-id/scsi-SATA_disk1-part1 splash=silent\n    initrd /boot/initrd-3.0.76-0.11-default\n',
    },
    files: {
      '/etc/SuSE-release': 'SUSE Linux Enterprise Server 11 (x86_64)\nVERSION = 11\nPATCHLEVEL = 3\n',
      '/etc/issue': '\nWelcome to SUSE Linux Enterprise Server 11 SP3  (x86_64) - Kernel \\r (\\l).\n\n',
    },
    hide: [...noOsRelease, ...debianMarkers],
    primaryReleaseFile: '/etc/SuSE-release',
  },
  'rhel-8.6': {
    id: 'rhel-8.6',
    kernel: '4.18.0-372.9.1.el8.x86_64',
    label: 'Red Hat Enterprise Linux 8.6',
    boot: {
      'grub2/grub.cfg':
        "set default=0\nmenuentry 'Red Hat Enterprise Linux (4.18.0-372.9.1.el8.x86_64) 8.6 (Ootpa)' {\n\tlinux /vmlinuz-4.18.0-372.9.1.el8.x86_64 root=UUID=0f3a6c1e-6d2b-4c51-9a53-7e2f8f0c1a11 ro crashkernel=auto\n}\n",
    },
    files: {
      '/etc/os-release': [
        'NAME="Red Hat Enterprise Linux"',
        'VERSION="8.6 (Ootpa)"',
        'ID="rhel"',
        'ID_LIKE="fedora"',
        'VERSION_ID="8.6"',
        'PLATFORM_ID="platform:el8"',
        'PRETTY_NAME="Red Hat Enterprise Linux 8.6 (Ootpa)"',
        'ANSI_COLOR="0;31"',
        'CPE_NAME="cpe:/o:redhat:enterprise_linux:8::baseos"',
        'HOME_URL="https://www.redhat.com/"',
        'BUG_REPORT_URL="https://bugzilla.redhat.com/"',
        '',
      ].join('\n'),
      '/etc/redhat-release': 'Red Hat Enterprise Linux release 8.6 (Ootpa)\n',
      '/etc/system-release': 'Red Hat Enterprise Linux release 8.6 (Ootpa)\n',
      '/etc/issue': '\\S\nKernel \\r on an \\m\n\n',
    },
    // /usr/lib/os-release gets the same content (below), so both locations agree.
    hide: [...debianMarkers],
    primaryReleaseFile: '/etc/os-release',
  },
  'ubuntu-22.04': {
    id: 'ubuntu-22.04',
    kernel: '5.15.0-91-generic',
    label: 'Ubuntu 22.04 LTS',
    boot: {
      'grub/grub.cfg':
        'set default="0"\nmenuentry \'Ubuntu\' {\n\tlinux /boot/vmlinuz-5.15.0-91-generic root=UUID=0f3a6c1e-6d2b-4c51-9a53-7e2f8f0c1a11 ro quiet splash\n}\n',
    },
    files: {
      '/etc/os-release': [
        'PRETTY_NAME="Ubuntu 22.04.4 LTS"',
        'NAME="Ubuntu"',
        'VERSION_ID="22.04"',
        'VERSION="22.04.4 LTS (Jammy Jellyfish)"',
        'VERSION_CODENAME=jammy',
        'ID=ubuntu',
        'ID_LIKE=debian',
        'HOME_URL="https://www.ubuntu.com/"',
        'SUPPORT_URL="https://help.ubuntu.com/"',
        'BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"',
        'UBUNTU_CODENAME=jammy',
        '',
      ].join('\n'),
      '/etc/lsb-release': 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"\n',
      '/etc/debian_version': 'bookworm/sid\n',
      '/etc/issue': 'Ubuntu 22.04.4 LTS \\n \\l\n\n',
    },
    hide: [],
    primaryReleaseFile: '/etc/os-release',
  },
};

/** The files a host of this profile has, with /usr/lib/os-release mirroring /etc/os-release. */
export function profileFiles(p: Profile): Record<string, string> {
  const files: Record<string, string> = { ...p.files };
  const osRelease = p.files['/etc/os-release'];
  if (osRelease !== undefined) files['/usr/lib/os-release'] = osRelease;
  return files;
}

export interface HostSpec {
  name: string;
  hostname: string;
  profile: ProfileId;
  etcHostsCorrect: boolean;
  sftp: boolean;
  nonEnglishName: boolean;
  powershell: boolean;
  /** A running kernel other than the profile's (e.g. one only a later agent build supports). */
  kernel?: string;
}

const spec = (name: string, hostname: string, profile: ProfileId, extra: Partial<HostSpec> = {}): HostSpec => ({
  name,
  hostname,
  profile,
  etcHostsCorrect: true,
  sftp: true,
  nonEnglishName: false,
  powershell: false,
  ...extra,
});

/**
 * The default hosts: one per profile plus one with a non-English host name. The odd ones out
 * are fixed so tests can rely on them: lab-ol65 has no SFTP, lab-sles11sp3 has a wrong
 * /etc/hosts, lab-ubuntu2204 offers PowerShell remoting over SSH.
 */
export const DEFAULT_HOSTS: HostSpec[] = [
  spec('centos66', 'lab-centos66', 'centos-6.6'),
  spec('ol65', 'lab-ol65', 'ol-6.5', { sftp: false }),
  spec('sles11sp3', 'lab-sles11sp3', 'sles-11-sp3', { etcHostsCorrect: false }),
  spec('rhel86', 'lab-rhel86', 'rhel-8.6'),
  spec('ubuntu2204', 'lab-ubuntu2204', 'ubuntu-22.04', { powershell: true }),
  spec('nonascii', 'sérveur-ß', 'ubuntu-22.04', { nonEnglishName: true }),
];

/** Most base hosts a lab has: their addresses are .11-.110, scratch hosts take .120-.249. */
export const MAX_BASE_HOSTS = 100;

/**
 * What the hosts after the six defaults are: `mix` (default) repeats the default lab's mix (CentOS
 * 6.6, Oracle Linux 6.5 without SFTP, SLES 11 SP3 with a wrong /etc/hosts, RHEL 8.6, Ubuntu 22.04,
 * Ubuntu 22.04 with a non-English host name; PowerShell stays on lab-ubuntu2204 alone), so a
 * 100-host run meets every profile and odd one out ~16 times; a profile id makes them all clones
 * of that profile (the push benchmark's like-for-like hosts).
 */
export type CloneKind = 'mix' | ProfileId;

/** N hosts: the defaults (first N of them when N is smaller), then clones (`clone07`…). */
export function hostSpecs(count: number = DEFAULT_HOSTS.length, clones: CloneKind = 'mix'): HostSpec[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BASE_HOSTS) throw new Error(`--hosts must be 1..${MAX_BASE_HOSTS}, got ${count}`);
  if (clones !== 'mix' && !(clones in PROFILES)) throw new Error(`--clones must be mix or one of ${Object.keys(PROFILES).join(', ')}, got ${clones}`);
  const specs = DEFAULT_HOSTS.slice(0, count);
  for (let i = specs.length + 1; i <= count; i++) {
    const n = String(i).padStart(2, '0');
    if (clones !== 'mix') {
      specs.push(spec(`clone${n}`, `lab-${clones === 'ubuntu-22.04' ? 'ubuntu' : clones}-${n}`, clones));
      continue;
    }
    const like = DEFAULT_HOSTS[(i - 1) % DEFAULT_HOSTS.length] as HostSpec;
    const hostname = like.nonEnglishName ? `sérveur-ß-${n}` : `${like.hostname}-${n}`;
    specs.push(spec(`clone${n}`, hostname, like.profile, { sftp: like.sftp, etcHostsCorrect: like.etcHostsCorrect, nonEnglishName: like.nonEnglishName }));
  }
  return specs;
}
