import { defineCheck, type CheckDefinition } from './definition.ts';
import { list, result, unknownFacts } from './helpers.ts';
import { versionAtLeast } from './matrix.ts';
import { normaliseOsId } from './os.ts';

const MOBILITY = ['mobility-service'] as const;
const LINUX = ['linux'] as const;

/** Kernel/virtual and network file systems: not block storage the agent replicates. */
const IGNORED_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'tmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'securityfs',
  'pstore',
  'debugfs',
  'tracefs',
  'mqueue',
  'hugetlbfs',
  'configfs',
  'fusectl',
  'autofs',
  'binfmt_misc',
  'rpc_pipefs',
  'nfsd',
  'selinuxfs',
  'efivarfs',
  'bpf',
  'ramfs',
  'squashfs',
  'overlay',
  'fuse.gvfsd-fuse',
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'swap',
  'iso9660',
  'usbfs',
  'rootfs',
  'none',
]);

function isLoopbackOrLinkLocal(address: string): boolean {
  const a = address.toLowerCase();
  return a.startsWith('127.') || a === '::1' || a.startsWith('fe80:') || a.startsWith('169.254.');
}

export const etcHosts = defineCheck({
  id: 'etc-hosts',
  title: '/etc/hosts maps the host name to every NIC address',
  families: LINUX,
  components: MOBILITY,
  needs: { linux: ['addresses'] },
  run(facts) {
    if (!facts.addresses) return unknownFacts(this, ['addresses'], facts);
    // Loopback and link-local addresses are not NIC addresses the docs ask to map.
    const nic = facts.addresses.filter((a) => !isLoopbackOrLinkLocal(a.address));
    if (!nic.length)
      return result(
        this,
        'unknown',
        'No NIC address was reported (only loopback or link-local).',
        'Collect the facts again; `ip -o addr show` must list the NIC addresses.',
      );
    const name = facts.hostName ?? '<hostname>';
    const missing = nic.filter((a) => a.inEtcHosts === false);
    const undecided = nic.filter((a) => a.inEtcHosts == null);
    if (missing.length) {
      const lines = missing.map((a) => `${a.address} ${facts.fqdn && facts.fqdn !== name ? `${facts.fqdn} ` : ''}${name}`);
      return result(
        this,
        'fail',
        `/etc/hosts does not map ${name} to ${missing.map((a) => `${a.address} (${a.nic})`).join(', ')}.`,
        `Add these lines to /etc/hosts on the host (as root):\n${lines.join('\n')}`,
      );
    }
    if (undecided.length)
      return unknownFacts(
        this,
        undecided.map((a) => `addresses[${a.nic} ${a.address}].inEtcHosts`),
        facts,
      );
    return result(this, 'pass', `/etc/hosts maps ${name} to every NIC address: ${nic.map((a) => `${a.address} (${a.nic})`).join(', ')}.`);
  },
});

export const fileSystems = defineCheck({
  id: 'file-systems',
  title: 'Supported file systems',
  families: LINUX,
  components: MOBILITY,
  needs: { linux: ['fileSystems'] },
  appliesTo: (m) => m.storage !== undefined,
  run(facts, matrix, _settings, extra) {
    if (!facts.fileSystems) return unknownFacts(this, ['fileSystems'], facts);
    const storage = matrix.storage!;
    const allowed = storage.fileSystems.filter((t) => versionAtLeast(extra?.agentVersion, storage.fileSystemsSince?.[t]));
    // The EFI system partition is vfat by definition; it is not a data file system.
    const relevant = facts.fileSystems.filter((f) => !IGNORED_FS.has(f.type.toLowerCase()) && !(f.type.toLowerCase() === 'vfat' && f.mount === '/boot/efi'));
    if (!relevant.length)
      return result(
        this,
        'unknown',
        `No block-device file system among ${facts.fileSystems.length} mounts reported.`,
        'Collect the facts again; the mount list (/proc/mounts) looks incomplete.',
      );
    const bad = relevant.filter((f) => !allowed.includes(f.type.toLowerCase()));
    const found = relevant.map((f) => `${f.mount} ${f.type}`);
    if (bad.length) {
      return result(
        this,
        'fail',
        `Unsupported file systems: ${list(bad.map((f) => `${f.mount} (${f.type} on ${f.device})`))}. Supported by ${matrix.title}: ${allowed.join(', ')}.`,
        `Move the data on ${bad.map((f) => f.mount).join(', ')} to a file system the matrix supports (${allowed.join(', ')}) or to a disk that is not replicated. Source: ${storage.source}.`,
      );
    }
    return result(this, 'pass', `All file systems supported (${allowed.join(', ')}): ${list(found)}.`);
  },
});

export const volumeManagers = defineCheck({
  id: 'volume-managers',
  title: 'Supported volume managers (LVM2, multipath)',
  families: LINUX,
  components: MOBILITY,
  needs: { linux: ['storage.lvm', 'storage.multipath'] },
  appliesTo: (m) => m.storage !== undefined,
  run(facts, matrix) {
    const storage = matrix.storage!;
    const s = facts.storage;
    const bad: string[] = [];
    if (s?.lvm === true && !storage.lvm) bad.push('LVM');
    if (s?.multipath === true && !storage.multipath) bad.push('device-mapper multipath');
    if (bad.length)
      return result(
        this,
        'fail',
        `${bad.join(' and ')} in use; not supported by ${matrix.title}.`,
        `Move replicated data off ${bad.join(' and ')}. Source: ${storage.source}.`,
      );
    const missing = [s?.lvm == null ? 'storage.lvm' : null, s?.multipath == null ? 'storage.multipath' : null].filter((x): x is string => x !== null);
    if (missing.length) return unknownFacts(this, missing, facts);
    return result(
      this,
      'pass',
      `LVM ${s!.lvm ? 'in use (LVM2 supported)' : 'not in use'}; multipath ${s!.multipath ? 'in use (device-mapper multipath supported)' : 'not in use'}.`,
    );
  },
});

export const noCciss = defineCheck({
  id: 'no-cciss',
  title: 'No HP CCISS storage controller',
  families: LINUX,
  components: MOBILITY,
  needs: { linux: ['storage.cciss'] },
  appliesTo: (m) => m.storage !== undefined && !m.storage.cciss,
  run(facts, matrix) {
    const cciss = facts.storage?.cciss;
    const devices = (facts.storage?.deviceNames ?? []).filter((d) => /\/cciss\//.test(d) || d.startsWith('cciss'));
    if (cciss === true || devices.length) {
      return result(
        this,
        'fail',
        `HP CCISS controller storage found${devices.length ? `: ${list(devices)}` : ''}.`,
        `Physical servers with HP CCISS controller storage are not supported (${matrix.storage!.source}). Move the server's disks to a supported controller (e.g. the hpsa driver / a Smart Array in HBA mode) or protect it another way.`,
      );
    }
    if (cciss == null) return unknownFacts(this, ['storage.cciss'], facts);
    return result(this, 'pass', 'No HP CCISS controller storage.');
  },
});

export const grubUuid = defineCheck({
  id: 'grub-uuid',
  title: 'GRUB refers to disks by UUID',
  asrErrorId: 95320,
  families: LINUX,
  components: MOBILITY,
  needs: { linux: ['boot.grubUsesUuid'] },
  run(facts) {
    const uses = facts.boot?.grubUsesUuid;
    if (uses == null) return unknownFacts(this, ['boot.grubUsesUuid'], facts);
    if (uses) return result(this, 'pass', 'Every root=/resume= reference in the GRUB configuration uses UUID=/LABEL=/by-id.');
    const names = facts.boot?.grubDeviceNames ?? [];
    return result(
      this,
      'fail',
      `GRUB refers to disks by device name${names.length ? `: ${list(names)}` : ''}.`,
      `Replace each device name with its UUID: find it with \`blkid ${names[0] ?? '/dev/sda1'}\`, then in /boot/grub2/grub.cfg, /boot/grub/grub.cfg, /boot/grub/menu.lst and /etc/default/grub change e.g. \`root=${names[0] ?? '/dev/sda1'}\` to \`root=UUID=<uuid>\` (same for resume=). On GRUB 2 regenerate with \`grub2-mkconfig -o /boot/grub2/grub.cfg\` (Debian/Ubuntu: \`update-grub\`). Check /etc/fstab too.`,
    );
  },
});

export const linuxRootAccess = defineCheck({
  id: 'linux-root-access',
  title: "root, passwordless sudo, or sudo with the credential's password for the push account",
  asrErrorId: 95108,
  families: LINUX,
  components: MOBILITY,
  needs: { linux: ['access.isRoot'] },
  run(facts) {
    const a = facts.access;
    if (a?.isRoot == null) return unknownFacts(this, ['access.isRoot'], facts);
    const user = a.user ?? 'the push account';
    if (a.isRoot) return result(this, 'pass', `Connected as ${user} (root).`);
    if (a.sudoNoPassword == null) return unknownFacts(this, ['access.sudoNoPassword'], facts);
    if (a.sudoNoPassword) return result(this, 'pass', `${user} is not root but has passwordless sudo.`);
    if (a.sudoWithPassword) return result(this, 'pass', `${user} is not root; sudo accepted the credential's sudo password (used through sudo -S, on stdin).`);
    return result(
      this,
      'fail',
      a.sudoWithPassword === false
        ? `${user} is not root, and sudo refused the credential's sudo password.`
        : `${user} is neither root nor allowed passwordless sudo, and the credential has no sudo password.`,
      `Use the built-in root account for the push install; or store ${user}'s sudo password with the credential (\`asr-deploy credentials add NAME --user ${a.user ?? '<user>'} --password-stdin --sudo-password-stdin\`, two lines on stdin); or allow passwordless sudo: run \`visudo -f /etc/sudoers.d/asr-deploy\` as root and add \`${a.user ?? '<user>'} ALL=(ALL) NOPASSWD: ALL\`.`,
    );
  },
});

function sftpServerPath(osId: string | null | undefined): string {
  switch (osId ? normaliseOsId(osId) : '') {
    case 'ubuntu':
    case 'debian':
      return '/usr/lib/openssh/sftp-server';
    case 'sles':
      return '/usr/lib/ssh/sftp-server';
    default:
      return '/usr/libexec/openssh/sftp-server';
  }
}

export const sftpSubsystem = defineCheck({
  id: 'sftp-subsystem',
  title: 'SFTP subsystem enabled in sshd',
  asrErrorId: 95108,
  families: LINUX,
  components: MOBILITY,
  needs: { linux: ['access.sftp'] },
  run(facts) {
    const sftp = facts.access?.sftp;
    if (sftp == null) return unknownFacts(this, ['access.sftp'], facts);
    if (sftp) return result(this, 'pass', 'The sshd SFTP subsystem answers.');
    return result(
      this,
      'fail',
      'The sshd SFTP subsystem is not enabled; installers cannot be copied.',
      `As root, in /etc/ssh/sshd_config uncomment (or add) \`Subsystem sftp ${sftpServerPath(facts.os.id)}\` and set \`PasswordAuthentication yes\` if the push account logs in with a password, then restart sshd (\`systemctl restart sshd\`, or \`service sshd restart\` on RHEL/CentOS 6 and SLES 11).`,
    );
  },
});

export const LINUX_CHECKS: readonly CheckDefinition[] = [etcHosts, fileSystems, volumeManagers, noCciss, grubUuid, linuxRootAccess, sftpSubsystem];
