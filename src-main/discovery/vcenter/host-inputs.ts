import { UNPRINTABLE } from '../../model/host.ts';
import type { HostInput } from '../../model/host.ts';
import type { VcenterVm } from './inventory.ts';

export interface VmsToHostInputsOptions {
  /** Name of the vCenter for the `vcenter:NAME` tag (defaults to each VM's `vcenter`). */
  vcenter?: string;
  credential?: string;
  /** Extra tags for every host. */
  tags?: string[];
}

/**
 * Turn discovered VMs into inventory rows: only powered-on Linux/Windows VMs with an address can be
 * reached for a push install. Tags record where they came from (`vcenter:…`, `datacenter:…`,
 * `cluster:…`) so `--hosts tag:cluster:Prod` selects them later; the instance UUID merges re-discoveries.
 */
export function vmsToHostInputs(vms: readonly VcenterVm[], opts: VmsToHostInputsOptions = {}): HostInput[] {
  const out: HostInput[] = [];
  for (const vm of vms) {
    if (vm.powerState !== 'poweredOn' || vm.addresses.length === 0) continue;
    const address = vm.addresses[0]!;
    const tags = [
      tag('vcenter', opts.vcenter ?? vm.vcenter),
      vm.datacenter ? tag('datacenter', vm.datacenter) : null,
      vm.cluster ? tag('cluster', vm.cluster) : null,
      ...(opts.tags ?? []),
    ].filter((t): t is string => t !== null);
    const input: HostInput = {
      address,
      name: hostName(vm),
      tags: [...new Set(tags)],
      source: 'vcenter',
      evidence: {
        vcenter: opts.vcenter ?? vm.vcenter,
        moref: vm.moref,
        guestOs: vm.guestOs,
        guestFullName: vm.guestFullName,
        esxHost: vm.esxHost,
        addresses: vm.addresses,
        toolsStatus: vm.toolsStatus,
      },
    };
    if (vm.uuid) input.uuid = vm.uuid;
    if (vm.family !== 'other') {
      input.os = vm.family;
      input.transport = vm.family === 'windows' ? 'winrm' : 'ssh';
    }
    if (opts.credential) input.credential = opts.credential;
    out.push(input);
  }
  return out;
}

/** The VM name as admins see it in vCenter, made a valid host name (no spaces or commas). */
function hostName(vm: VcenterVm): string {
  // Terminal escapes and bidi controls in a VM name become '-' too (model/host.ts UNPRINTABLE).
  const fromVm = vm.name
    .trim()
    .replace(new RegExp(`[\\s,]+|${UNPRINTABLE.source}`, 'gu'), '-')
    .slice(0, 255);
  if (fromVm) return fromVm;
  return (vm.hostName ?? vm.addresses[0] ?? vm.moref).replace(/[\s,]+/g, '-');
}

/** `prefix:value` limited to the tag alphabet of model/host.ts TagSchema (letters, digits, _ . : = / -). */
function tag(prefix: string, value: string): string {
  const clean = value
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}_.:=/-]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return `${prefix}:${clean || 'unnamed'}`.slice(0, 128);
}
