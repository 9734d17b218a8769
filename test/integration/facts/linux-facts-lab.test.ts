// The Linux facts script on every lab host, over real SSH (ssh2 with the lab's pinned host keys,
// until the project's SSH transport lands): what each OS profile set up must come back.
import type { Client } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherFacts } from '../../../src-main/facts/index.ts';
import type { Facts } from '../../../src-main/model/facts.ts';
import type { ExecOptions, ExecResult, Transport } from '../../../src-main/remote/transport.ts';
import { sshConnect, sshExec } from '../../lab/client.ts';
import { getLab } from '../../lab/inject.ts';
import type { HostState, LabUser, ProfileId } from '../../lab/types.ts';
import { PROFILES } from '../../lab/profiles.ts';

const { lab, reason } = getLab();

/** Just enough of a Transport for `sh -s` with the script on stdin. */
function sshTransport(host: HostState, client: Client): Transport {
  const unsupported = () => Promise.reject(new Error('not used by facts'));
  return {
    kind: 'ssh',
    host: host.name,
    capabilities: { scripts: false, detachedSteps: true, sudo: true, fileAcls: false },
    remoteTemp: null,
    connect: () => Promise.resolve(),
    async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
      const started = Date.now();
      // Test-only quoting: argv here is the fixed ['sh', '-s'].
      const r = await sshExec(client, argv.join(' '), opts.stdin === undefined ? undefined : String(opts.stdin));
      return { exitCode: r.code ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started };
    },
    runScript: unsupported,
    upload: unsupported,
    download: unsupported,
    close: () => Promise.resolve(client.end() && undefined),
  };
}

async function factsOf(host: HostState, user: LabUser): Promise<Facts> {
  const session = await sshConnect(host, { user });
  try {
    return await gatherFacts('linux', sshTransport(host, session.client));
  } finally {
    session.client.end();
  }
}

const EXPECTED_OS: Record<ProfileId, { id: string; version: string; source: string; servicePack?: string; kernelFlavor?: string }> = {
  'centos-6.6': { id: 'centos', version: '6.6', source: 'centos-release' },
  'ol-6.5': { id: 'ol', version: '6.5', source: 'oracle-release', kernelFlavor: 'uek' },
  'sles-11-sp3': { id: 'sles', version: '11.3', source: 'SuSE-release', servicePack: 'SP3' },
  'rhel-8.6': { id: 'rhel', version: '8.6', source: 'os-release' },
  'ubuntu-22.04': { id: 'ubuntu', version: '22.04', source: 'os-release' },
};

describe.skipIf(!lab)(`Linux facts on the lab hosts (${reason})`, () => {
  const hosts = lab ? lab.hosts.filter((h) => !h.scratch) : [];
  const facts = new Map<string, Facts>();

  beforeAll(async () => {
    await Promise.all(hosts.map(async (h) => facts.set(h.name, await factsOf(h, lab!.users.root))));
  });

  it.each(hosts.map((h) => [h.name, h] as const))('%s: OS, host name and /etc/hosts as the profile set them up', (_name, host) => {
    const f = facts.get(host.name)!;
    const os = EXPECTED_OS[host.profile];
    expect(f.os).toMatchObject({ id: os.id, version: os.version, source: os.source });
    if (os.servicePack) expect(f.os.servicePack).toBe(os.servicePack);
    if (os.kernelFlavor) expect(f.os.kernelFlavor).toBe(os.kernelFlavor);
    else expect(f.os.kernelFlavor ?? null).toBeNull();
    // The host's own kernel (the lab binds it over /proc/sys/kernel/osrelease), never this machine's.
    expect(f.os.kernel).toBe(PROFILES[host.profile].kernel);
    expect(f.pendingReboot).toBe(false);
    expect(f.bootedAt).toEqual(expect.any(Number));
    expect(f.os.architecture).toBeTruthy();
    // the host name exactly as set, non-English ones included
    expect(f.hostName).toBe(host.hostname);
    const own = f.addresses?.find((a) => a.address === host.address);
    expect(own).toMatchObject({ family: 4, inEtcHosts: host.etcHostsCorrect });
    expect(f.access).toMatchObject({ user: 'root', isRoot: true, sftp: host.sftp });
    expect(f.fileSystems?.some((fs) => fs.mount === '/')).toBe(true);
    expect(f.freeSpace?.map((x) => x.path)).toEqual(expect.arrayContaining(['/', '/tmp']));
    expect(f.storage).toMatchObject({ lvm: expect.any(Boolean), multipath: expect.any(Boolean), cciss: false });
    expect(f.components).toEqual([]);
  });

  it('reports the non-English host name as-is', () => {
    const h = hosts.find((x) => x.nonEnglishName);
    if (!h) return;
    expect(facts.get(h.name)!.hostName).toBe(h.hostname);
    expect([...h.hostname].some((c) => c.charCodeAt(0) > 127)).toBe(true);
  });

  it('tells the wrong /etc/hosts apart from the right ones', () => {
    const wrong = hosts.filter((h) => !h.etcHostsCorrect);
    expect(wrong.length).toBeGreaterThan(0);
    for (const h of wrong) expect(facts.get(h.name)!.addresses?.find((a) => a.address === h.address)?.inEtcHosts).toBe(false);
  });

  describe('as unprivileged users', () => {
    let nopw: Facts;
    let admin: Facts;
    const host = () => hosts.find((h) => h.profile === 'centos-6.6') ?? hosts[0]!;
    beforeAll(async () => {
      [nopw, admin] = await Promise.all([factsOf(host(), lab!.users.nopw), factsOf(host(), lab!.users.admin)]);
    });
    afterAll(() => undefined);

    it('says whether sudo works without a password, never prompting', () => {
      expect(nopw.access).toMatchObject({ user: lab!.users.nopw.name, isRoot: false, sudoNoPassword: true });
      expect(admin.access).toMatchObject({ user: lab!.users.admin.name, isRoot: false, sudoNoPassword: false });
      expect(admin.os.id).toBe(EXPECTED_OS[host().profile].id);
    });
  });
});
