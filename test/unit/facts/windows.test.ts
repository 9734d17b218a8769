// Windows facts by replaying recorded facts.ps1 transcripts (test/fixtures/windows-facts/, see its
// README for how they were made): through gatherFacts('windows', …) with a transport that answers
// runScript with the transcript, then the checks the Windows rules run on the result.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runChecks } from '../../../src-main/checks/index.ts';
import { gatherFacts } from '../../../src-main/facts/index.ts';
import { WINDOWS_FACTS_SCRIPT, windowsFactsFrom, winHttpProxyText } from '../../../src-main/facts/windows.ts';
import { AsrFailure, type AsrError } from '../../../src-main/model/errors.ts';
import { type Facts, FactsSchema } from '../../../src-main/model/facts.ts';
import type { Transport } from '../../../src-main/remote/transport.ts';
import { loadFacts } from '../checks/facts-fixtures.ts';
import { failureOf as failureOfAsync } from '../../helpers/failure.ts';

const DIR = fileURLToPath(new URL('../../fixtures/windows-facts/', import.meta.url));
const transcript = (name: string) => JSON.parse(readFileSync(`${DIR}${name}.json`, 'utf8')) as Record<string, unknown>;

/** A PowerShell transport that answers facts.ps1 with a recorded transcript and records the call. */
function replaying(answer: unknown) {
  const calls: { script: string; params: unknown; opts: { timeoutMs?: number; what?: string } }[] = [];
  const never = () => Promise.reject(new Error('facts gathering must not use this'));
  const t = {
    kind: 'powershell' as const,
    host: 'win-host',
    capabilities: { scripts: true, detachedSteps: true, sudo: false, fileAcls: true },
    remoteTemp: null,
    connect: () => Promise.resolve(),
    exec: never,
    upload: never,
    download: never,
    close: () => Promise.resolve(),
    runScript(script: string, params: unknown, opts: { timeoutMs?: number; what?: string }) {
      calls.push({ script, params, opts });
      return Promise.resolve(answer);
    },
  };
  return { t: t as Transport, calls };
}

async function replay(name: string): Promise<Facts> {
  const { t, calls } = replaying(transcript(name));
  const facts = await gatherFacts('windows', t);
  expect(calls).toHaveLength(1);
  expect(calls[0]!.script).toBe(readFileSync(WINDOWS_FACTS_SCRIPT, 'utf8'));
  expect(calls[0]!.params).toEqual({});
  expect(FactsSchema.parse(facts)).toEqual(facts);
  return facts;
}

function failureOf(fn: () => unknown): AsrError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AsrFailure) return e.data;
    throw e;
  }
  throw new Error('expected a failure');
}

const verdicts = (facts: Facts, componentId: string, settings = {}) =>
  Object.fromEntries(runChecks({ facts, componentId, settings }).checks.map((c) => [c.id, c.verdict]));

/** WinHttpSettings bytes as `netsh winhttp set proxy` writes them. */
function winHttpSettings(flags: number, proxy: string, bypass = ''): string {
  const p = Buffer.from(proxy, 'latin1');
  const b = Buffer.from(bypass, 'latin1');
  const head = Buffer.alloc(16);
  head.writeUInt32LE(0x18, 0);
  head.writeUInt32LE(7, 4);
  head.writeUInt32LE(flags, 8);
  head.writeUInt32LE(p.length, 12);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.length, 0);
  return Buffer.concat([head, p, len, b]).toString('base64');
}

describe('Windows facts from recorded facts.ps1 transcripts', () => {
  it('2012 R2 Hyper-V host: exactly the facts fixture the Windows checks are written against', async () => {
    const facts = await replay('2012r2-hyperv-host');
    const fixture = loadFacts('windows-2012r2');
    expect(facts).toEqual({ ...fixture, windows: { ...fixture.windows, powerShellVersion: '5.1.14409.1018' } });
    const v = verdicts(facts, 'mobility-service');
    expect(v).toMatchObject({
      'windows-admin': 'pass',
      'firewall-file-printer-sharing': 'pass',
      'firewall-wmi': 'pass',
      'local-account-token-filter': 'pass',
      'os-supported': 'pass',
      'pending-reboot': 'pass',
    });
  });

  it('2008 R2 SP1 in a workgroup: Windows PowerShell 4.0 output quirks, SP1, firewall closed in the current profile, token filter default', async () => {
    const facts = await replay('2008r2-sp1-workgroup-mobility');
    expect(facts.os).toMatchObject({ name: 'Microsoft Windows Server 2008 R2 Enterprise', version: '6.1.7601', servicePack: '1', architecture: '64-bit' });
    // one-element arrays printed as the element, and {value, Count}, read as arrays
    expect(facts.addresses).toEqual([
      { nic: 'Local Area Connection', address: '192.168.10.40', family: 4, inEtcHosts: null },
      { nic: 'Local Area Connection', address: 'fe80::9c4e:1f2a:7b1d:3c01', family: 6, inEtcHosts: null },
    ]);
    expect(facts.hostName).toBe('APP-2008R2');
    expect(facts.fqdn).toBeNull();
    expect(facts.storage?.disks).toEqual([
      { number: 0, dynamic: false, sizeBytes: 42949672960, isSystem: true },
      { number: 1, dynamic: true, sizeBytes: 107374182400, isSystem: false },
    ]);
    expect(facts.windows).toMatchObject({
      // the group's rules are on for domain/private only; the host is on a public network
      firewallFileAndPrinterSharing: false,
      firewallWmi: false,
      localAccountTokenFilterPolicy: 0,
      domainJoined: false,
      dotNetVersion: '3.5.1',
      powerShellVersion: '4.0',
      hyperV: false,
      vmmServer: false,
      winHttpProxy: 'proxy.corp.example:3128',
    });
    expect(facts.pendingReboot).toBe(true);
    expect(facts.notes).toContain('reboot pending: PendingFileRenameOperations (2 entries)');
    expect(facts.components).toEqual([
      {
        id: 'mobility-service',
        version: '9.25.5241.1',
        configured: true,
        service: 'running',
        installDir: 'C:\\Program Files (x86)\\Microsoft Azure Site Recovery',
      },
    ]);
    expect(facts.windows?.installPaths).toContain('C:\\Program Files (x86)\\Microsoft Azure Site Recovery');

    const v = verdicts(facts, 'mobility-service');
    expect(v).toMatchObject({
      'os-supported': 'pass',
      'windows-admin': 'pass',
      'firewall-file-printer-sharing': 'fail',
      'firewall-wmi': 'fail',
      // a workgroup host is reached with a local account: policy 0 strips its rights
      'local-account-token-filter': 'fail',
      'pending-reboot': 'warn',
      'free-space': 'fail',
    });
  });

  it('2016 VMM server: Provider registered, C: on a dynamic volume, firewall off, not an administrator', async () => {
    const facts = await replay('2016-vmm-server-dynamic-os');
    expect(facts.fqdn).toBe('vmm01.corp.example');
    // no partition carries C: (a dynamic volume): which dynamic disk holds it is not known
    expect(facts.storage?.disks).toEqual([
      { number: 0, dynamic: true, sizeBytes: 136365211648, isSystem: null },
      { number: 1, dynamic: true, sizeBytes: 136365211648, isSystem: null },
    ]);
    expect(facts.notes?.some((n) => n.includes('C: is on no partition'))).toBe(true);
    expect(facts.windows).toMatchObject({
      firewallFileAndPrinterSharing: true,
      firewallWmi: true,
      localAccountTokenFilterPolicy: 0,
      dotNetVersion: '4.6.2',
      hyperV: false,
      vmmServer: true,
      vmmVersion: '4.0.2244.0',
      winHttpProxy: 'https=secure-proxy.example:8443',
      agentProxy: 'https://proxy.corp.example:8080',
    });
    expect(facts.access).toMatchObject({ user: 'CORP\\helpdesk', isAdmin: false });
    // one registry key was unreadable: no guess about a pending reboot
    expect(facts.pendingReboot).toBeNull();
    expect(facts.notes).toContain('registry HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager: Requested registry access is not allowed.');
    expect(facts.components).toEqual([{ id: 'provider', version: '5.1.2700.1', configured: true, service: 'running', installDir: null }]);

    const provider = verdicts(facts, 'provider', { accountKind: 'domain' });
    expect(provider).toMatchObject({ 'host-role': 'pass', 'windows-admin': 'fail', 'proxy-http-only': 'fail', 'pending-reboot': 'unknown' });
    const mobility = runChecks({ facts, componentId: 'mobility-service' }).checks.find((c) => c.id === 'basic-disks')!;
    expect(mobility.verdict).not.toBe('pass');
  });

  it('firewall on 2008 R2: SMB-In and NB-Session-In enabled for the current profile are enough', () => {
    const t = transcript('2008r2-sp1-workgroup-mobility') as { firewall: { currentProfileTypes: number } };
    t.firewall.currentProfileTypes = 2; // private: the rules enabled for domain|private apply
    const facts = windowsFactsFrom(t, 'h');
    expect(facts.windows?.firewallFileAndPrinterSharing).toBe(true);
    expect(facts.windows?.firewallWmi).toBe(false);
  });

  it('what could not be read stays null (unknown), never a guessed pass', () => {
    const t = transcript('2012r2-hyperv-host') as Record<string, unknown> & { cim: Record<string, unknown> };
    t.firewall = null;
    t.registry = null;
    t.identity = null;
    t.cim.Win32_DiskPartition = null;
    t.notes = ['firewall (HNetCfg.FwPolicy2): Access is denied.'];
    const facts = windowsFactsFrom(t, 'h');
    expect(facts.windows).toMatchObject({
      firewallFileAndPrinterSharing: null,
      firewallWmi: null,
      localAccountTokenFilterPolicy: null,
      dotNetVersion: null,
      winHttpProxy: null,
    });
    expect(facts.storage?.disks).toBeNull();
    expect(facts.access?.isAdmin).toBeNull();
    expect(facts.pendingReboot).toBeNull();
    const v = verdicts(facts, 'mobility-service');
    expect(v).toMatchObject({ 'firewall-file-printer-sharing': 'unknown', 'windows-admin': 'unknown', 'basic-disks': 'unknown', 'pending-reboot': 'unknown' });
    const fw = runChecks({ facts, componentId: 'mobility-service' }).checks.find((c) => c.id === 'firewall-wmi')!;
    expect(fw.evidence).toContain('Access is denied');
  });

  it('reads WinHttpSettings as netsh writes it', () => {
    expect(winHttpProxyText(undefined)).toBe('Direct access (no proxy server).');
    expect(winHttpProxyText(winHttpSettings(1, ''))).toBe('Direct access (no proxy server).');
    expect(winHttpProxyText(winHttpSettings(3, 'proxy:8080', '<local>'))).toBe('proxy:8080');
    expect(winHttpProxyText(winHttpSettings(3, 'http=p:80;https=p:443'))).toBe('http=p:80;https=p:443');
    expect(winHttpProxyText(winHttpSettings(3, 'proxy:8080').slice(0, 12))).toBeNull();
    expect(winHttpProxyText(42)).toBeNull();
  });
});

describe('Windows facts: named errors', () => {
  it('a PowerShell that is not on Windows is refused with a remedy', async () => {
    const t = { ...transcript('2012r2-hyperv-host'), platform: 'Unix' };
    const e = await failureOfAsync(gatherFacts('windows', replaying(t).t));
    expect(e).toMatchObject({ code: 'unsupported', host: 'win-host' });
    expect(e.message).toContain('Unix');
    expect(e.remedy).toContain('OS family');
  });

  it('a document of another shape is command_failed, naming what is wrong', () => {
    const e = failureOf(() => windowsFactsFrom({ schema: 'something-else' }, 'h'));
    expect(e.code).toBe('command_failed');
    expect(e.message).toContain('schema');
    expect(e.remedy).toBeTruthy();
    expect(failureOf(() => windowsFactsFrom('not json at all', 'h')).code).toBe('command_failed');
  });

  it('a Windows host reached over plain SSH (no PowerShell session) is unsupported, and nothing runs', async () => {
    const ran: string[][] = [];
    const ssh = {
      ...replaying(null).t,
      kind: 'ssh' as const,
      capabilities: { scripts: false, detachedSteps: true, sudo: true, fileAcls: false },
      exec: (argv: readonly string[]) => (ran.push([...argv]), Promise.reject(new Error('no'))),
    };
    const e = await failureOfAsync(gatherFacts('windows', ssh as Transport));
    expect(e.code).toBe('unsupported');
    expect(e.remedy).toContain('WinRM');
    expect(ran).toEqual([]);
  });
});
