import type { Host } from '../../model/host.ts';

/**
 * How the engine knows a host's part in a VMM deployment, from the inventory (discovery writes
 * evidence; an admin can tag by hand):
 * - VMM server: tag `role:vmm-server`, or evidence `vmm.role = "server"`, or VMM cluster membership;
 * - VMM cluster node: tag `vmm-cluster:<name>` (+ tag `vmm-cluster-active` on the active node), or
 *   evidence `vmmCluster = {name, activeNode}`.
 * Docs (site-recovery-vmm-to-vmm.md): on a VMM cluster install on the active node first, register,
 * then the other nodes; all nodes run the same Provider version.
 */
export interface VmmClusterNode {
  cluster: string;
  active: boolean;
}

export function vmmClusterNode(host: Pick<Host, 'tags' | 'evidence'>): VmmClusterNode | null {
  const ev = (host.evidence?.vmmCluster ?? null) as { name?: unknown; activeNode?: unknown } | null;
  if (ev && typeof ev.name === 'string' && ev.name) return { cluster: ev.name, active: ev.activeNode === true };
  const tag = host.tags.find((t) => t.startsWith('vmm-cluster:'));
  if (tag) return { cluster: tag.slice('vmm-cluster:'.length), active: host.tags.includes('vmm-cluster-active') };
  return null;
}

export function isVmmServer(host: Pick<Host, 'tags' | 'evidence'>): boolean {
  const vmm = (host.evidence?.vmm ?? null) as { role?: unknown } | null;
  return host.tags.includes('role:vmm-server') || vmm?.role === 'server' || vmmClusterNode(host) !== null;
}

/**
 * Waves for a Provider run: the active node of every VMM cluster first (it must finish and register
 * before the other nodes start), then everyone else. Empty when no host is a cluster node.
 */
export function providerWaves(hosts: { hostId: string; host: Pick<Host, 'tags' | 'evidence'> }[]): string[][] {
  const active = hosts.filter((h) => vmmClusterNode(h.host)?.active).map((h) => h.hostId);
  return active.length ? [active] : [];
}

/** Plan order: active cluster nodes first, then the other nodes of their clusters, then the rest (stable). */
export function providerOrder(host: Pick<Host, 'tags' | 'evidence'>): number {
  const n = vmmClusterNode(host);
  return n ? (n.active ? 0 : 1) : 2;
}
