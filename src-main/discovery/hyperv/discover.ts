import { remoteScript } from '../../components/scripts.ts';
import { fail } from '../../model/errors.ts';
import type { Transport } from '../../remote/transport.ts';
import { HyperVDocumentSchema, VmmDocumentSchema, type HyperVDocument, type VmmDocument } from './documents.ts';

/** What discovery needs of a transport: its name and Transport.runScript (the PowerShell transport, or the replaying fake in tests). */
export type ScriptRunner = Pick<Transport, 'host' | 'runScript'>;

type VmmOk = Extract<VmmDocument, { ok: true }>;
type HyperVOk = Extract<HyperVDocument, { ok: true }>;

/** `discover vmm`: one Hyper-V host as the VMM server reports it, with the clouds its host group is in. */
export interface VmmHost {
  name: string;
  address: string;
  computerName: string | null;
  hostGroup: string | null;
  cluster: string | null;
  clouds: string[];
  platform: string | null;
  os: string | null;
  state: string | null;
  vms: number;
}

export interface VmmInventory {
  server: { name: string; address: string; fqdn: string | null; version: string | null; port: number | null };
  hostGroups: VmmOk['hostGroups'];
  clouds: VmmOk['clouds'];
  hosts: VmmHost[];
  vms: VmmOk['vms'];
}

export interface HyperVInventory {
  address: string;
  computer: string;
  fqdn: string | null;
  os: HyperVOk['os'];
  hyperv: HyperVOk['hyperv'];
  cluster: string | null;
  vms: HyperVOk['vms'];
}

const REMEDY = {
  vmm_module_missing:
    'Run discovery against the VMM management server itself (the virtualmachinemanager module comes with the VMM server and the VMM console); install the VMM console on this server, or give --server the VMM server’s name.',
  hyperv_role_missing:
    'This computer is not a Hyper-V host: install the role (Install-WindowsFeature Hyper-V -IncludeManagementTools -Restart), or leave it out of `discover hyperv`.',
  hyperv_module_missing:
    'Install the Hyper-V PowerShell module: Install-WindowsFeature Hyper-V-PowerShell (Server) or enable Microsoft-Hyper-V-Management-PowerShell (client).',
} as const;

/** A document our script printed, validated; a missing module/role becomes a named error. */
function parseDocument<T extends { ok: boolean }>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } },
  raw: unknown,
  host: string,
  what: string,
): Extract<T, { ok: true }> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(
      'command_failed',
      `${host}: ${what} printed a document this version does not understand (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}).`,
      { host, remedy: 'Run with --verbose and report the document; the script and its parser disagree.' },
    );
  }
  const doc = parsed.data as T & { ok: boolean; error?: { code: keyof typeof REMEDY; message: string; computer?: string | null } };
  if (!doc.ok) {
    const e = doc.error!;
    fail('prerequisite_failed', `${host}: ${e.message}${e.computer ? ` (${e.computer})` : ''}`, { host, remedy: REMEDY[e.code], details: { reason: e.code } });
  }
  return doc as Extract<T, { ok: true }>;
}

/** Host group paths are `All Hosts\Group\Sub`: a host is in a cloud when its group is one of the cloud's or below one. */
export function cloudsOfGroup(group: string | null, clouds: VmmOk['clouds']): string[] {
  if (!group) return [];
  const g = group.toLowerCase();
  return clouds.filter((c) => c.hostGroups.some((p) => g === p.toLowerCase() || g.startsWith(`${p.toLowerCase()}\\`))).map((c) => c.name);
}

/** Runs discover-vmm.ps1 on the VMM server (the transport's host). */
export async function discoverVmm(runner: ScriptRunner, opts: { server: string; signal?: AbortSignal; timeoutMs?: number }): Promise<VmmInventory> {
  const raw = await runner.runScript(
    remoteScript('windows', 'discover-vmm.ps1'),
    {},
    { what: 'VMM discovery', timeoutMs: opts.timeoutMs ?? 5 * 60_000, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  const doc = parseDocument(VmmDocumentSchema, raw, runner.host, 'discover-vmm.ps1') as VmmOk;
  const vmsPerHost = new Map<string, number>();
  for (const vm of doc.vms) if (vm.host) vmsPerHost.set(vm.host.toLowerCase(), (vmsPerHost.get(vm.host.toLowerCase()) ?? 0) + 1);
  return {
    server: { ...doc.server, address: opts.server },
    hostGroups: doc.hostGroups,
    clouds: doc.clouds,
    hosts: doc.hosts.map((h) => ({
      name: h.name,
      // VMM names hosts by FQDN: that is the address WinRM (Kerberos) wants.
      address: h.fqdn || h.name,
      computerName: h.computerName,
      hostGroup: h.hostGroup,
      cluster: h.cluster,
      clouds: cloudsOfGroup(h.hostGroup, doc.clouds),
      platform: h.platform,
      os: h.os,
      state: h.state,
      vms: vmsPerHost.get(h.name.toLowerCase()) ?? 0,
    })),
    vms: doc.vms,
  };
}

/** Runs discover-hyperv.ps1 on one Hyper-V host. */
export async function discoverHyperVHost(runner: ScriptRunner, opts: { address: string; signal?: AbortSignal; timeoutMs?: number }): Promise<HyperVInventory> {
  const raw = await runner.runScript(
    remoteScript('windows', 'discover-hyperv.ps1'),
    {},
    { what: 'Hyper-V discovery', timeoutMs: opts.timeoutMs ?? 2 * 60_000, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  const doc = parseDocument(HyperVDocumentSchema, raw, runner.host, 'discover-hyperv.ps1') as HyperVOk;
  return { address: opts.address, computer: doc.computer, fqdn: doc.fqdn, os: doc.os, hyperv: doc.hyperv, cluster: doc.cluster, vms: doc.vms };
}
