import ipaddr from 'ipaddr.js';
import { AsrFailure, fail } from '../../model/errors.ts';
import { Vim25Client, type Vim25ConnectOptions } from './client.ts';
import { asArray, asObject, asString, isMoRef, type MoRef, type ObjectContent, type VimValue } from './xml.ts';

export type GuestFamily = 'linux' | 'windows' | 'other';

/** One VM: the cli.md `discover vcenter` shape plus extras. */
export interface VcenterVm {
  name: string;
  /** config.instanceUuid: vCenter's stable identity of the VM (merges re-discoveries). */
  uuid: string | null;
  guestOs: string | null;
  family: GuestFamily;
  powerState: string | null;
  toolsStatus: string | null;
  /** IPv4 first, then IPv6; link-local and loopback left out. */
  addresses: string[];
  hostName: string | null;
  disks: number;
  datacenter: string | null;
  cluster: string | null;
  esxHost: string | null;
  // extras
  guestFullName: string | null;
  diskSizesGB: number[];
  biosUuid: string | null;
  moref: string;
  vcenter: string;
}

export interface DiscoverVcenterOptions extends Vim25ConnectOptions {
  user: string;
  password: string;
  /**
   * maxObjects per RetrievePropertiesEx page (vCenter may return fewer), and VMs per property batch.
   * Default: pages of 10,000 for the list of VMs (names only), batches of 500 for their properties.
   */
  pageSize?: number;
  /** Property batches in flight at once (default 2). */
  concurrency?: number;
  /** Include VM templates (they cannot run, so they are left out by default). */
  includeTemplates?: boolean;
  onProgress?: (p: { vms: number }) => void;
}

/** VM properties fetched in one property-collector pass. */
export const VM_PROPERTIES = [
  'name',
  'config.instanceUuid',
  'config.uuid',
  'config.template',
  'config.guestId',
  'config.guestFullName',
  'config.hardware.device',
  'guest.guestId',
  'guest.guestFullName',
  'guest.guestFamily',
  'guest.toolsRunningStatus',
  'guest.toolsStatus',
  'guest.net',
  'guest.ipAddress',
  'guest.hostName',
  'runtime.powerState',
  'runtime.host',
] as const;

const DEFAULT_LIST_PAGE = 10_000;
const DEFAULT_BATCH = 500;
const DEFAULT_CONCURRENCY = 2;

const INVENTORY_TYPES = ['HostSystem', 'ComputeResource', 'Datacenter', 'Folder'];

interface InventoryNode {
  type: string;
  name: string;
  parent: MoRef | null;
}

/**
 * Inventory every VM of a vCenter: connect (TLS verified or pinned), log in, walk a recursive
 * container view over VirtualMachine page by page, resolve ESX host / cluster / datacenter from one
 * bulk read of the host and folder tree, and always destroy the views and log out.
 */
export async function discoverVcenter(opts: DiscoverVcenterOptions): Promise<VcenterVm[]> {
  const pageSize = opts.pageSize;
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1)) fail('usage', `page size must be a positive integer, not ${pageSize}`);
  const listPageSize = pageSize ?? DEFAULT_LIST_PAGE;
  const batchSize = pageSize ?? DEFAULT_BATCH;
  const client = await Vim25Client.connect(opts);
  const views: MoRef[] = [];
  try {
    await client.login(opts.user, opts.password);
    const root = client.content.rootFolder;
    const vmView = await client.createContainerView(root, ['VirtualMachine'], true);
    views.push(vmView);
    const treeView = await client.createContainerView(root, INVENTORY_TYPES, true);
    views.push(treeView);

    const tree = new Map<string, InventoryNode>();
    await client.retrieveFromView(treeView, 'ManagedEntity', ['name', 'parent'], {
      maxObjects: Math.max(listPageSize, 1000),
      onObject: (o) => {
        const parent = o.props.get('parent');
        tree.set(key(o.obj), { type: o.obj.type, name: asString(o.props.get('name')) ?? o.obj.value, parent: isMoRef(parent) ? parent : null });
      },
      onPage: () => throwIfAborted(opts.signal),
    });

    // Two passes: list the members of the view (names only: small), then read the properties in
    // batches of explicit objects, several batches in flight (the server works on them in
    // parallel while we parse). Each response is parsed as it streams in and each VM is reduced to
    // its record at once, so memory stays small even where a server ignores maxObjects and sends
    // every VM in one response (govmomi's simulator does: ~9 KB of XML per VM).
    const refs: MoRef[] = [];
    await client.retrieveFromView(vmView, 'VirtualMachine', ['name'], {
      maxObjects: listPageSize,
      onObject: (o) => refs.push(o.obj),
      onPage: () => throwIfAborted(opts.signal),
    });
    const batches: MoRef[][] = [];
    for (let i = 0; i < refs.length; i += batchSize) batches.push(refs.slice(i, i + batchSize));
    const vms: VcenterVm[] = [];
    const read = {
      maxObjects: batchSize,
      onObject: (o: ObjectContent) => {
        if (!opts.includeTemplates && asString(o.props.get('config.template')) === 'true') return;
        vms.push(vmFromProperties(o, tree, client.host));
      },
      onPage: () => {
        opts.onProgress?.({ vms: vms.length });
        throwIfAborted(opts.signal);
      },
      keepItem: keepDisks,
    };
    let next = 0;
    const worker = async () => {
      while (next < batches.length) await client.retrieveObjects('VirtualMachine', batches[next++]!, VM_PROPERTIES, read);
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? DEFAULT_CONCURRENCY, Math.max(batches.length, 1)) }, worker));
    const { compare } = new Intl.Collator('en', { numeric: true }); // = localeCompare(…, 'en', { numeric: true }), set up once
    return vms.sort((a, b) => compare(a.name, b.name) || compare(a.moref, b.moref));
  } finally {
    for (const v of views) await client.destroyView(v).catch(() => undefined);
    await client.logout();
    client.close();
  }
}

/** Of the device list only the disks are read: the rest (controllers, NICs, ...) is never built. */
function keepDisks(property: string, itemType: string | null): boolean {
  return property !== 'config.hardware.device' || itemType === 'VirtualDisk';
}

/** Build one VM record from its property set and the host/folder tree. */
export function vmFromProperties(o: ObjectContent, tree: ReadonlyMap<string, InventoryNode>, vcenter: string): VcenterVm {
  const p = o.props;
  const str = (path: string) => asString(p.get(path)) || null;
  const guestId = str('guest.guestId') ?? str('config.guestId');
  const disks = asArray(p.get('config.hardware.device'))
    .map(asObject)
    .filter((d) => d?.$type === 'VirtualDisk')
    .map((d) => diskBytes(d!['capacityInBytes'], d!['capacityInKB']));
  const placement = placementOf(p.get('runtime.host'), tree);
  return {
    name: str('name') ?? o.obj.value,
    uuid: str('config.instanceUuid'),
    guestOs: guestId,
    family: guestFamily(guestId, str('guest.guestFamily')),
    powerState: str('runtime.powerState'),
    toolsStatus: str('guest.toolsRunningStatus') ?? str('guest.toolsStatus'),
    addresses: guestAddresses(p.get('guest.ipAddress'), p.get('guest.net')),
    hostName: str('guest.hostName'),
    disks: disks.length,
    ...placement,
    guestFullName: str('guest.guestFullName') ?? str('config.guestFullName'),
    diskSizesGB: disks.map((b) => Math.round((b / 2 ** 30) * 1000) / 1000),
    biosUuid: str('config.uuid'),
    moref: o.obj.value,
    vcenter,
  };
}

function diskBytes(bytes: VimValue | undefined, kb: VimValue | undefined): number {
  const b = Number(asString(bytes) || NaN);
  if (Number.isFinite(b) && b > 0) return b;
  const k = Number(asString(kb) || NaN);
  return Number.isFinite(k) && k > 0 ? k * 1024 : 0;
}

/** ESX host name, its cluster (when the compute resource is a cluster) and the datacenter above. */
function placementOf(hostRef: VimValue | undefined, tree: ReadonlyMap<string, InventoryNode>) {
  const out = { datacenter: null as string | null, cluster: null as string | null, esxHost: null as string | null };
  if (!isMoRef(hostRef)) return out;
  const host = tree.get(key(hostRef));
  if (!host) return out;
  out.esxHost = host.name;
  let node: InventoryNode | undefined = host;
  for (let depth = 0; node?.parent && depth < 64; depth++) {
    node = tree.get(key(node.parent));
    if (!node) break;
    if (node.type === 'ClusterComputeResource' && !out.cluster) out.cluster = node.name;
    if (node.type === 'Datacenter') {
      out.datacenter = node.name;
      break;
    }
  }
  return out;
}

/** linux/windows/other from the guest family when tools report it, else from the guest id. */
export function guestFamily(guestId: string | null, reportedFamily?: string | null): GuestFamily {
  if (reportedFamily === 'linuxGuest') return 'linux';
  if (reportedFamily === 'windowsGuest') return 'windows';
  const id = (guestId ?? '').toLowerCase();
  if (!id) return 'other';
  if (id.startsWith('win') || id.includes('windows')) return 'windows';
  if (
    /linux|rhel|centos|ubuntu|debian|sles|suse|oracle|fedora|mandr|asianux|turbolinux|redhat|coreos|photon|amazonlinux|rocky|alma|miracle|kylin|flatcar|other\d*xlinux|other26x|other3x|other4x|other5x|other6x/.test(
      id,
    )
  ) {
    return 'linux';
  }
  return 'other';
}

/** guest.ipAddress and every guest.net[].ipAddress[], deduplicated, IPv4 first; no link-local/loopback. */
export function guestAddresses(primary: VimValue | undefined, nets: VimValue | undefined): string[] {
  const all: string[] = [];
  const first = asString(primary);
  if (first) all.push(first);
  for (const nic of asArray(nets)) {
    for (const a of asArray(asObject(nic)?.['ipAddress'])) {
      const s = asString(a);
      if (s) all.push(s);
    }
  }
  const seen = new Set<string>();
  const v4: string[] = [];
  const v6: string[] = [];
  for (const raw of all) {
    const text = raw.trim();
    if (!ipaddr.isValid(text)) continue;
    const addr = ipaddr.parse(text);
    const range = addr.range();
    if (range === 'linkLocal' || range === 'loopback' || range === 'unspecified') continue;
    const norm = addr.toString();
    if (seen.has(norm)) continue;
    seen.add(norm);
    (addr.kind() === 'ipv4' ? v4 : v6).push(norm);
  }
  return [...v4, ...v6];
}

/** Managed object ids are unique within one vCenter; the type attribute of a parent ref may be a supertype. */
function key(m: MoRef): string {
  return m.value;
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new AsrFailure('cancelled', 'vCenter discovery cancelled');
}
