import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { fail } from '../model/errors.ts';
import { resourcePath } from '../model/resources.ts';
import { type ComponentState, type Facts, FactsSchema } from '../model/facts.ts';
import type { Transport } from '../remote/transport.ts';
import type { GatherOptions } from './linux.ts';

/** resources/scripts/windows/facts.ps1, wherever resources/ is (source tree, dist/, or next to app.asar). */
export const WINDOWS_FACTS_SCRIPT = resourcePath('scripts', 'windows', 'facts.ps1');

/** The product code of the Mobility service (asr-components.md 3.5, the SCCM and DSC samples). */
export const MOBILITY_PRODUCT_CODE = '{275197FC-14FD-4560-A5EB-38217F80CBD1}';

/** Firewall rule groups by their resource id, which every display language shares. */
export const FIREWALL_GROUP = { fileAndPrinterSharing: '@FirewallAPI.dll,-28502', wmi: '@FirewallAPI.dll,-34251' } as const;

// ---------------------------------------------------------------- what facts.ps1 prints

/**
 * Windows PowerShell's ConvertTo-Json turns a one-element array into the element, and (with the
 * System.Array type data loaded) an array into {value, Count}: accept all three.
 */
const list = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => {
    if (v == null) return v;
    if (Array.isArray(v)) return v;
    if (typeof v === 'object' && Array.isArray((v as { value?: unknown }).value)) return (v as { value: unknown[] }).value;
    return [v];
  }, z.array(item));
const opt = <T extends z.ZodType>(t: T) => t.nullable().optional();
const str = opt(z.union([z.string(), z.number()]).transform(String));
const num = opt(z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]));
const bool = opt(z.boolean());
const row = <S extends z.ZodRawShape>(shape: S) => z.object(shape);
const regKey = opt(z.object({ exists: z.boolean(), values: z.record(z.string(), z.unknown()).nullable().optional() }));
const fwRule = row({ name: str, direction: num, enabled: bool, profiles: num, protocol: num, localPorts: str });

export const WindowsObservationsSchema = z.object({
  schema: z.literal('asr-windows-observations/1'),
  collectedAt: z.string(),
  platform: z.string(),
  powerShellVersion: str,
  computerName: str,
  dnsHostName: str,
  env: opt(row({ SystemDrive: str, SystemRoot: str, ProgramFiles: str, ProgramFilesX86: str })),
  identity: opt(row({ name: str, isAdmin: bool })),
  cim: row({
    Win32_OperatingSystem: opt(
      list(
        row({
          Caption: str,
          Version: str,
          BuildNumber: str,
          OSArchitecture: str,
          ServicePackMajorVersion: num,
          CSDVersion: str,
          SystemDrive: str,
          WindowsDirectory: str,
        }),
      ),
    ),
    Win32_ComputerSystem: opt(list(row({ Name: str, DNSHostName: str, Domain: str, PartOfDomain: bool }))),
    Win32_NetworkAdapterConfiguration: opt(list(row({ Index: num, Description: str, IPAddress: opt(list(z.string())) }))),
    Win32_NetworkAdapter: opt(list(row({ Index: num, NetConnectionID: str }))),
    Win32_Volume: opt(list(row({ Name: str, DriveLetter: str, DeviceID: str, FileSystem: str, Capacity: num, FreeSpace: num }))),
    Win32_DiskDrive: opt(list(row({ Index: num, DeviceID: str, Size: num }))),
    Win32_DiskPartition: opt(list(row({ DiskIndex: num, DeviceID: str, Type: str, BootPartition: bool }))),
    Win32_LogicalDiskToPartition: opt(list(row({ partition: str, logicalDisk: str }))),
    Win32_OptionalFeature: opt(list(row({ Name: str, InstallState: num }))),
  }),
  services: opt(z.record(z.string(), z.string().nullable())),
  registry: opt(
    row({
      tokenFilter: regKey,
      netFx4: regKey,
      netFx35: regKey,
      winHttp: regKey,
      sessionManager: regKey,
      rebootPendingCbs: regKey,
      rebootRequiredWu: regKey,
      inMageAgent: regKey,
      asrRegistration: regKey,
      vmmDrAdapter: regKey,
      vmmServer: regKey,
      marsSetup: regKey,
      asrProxy: regKey,
    }),
  ),
  uninstall: opt(list(row({ key: z.string(), displayName: str, displayVersion: str, installLocation: str }))),
  marsEngineVersion: str,
  firewall: opt(
    row({
      currentProfileTypes: num,
      profiles: opt(list(row({ type: z.number(), enabled: z.boolean() }))),
      groups: z.record(z.string(), row({ enabled: bool, rules: opt(list(fwRule)) })),
    }),
  ),
  notes: opt(list(z.string())),
});
export type WindowsObservations = z.infer<typeof WindowsObservationsSchema>;
type Reg = NonNullable<NonNullable<WindowsObservations['registry']>['tokenFilter']>;
type FwGroup = NonNullable<WindowsObservations['firewall']>['groups'][string];

// ---------------------------------------------------------------- gathering

let cachedScript: { path: string; text: string } | null = null;

async function loadScript(path: string): Promise<string> {
  if (cachedScript?.path !== path) cachedScript = { path, text: await readFile(path, 'utf8') };
  return cachedScript.text;
}

/**
 * Run facts.ps1 in the host's PowerShell session (read-only; nothing is written to the host) and
 * turn what it observed into the validated facts document.
 */
export async function gatherWindowsFacts(transport: Transport, opts: GatherOptions = {}): Promise<Facts> {
  if (!transport.capabilities.scripts) {
    fail('unsupported', `${transport.host}: Windows facts are read over PowerShell remoting, not over ${transport.kind}.`, {
      host: transport.host,
      remedy: 'Reach the host over WinRM (transport winrm) or over SSH with the PowerShell subsystem (OS family windows).',
    });
  }
  const script = await loadScript(opts.scriptPath ?? WINDOWS_FACTS_SCRIPT);
  const out = await transport.runScript<unknown>(
    script,
    {},
    { timeoutMs: opts.timeoutMs ?? 120_000, what: 'gather Windows facts', ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  return windowsFactsFrom(out, transport.host);
}

// ---------------------------------------------------------------- interpretation

/** What facts.ps1 printed → the shared facts document. Pure: the recorded transcripts test it. */
export function windowsFactsFrom(output: unknown, host: string): Facts {
  const parsed = WindowsObservationsSchema.safeParse(output);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    fail('command_failed', `${host}: the Windows facts script printed an unexpected document: ${issues.join('; ')}`, {
      host,
      remedy: 'Check that resources/scripts/windows/facts.ps1 is the one shipped with this version of ASR Deploy.',
      details: { issues, output: JSON.stringify(output)?.slice(0, 2000) ?? null },
    });
  }
  const o = parsed.data;
  if (o.platform !== 'Win32NT') {
    fail('unsupported', `${host}: the PowerShell that answered runs on ${o.platform}, not on Windows.`, {
      host,
      remedy: `The inventory says ${host} is a Windows host; correct its OS family (linux) if it is not, or point the entry at the Windows machine.`,
    });
  }
  const notes = [...(o.notes ?? [])];
  const os = o.cim.Win32_OperatingSystem?.[0] ?? null;
  const cs = o.cim.Win32_ComputerSystem?.[0] ?? null;
  const systemDrive = os?.SystemDrive ?? o.env?.SystemDrive ?? null;
  const disks = disksOf(o, systemDrive, notes);
  const mounted = (o.cim.Win32_Volume ?? []).filter((v) => v.Name && !v.Name.startsWith('\\\\?\\'));
  const components = componentsOf(o);

  const facts: Facts = {
    schema: 1,
    family: 'windows',
    collectedAt: o.collectedAt,
    os: {
      id: 'windows',
      version: os?.Version ?? null,
      name: os?.Caption?.trim() ?? null,
      source: os ? 'Win32_OperatingSystem' : null,
      kernel: null,
      kernelFlavor: null,
      architecture: os?.OSArchitecture ?? null,
      servicePack: os ? String(os.ServicePackMajorVersion ?? servicePackFromText(os.CSDVersion) ?? 0) : null,
      build: os?.BuildNumber ?? null,
    },
    hostName: cs?.Name ?? o.computerName ?? null,
    fqdn: fqdnOf(cs, o.dnsHostName),
    addresses: addressesOf(o),
    fileSystems: o.cim.Win32_Volume ? mounted.map((v) => ({ mount: v.Name!, type: v.FileSystem ?? '', device: v.DeviceID ?? '' })) : null,
    storage: {
      lvm: null,
      multipath: null,
      cciss: null,
      disks,
      deviceNames: o.cim.Win32_DiskDrive
        ? [...o.cim.Win32_DiskDrive]
            .sort((a, b) => (a.Index ?? 0) - (b.Index ?? 0))
            .map((d) => d.DeviceID)
            .filter((d): d is string => !!d)
        : null,
    },
    boot: {
      rootDevice: null,
      bootDevice: null,
      grubUsesUuid: null,
      grubDeviceNames: null,
      systemDrive,
      systemRoot: os?.WindowsDirectory ?? o.env?.SystemRoot ?? null,
    },
    freeSpace: o.cim.Win32_Volume
      ? mounted.filter((v) => v.FreeSpace != null).map((v) => ({ path: v.Name!, freeBytes: v.FreeSpace!, totalBytes: v.Capacity ?? null }))
      : null,
    access: { user: o.identity?.name ?? null, isRoot: null, sudoNoPassword: null, sftp: null, isAdmin: o.identity?.isAdmin ?? null },
    windows: {
      firewallFileAndPrinterSharing: firewallAllows(
        o,
        FIREWALL_GROUP.fileAndPrinterSharing,
        (r) => r.protocol === 6 && /\b(445|139)\b/.test(r.localPorts ?? ''),
        notes,
      ),
      firewallWmi: firewallAllows(o, FIREWALL_GROUP.wmi, () => true, notes),
      localAccountTokenFilterPolicy: tokenFilterOf(o.registry?.tokenFilter),
      domainJoined: cs?.PartOfDomain ?? null,
      dotNetVersion: dotNetOf(o),
      powerShellVersion: o.powerShellVersion ?? null,
      hyperV: hyperVOf(o),
      vmmServer: vmmServerOf(o),
      vmmVersion: vmmEntry(o)?.displayVersion || null,
      winHttpProxy: o.registry?.winHttp ? winHttpProxyText(o.registry.winHttp.values?.WinHttpSettings) : null,
      agentProxy: agentProxyOf(o.registry?.asrProxy),
      installPaths: [...new Set([o.env?.ProgramFiles, o.env?.ProgramFilesX86, ...components.map((c) => c.installDir)].filter((p): p is string => !!p))],
    },
    pendingReboot: pendingRebootOf(o, notes),
    components,
    notes,
  };
  const valid = FactsSchema.safeParse(facts);
  if (!valid.success)
    fail(
      'command_failed',
      `${host}: the Windows facts do not match the schema: ${valid.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
      { host },
    );
  return valid.data;
}

function servicePackFromText(csd: string | null | undefined): number | null {
  const m = /service pack (\d+)/i.exec(csd ?? '');
  return m ? Number(m[1]) : null;
}

function fqdnOf(
  cs: { DNSHostName?: string | null; Name?: string | null; Domain?: string | null; PartOfDomain?: boolean | null } | null,
  dns: string | null | undefined,
): string | null {
  const name = cs?.DNSHostName || cs?.Name;
  if (name && cs?.PartOfDomain && cs.Domain) return `${name}.${cs.Domain}`.toLowerCase();
  if (dns && dns.includes('.')) return dns.toLowerCase();
  return null;
}

function addressesOf(o: WindowsObservations): Facts['addresses'] {
  const configs = o.cim.Win32_NetworkAdapterConfiguration;
  if (!configs) return null;
  const names = new Map((o.cim.Win32_NetworkAdapter ?? []).map((a) => [a.Index, a.NetConnectionID]));
  return configs.flatMap((c) =>
    (c.IPAddress ?? []).map((address) => ({
      nic: names.get(c.Index) || c.Description || `adapter ${c.Index ?? '?'}`,
      address,
      family: address.includes(':') ? (6 as const) : (4 as const),
      inEtcHosts: null,
    })),
  );
}

/** "Disk #0, Partition #1" → 0. */
function diskOfPartition(id: string | null | undefined): number | null {
  const m = /Disk #(\d+)/i.exec(id ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * Basic or dynamic per disk: a dynamic disk's partitions are of type "Logical Disk Manager" (MBR
 * type 0x42) or "GPT: Logical Disk Manager Data/Metadata". The system disk is the one whose
 * partition carries the system drive; a system drive on a dynamic volume has no partition link,
 * so then only basic disks can be ruled out.
 */
function disksOf(o: WindowsObservations, systemDrive: string | null, notes: string[]): NonNullable<Facts['storage']>['disks'] {
  const drives = o.cim.Win32_DiskDrive;
  const parts = o.cim.Win32_DiskPartition;
  if (!drives || !parts) return null;
  const links = o.cim.Win32_LogicalDiskToPartition;
  const drive = systemDrive?.replace(/\\$/, '').toUpperCase();
  const link = drive ? links?.find((l) => l.logicalDisk?.toUpperCase() === drive) : undefined;
  const systemDisk = link ? diskOfPartition(link.partition) : null;
  if (links && drive && !link) notes.push(`storage: the system drive ${drive} is on no partition (a dynamic volume): which disk holds it is unknown`);
  return drives
    .filter((d) => d.Index != null)
    .sort((a, b) => a.Index! - b.Index!)
    .map((d) => {
      const dynamic = parts.some((p) => p.DiskIndex === d.Index && /Logical Disk Manager/i.test(p.Type ?? ''));
      let isSystem: boolean | null = null;
      if (systemDisk !== null) isSystem = systemDisk === d.Index;
      else if (links && !dynamic) isSystem = false;
      return { number: d.Index!, dynamic, sizeBytes: d.Size ?? null, isSystem };
    });
}

/**
 * A rule group lets the push install in when the firewall is off in every current profile, when
 * the whole group is enabled, or when each inbound rule that matters (`wanted`, told apart by its
 * ports) has an enabled copy for a current profile. Windows keeps one copy of a rule per profile
 * set; on 2008 R2 "NB-Session-In" and "SMB-In" are enough (asr-components.md 3.8).
 */
function firewallAllows(o: WindowsObservations, group: string, wanted: (r: z.infer<typeof fwRule>) => boolean, notes: string[]): boolean | null {
  const fw = o.firewall;
  if (!fw) return null;
  const profiles = fw.profiles ?? [];
  if (profiles.length && profiles.every((p) => !p.enabled)) return true;
  const g: FwGroup | undefined = fw.groups[group];
  if (!g) return null;
  if (g.enabled) return true;
  const current = fw.currentProfileTypes ?? 0;
  const applicable = (g.rules ?? []).filter((r) => r.direction === 1 && wanted(r) && ((r.profiles ?? 0) & current) !== 0);
  if (!applicable.length) {
    notes.push(`firewall: the rule group ${group} has no inbound rule for the current profile`);
    return false;
  }
  const byPorts = new Map<string, boolean>();
  for (const r of applicable) byPorts.set(r.localPorts ?? '', (byPorts.get(r.localPorts ?? '') ?? false) || r.enabled === true);
  return [...byPorts.values()].every(Boolean);
}

/** Absent value = the Windows default (0: remote UAC filters local administrators). */
function tokenFilterOf(k: Reg | null | undefined): number | null {
  if (!k) return null;
  const v = k.values?.LocalAccountTokenFilterPolicy;
  if (v === undefined || v === null) return 0;
  return typeof v === 'number' ? v : Number.isFinite(Number(v)) ? Number(v) : null;
}

/** The .NET Framework 4.x "Release" DWORD → the lowest version it proves (Microsoft's published table). */
const NETFX4_RELEASES: [number, string][] = [
  [533320, '4.8.1'],
  [528040, '4.8'],
  [461808, '4.7.2'],
  [461308, '4.7.1'],
  [460798, '4.7'],
  [394802, '4.6.2'],
  [394254, '4.6.1'],
  [393295, '4.6'],
  [379893, '4.5.2'],
  [378675, '4.5.1'],
  [378389, '4.5'],
];

function dotNetOf(o: WindowsObservations): string | null {
  const r = o.registry;
  if (!r) return null;
  const v4 = r.netFx4?.values;
  const release = Number(v4?.Release);
  if (Number.isFinite(release) && release > 0) return NETFX4_RELEASES.find(([min]) => release >= min)?.[1] ?? '4.0';
  if (r.netFx4?.exists && v4?.Version) return String(v4.Version).split('.').slice(0, 2).join('.');
  const v35 = r.netFx35?.values;
  if (r.netFx35?.exists && Number(v35?.Install) === 1) return Number(v35?.SP) >= 1 ? '3.5.1' : '3.5';
  return r.netFx4 && r.netFx35 ? 'none' : null;
}

function serviceState(o: WindowsObservations, name: string): ComponentState['service'] {
  const s = o.services?.[name];
  if (s == null) return null;
  if (s === 'Absent') return 'absent';
  return s === 'Running' ? 'running' : 'stopped';
}

function hyperVOf(o: WindowsObservations): boolean | null {
  const feature = o.cim.Win32_OptionalFeature;
  const vmms = serviceState(o, 'vmms');
  // InstallState 1 = Enabled.
  if (feature?.some((f) => f.Name === 'Microsoft-Hyper-V' && f.InstallState === 1)) return true;
  if (vmms === 'running' || vmms === 'stopped') return true;
  if (feature && vmms === 'absent') return false;
  return null;
}

function vmmEntry(o: WindowsObservations) {
  return o.uninstall?.find(
    (u) => /Virtual Machine Manager/i.test(u.displayName ?? '') && /Server/i.test(u.displayName ?? '') && !/Console/i.test(u.displayName ?? ''),
  );
}

function vmmServerOf(o: WindowsObservations): boolean | null {
  if (vmmEntry(o) || o.registry?.vmmServer?.exists) return true;
  if (o.registry && o.uninstall) return false;
  return null;
}

/**
 * WinHttpSettings (what `netsh winhttp set proxy` writes): DWORD struct size, DWORD counter,
 * DWORD flags (bit 2 = proxy), DWORD length + proxy text, DWORD length + bypass list. An absent
 * value is the default: direct access. Text as netsh prints it.
 */
export function winHttpProxyText(base64: unknown): string | null {
  if (base64 === undefined || base64 === null) return 'Direct access (no proxy server).';
  if (typeof base64 !== 'string') return null;
  const b = Buffer.from(base64, 'base64');
  if (b.length < 16) return null;
  const flags = b.readUInt32LE(8);
  const len = b.readUInt32LE(12);
  if (16 + len > b.length) return null;
  const proxy = b.subarray(16, 16 + len).toString('latin1');
  if (!(flags & 2) || !proxy) return 'Direct access (no proxy server).';
  return proxy;
}

/** The ASR ProxySettings key: value names are not documented, so an address-like and a port-like value are looked for. */
function agentProxyOf(k: Reg | null | undefined): string | null {
  if (!k?.exists || !k.values) return null;
  const entries = Object.entries(k.values).filter(([, v]) => v !== null && v !== '' && typeof v !== 'object');
  const address = entries.find(([n]) => /address|server|ip|host/i.test(n) && !/port/i.test(n))?.[1];
  if (!address) return null;
  const port = entries.find(([n]) => /port/i.test(n))?.[1];
  const a = String(address).trim();
  return port && !/:\d+\/?$/.test(a) ? `${a}:${String(port).trim()}` : a;
}

function pendingRebootOf(o: WindowsObservations, notes: string[]): boolean | null {
  const r = o.registry;
  if (!r) return null;
  const why: string[] = [];
  if (r.rebootPendingCbs?.exists) why.push('Component Based Servicing\\RebootPending');
  if (r.rebootRequiredWu?.exists) why.push('WindowsUpdate\\Auto Update\\RebootRequired');
  const renames = r.sessionManager?.values?.PendingFileRenameOperations;
  const renameList = (Array.isArray(renames) ? renames : renames == null ? [] : [renames]).filter((x) => typeof x === 'string' && x.trim());
  if (renameList.length) why.push(`PendingFileRenameOperations (${renameList.length} entries)`);
  if (why.length) {
    notes.push(`reboot pending: ${why.join(', ')}`);
    return true;
  }
  // Only "no" when every source was read.
  return r.rebootPendingCbs && r.rebootRequiredWu && r.sessionManager ? false : null;
}

function uninstallEntry(o: WindowsObservations, test: (u: NonNullable<WindowsObservations['uninstall']>[number]) => boolean) {
  return o.uninstall?.find(test);
}

/** Installed ASR components: Programs and Features, the documented registry markers and service names. */
function componentsOf(o: WindowsObservations): ComponentState[] {
  const out: ComponentState[] = [];
  const mobility = uninstallEntry(o, (u) => u.key.toUpperCase() === MOBILITY_PRODUCT_CODE);
  const agent = o.registry?.inMageAgent;
  const svagents = serviceState(o, 'svagents');
  if (mobility || agent?.exists || svagents === 'running' || svagents === 'stopped') {
    const status = agent?.exists ? agent.values?.AgentConfigurationStatus : undefined;
    out.push({
      id: 'mobility-service',
      version: mobility?.displayVersion || null,
      configured: agent?.exists ? status === 'Succeeded' : agent ? false : null,
      service: svagents,
      installDir: (agent?.values?.InstallDirectory as string | undefined) || mobility?.installLocation || null,
    });
  }
  const provider = uninstallEntry(o, (u) => /Azure Site Recovery Provider/i.test(u.displayName ?? ''));
  const dra = serviceState(o, 'dra');
  if (provider || o.registry?.vmmDrAdapter?.exists || dra === 'running' || dra === 'stopped') {
    const reg = o.registry?.asrRegistration;
    out.push({
      id: 'provider',
      version: provider?.displayVersion || null,
      configured: reg ? reg.exists : null,
      service: dra,
      installDir: provider?.installLocation || null,
    });
  }
  const mars = uninstallEntry(o, (u) => /Recovery Services Agent/i.test(u.displayName ?? ''));
  const obengine = serviceState(o, 'obengine');
  const marsPath = o.registry?.marsSetup?.values?.InstallPath as string | undefined;
  if (mars || marsPath || obengine === 'running' || obengine === 'stopped') {
    out.push({
      id: 'mars-agent',
      version: mars?.displayVersion || o.marsEngineVersion || null,
      configured: null,
      service: obengine,
      installDir: marsPath || mars?.installLocation || null,
    });
  }
  return out;
}
