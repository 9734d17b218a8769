import { defineCheck, type CheckDefinition } from './definition.ts';
import { list, result, unknownFacts } from './helpers.ts';

const ALL = ['mobility-service', 'provider', 'mars-agent'] as const;
const MOBILITY = ['mobility-service'] as const;
const WINDOWS = ['windows'] as const;

export const systemDrive = defineCheck({
  id: 'system-drive',
  title: 'Operating system on C:',
  families: WINDOWS,
  components: MOBILITY,
  needs: { windows: ['boot.systemDrive'] },
  appliesTo: (m) => m.storage?.systemDrive !== undefined,
  run(facts, matrix) {
    const drive = facts.boot?.systemDrive;
    if (!drive) return unknownFacts(this, ['boot.systemDrive'], facts);
    const want = matrix.storage!.systemDrive!.toUpperCase();
    if (drive.toUpperCase().startsWith(want)) return result(this, 'pass', `Operating system on ${drive}.`);
    return result(
      this,
      'fail',
      `Operating system on ${drive}; ${matrix.title} needs it on ${want}\\.`,
      `${matrix.title} supports only hosts whose Windows is installed on ${want}\\ (${matrix.storage!.source}); this cannot be changed in place. Use a Mobility service version without this restriction, or protect a host installed on ${want}.`,
    );
  },
});

export const basicDisks = defineCheck({
  id: 'basic-disks',
  title: 'Basic disks only (no dynamic disks)',
  families: WINDOWS,
  components: MOBILITY,
  needs: { windows: ['storage.disks'] },
  appliesTo: (m) => m.storage !== undefined,
  run(facts, matrix) {
    const disks = facts.storage?.disks;
    if (!disks) return unknownFacts(this, ['storage.disks'], facts);
    const policy = matrix.storage!.dynamicDisks;
    const dynamic = disks.filter((d) => d.dynamic);
    const names = (ds: typeof disks) => ds.map((d) => `disk ${d.number}${d.isSystem ? ' (system)' : ''}`);
    const remedy = (ds: typeof disks) =>
      `Convert ${list(names(ds))} to basic: back up the data and delete the volumes on the disk, then in an elevated prompt run \`diskpart\`, \`select disk ${ds[0]?.number ?? 'N'}\`, \`convert basic\` (or Disk Management → Convert to Basic Disk), and restore. Source: ${matrix.storage!.source}.`;
    if (policy === 'any' || !dynamic.length)
      return result(this, 'pass', `${disks.length} disks, ${dynamic.length ? `${dynamic.length} dynamic (allowed)` : 'all basic'}.`);
    if (policy === 'none')
      return result(this, 'fail', `Dynamic disks found: ${list(names(dynamic))}; ${matrix.title} supports basic disks only.`, remedy(dynamic));
    // data-only: the OS disk must be basic, data disks may be dynamic.
    const system = dynamic.filter((d) => d.isSystem === true);
    if (system.length) return result(this, 'fail', `The OS disk is dynamic: ${list(names(system))}; ${matrix.title} needs a basic OS disk.`, remedy(system));
    const undecided = dynamic.filter((d) => d.isSystem == null);
    if (undecided.length)
      return unknownFacts(
        this,
        undecided.map((d) => `storage.disks[${d.number}].isSystem`),
        facts,
      );
    return result(this, 'pass', `Dynamic data disks (${list(names(dynamic))}) are allowed; the OS disk is basic.`);
  },
});

export const windowsAdmin = defineCheck({
  id: 'windows-admin',
  title: 'Push account is a local administrator',
  asrErrorId: 95107,
  families: WINDOWS,
  components: ALL,
  needs: { windows: ['access.isAdmin'] },
  run(facts) {
    const admin = facts.access?.isAdmin;
    const user = facts.access?.user ?? 'the push account';
    if (admin == null) return unknownFacts(this, ['access.isAdmin'], facts);
    if (admin) return result(this, 'pass', `${user} is a member of the local Administrators group.`);
    return result(
      this,
      'fail',
      `${user} is not a local administrator.`,
      `Use an account with administrator rights on the host (domain or local), e.g. \`net localgroup Administrators <DOMAIN\\user> /add\`. Use it only for push installation and agent updates.`,
    );
  },
});

export const firewallFileAndPrinterSharing = defineCheck({
  id: 'firewall-file-printer-sharing',
  title: 'Firewall allows File and Printer Sharing',
  asrErrorId: 95105,
  families: WINDOWS,
  components: MOBILITY,
  needs: { windows: ['windows.firewallFileAndPrinterSharing'] },
  run(facts) {
    const on = facts.windows?.firewallFileAndPrinterSharing;
    if (on == null) return unknownFacts(this, ['windows.firewallFileAndPrinterSharing'], facts);
    if (on) return result(this, 'pass', 'The "File and Printer Sharing" firewall rules are enabled.');
    return result(
      this,
      'fail',
      'The "File and Printer Sharing" firewall rule group is disabled (push install fails with 95105/95106).',
      'In an elevated prompt run `netsh advfirewall firewall set rule group="File and Printer Sharing" new enable=Yes` (domain hosts: enable it through Group Policy). On Windows Server 2008 R2 enable "File and Printer Sharing (NB-Session-In)" and "File and Printer Sharing (SMB-In)".',
    );
  },
});

export const firewallWmi = defineCheck({
  id: 'firewall-wmi',
  title: 'Firewall allows Windows Management Instrumentation (WMI)',
  asrErrorId: 95103,
  families: WINDOWS,
  components: MOBILITY,
  needs: { windows: ['windows.firewallWmi'] },
  run(facts) {
    const on = facts.windows?.firewallWmi;
    if (on == null) return unknownFacts(this, ['windows.firewallWmi'], facts);
    if (on) return result(this, 'pass', 'The "Windows Management Instrumentation (WMI)" firewall rules are enabled.');
    return result(
      this,
      'fail',
      'The "Windows Management Instrumentation (WMI)" firewall rule group is disabled (push install fails with 95103).',
      'In an elevated prompt run `netsh advfirewall firewall set rule group="windows management instrumentation (wmi)" new enable=yes` (domain hosts: enable it through Group Policy).',
    );
  },
});

export const localAccountTokenFilter = defineCheck({
  id: 'local-account-token-filter',
  title: 'Remote UAC allows a local administrator (LocalAccountTokenFilterPolicy=1)',
  families: WINDOWS,
  components: ALL,
  needs: { windows: ['windows.localAccountTokenFilterPolicy'] },
  run(facts, _matrix, settings) {
    const policy = facts.windows?.localAccountTokenFilterPolicy;
    if (policy === 1) return result(this, 'pass', 'LocalAccountTokenFilterPolicy is 1: remote UAC token filtering is off.');
    // A host outside a domain can only be reached with a local account.
    const kind = settings.accountKind ?? (facts.windows?.domainJoined === false ? 'local' : null);
    if (kind === 'domain')
      return result(this, 'pass', `The push credential is a domain account; LocalAccountTokenFilterPolicy (${policy ?? 'not read'}) does not apply.`);
    if (policy === undefined || policy === null) return unknownFacts(this, ['windows.localAccountTokenFilterPolicy'], facts);
    if (kind === null)
      return result(
        this,
        'unknown',
        `LocalAccountTokenFilterPolicy is ${policy}; the kind of the push account (local or domain) is not known.`,
        'State whether the credential is a local or a domain account; a local account needs LocalAccountTokenFilterPolicy=1.',
      );
    return result(
      this,
      'fail',
      `The push credential is a local account and LocalAccountTokenFilterPolicy is ${policy}: remote UAC strips its administrator rights.`,
      'In an elevated prompt on the host run `REG ADD HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System /v LocalAccountTokenFilterPolicy /t REG_DWORD /d 1 /f`, or use a domain account.',
    );
  },
});

export const WINDOWS_CHECKS: readonly CheckDefinition[] = [
  systemDrive,
  basicDisks,
  windowsAdmin,
  firewallFileAndPrinterSharing,
  firewallWmi,
  localAccountTokenFilter,
];
