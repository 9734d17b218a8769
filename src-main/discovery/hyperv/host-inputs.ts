import type { HostInput } from '../../model/host.ts';
import type { HyperVInventory, VmmInventory } from './discover.ts';

/** `prefix:value` limited to the tag alphabet of model/host.ts TagSchema (letters, digits, _ . : = / -). */
export function tag(prefix: string, value: string): string {
  const clean = value
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}_.:=/-]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return `${prefix}:${clean || 'unnamed'}`.slice(0, 128);
}

/** The last segment of a VMM host group path (`All Hosts\Production` → `Production`). */
const groupName = (path: string) => path.split('\\').filter(Boolean).pop() ?? path;

/**
 * Inventory rows from a VMM discovery: the VMM server (`role:vmm-server`) and each Hyper-V host
 * (`role:hyperv-host`, `vmm:SERVER`, `hostgroup:`, `cluster:`, `cloud:` tags). `vmm:` tells
 * `proxy apply` that the host's Provider runs on the VMM server (the host carries only MARS).
 */
export function vmmToHostInputs(inv: VmmInventory, opts: { credential?: string } = {}): HostInput[] {
  const vmmName = inv.server.fqdn || inv.server.name;
  const server: HostInput = {
    address: inv.server.address,
    os: 'windows',
    transport: 'winrm',
    tags: [tag('role', 'vmm-server'), ...inv.clouds.map((c) => tag('cloud', c.name))],
    source: 'vmm',
    evidence: {
      vmm: {
        server: vmmName,
        version: inv.server.version,
        port: inv.server.port,
        hostGroups: inv.hostGroups.length,
        clouds: inv.clouds.map((c) => c.name),
        hosts: inv.hosts.length,
      },
    },
    ...(opts.credential ? { credential: opts.credential } : {}),
  };
  const hosts = inv.hosts
    .filter((h) => !h.platform || /hyper-?v/i.test(h.platform))
    .map((h): HostInput => ({
      address: h.address,
      os: 'windows',
      transport: 'winrm',
      tags: [
        tag('role', 'hyperv-host'),
        tag('vmm', vmmName),
        ...(h.hostGroup ? [tag('hostgroup', groupName(h.hostGroup))] : []),
        ...(h.cluster ? [tag('cluster', h.cluster)] : []),
        ...h.clouds.map((c) => tag('cloud', c)),
      ],
      source: 'vmm',
      evidence: { vmm: { server: vmmName, hostGroup: h.hostGroup, cluster: h.cluster, clouds: h.clouds, os: h.os, state: h.state, vms: h.vms } },
      ...(opts.credential ? { credential: opts.credential } : {}),
    }));
  return [server, ...hosts];
}

/** An inventory row from one Hyper-V host discovery (`role:hyperv-host`, `cluster:` when clustered). */
export function hyperVToHostInput(inv: HyperVInventory, opts: { credential?: string } = {}): HostInput {
  return {
    address: inv.address,
    os: 'windows',
    transport: 'winrm',
    tags: [tag('role', 'hyperv-host'), ...(inv.cluster ? [tag('cluster', inv.cluster)] : [])],
    source: 'hyperv',
    evidence: { hyperv: { computer: inv.computer, fqdn: inv.fqdn, os: inv.os, version: inv.hyperv.version, cluster: inv.cluster, vms: inv.vms.length } },
    ...(opts.credential ? { credential: opts.credential } : {}),
  };
}
