import type { CommandOutput } from '../../src-main/service/contract.ts';
import type { HostStatus } from './status.ts';

/**
 * The Apply table's rows: one host of the job as the journal has it (jobs.show). Pure functions
 * on contract types only (no DOM, no api.ts), so they run in unit tests under Node.
 */
export type JobHost = CommandOutput<'jobs.show'>['hosts'][number];
/** What the page knows between two journal reads: the live step and bytes of a host in flight. */
export interface LiveStep {
  step: string;
  bytes?: number;
  totalBytes?: number;
  elapsedMs?: number;
}
/** `problems`: failed, blocked and cancelled together (what an admin looks for first in a big run). */
export type StatusFilter = 'all' | 'problems' | HostStatus;
/** `order`: the journal's order (the plan's). */
export type ApplySortKey = 'order' | 'host' | 'status';
export interface ApplySort {
  key: ApplySortKey;
  dir: 1 | -1;
}

/** Worst first: what needs the admin comes to the top when sorted by status. A Record over the union: a new status must say where it goes. */
const RANK: Record<HostStatus, number> = {
  failed: 0,
  blocked: 1,
  cancelled: 2,
  running: 3,
  awaiting_config: 4,
  succeeded_with_warnings: 5,
  pending: 6,
  succeeded: 7,
  skipped: 8,
};
/** The statuses in that order (for the filter's list and the counts line). */
export const STATUS_ORDER: readonly HostStatus[] = (Object.keys(RANK) as HostStatus[]).sort((a, b) => RANK[a] - RANK[b]);
const PROBLEMS: ReadonlySet<string> = new Set<HostStatus>(['failed', 'blocked', 'cancelled']);

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Hosts per status, over every host of the job (the filter does not change the counts). */
export function countByStatus(hosts: readonly { status: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const h of hosts) counts[h.status] = (counts[h.status] ?? 0) + 1;
  return counts;
}

export function matchesFilter(status: string, filter: StatusFilter): boolean {
  return filter === 'all' || (filter === 'problems' ? PROBLEMS.has(status) : status === filter);
}

/** The rows shown: filtered by status, then sorted (ties keep the journal's order, so rows do not jump between refreshes). */
export function applyRows<T extends { host: string; status: string }>(hosts: readonly T[], filter: StatusFilter, sort: ApplySort): T[] {
  const shown = filter === 'all' ? hosts.slice() : hosts.filter((h) => matchesFilter(h.status, filter));
  if (sort.key === 'order') return sort.dir === 1 ? shown : shown.reverse();
  const order = new Map(hosts.map((h, i) => [h, i]));
  const rank = (s: string) => (RANK as Record<string, number>)[s] ?? STATUS_ORDER.length;
  const by = sort.key === 'host' ? (a: T, b: T) => collator.compare(a.host, b.host) : (a: T, b: T) => rank(a.status) - rank(b.status);
  return shown.sort((a, b) => sort.dir * by(a, b) || order.get(a)! - order.get(b)!);
}

/**
 * Coalesces per-host updates to one write per animation frame: a 500-host job sends thousands of
 * events a second, and writing each into the page's state would re-render once per event. The
 * latest value per key wins (`merge` sees the pending one, else the committed one). A frame that
 * does not come (a hidden window) is replaced by a timer, so updates are late, never lost.
 */
export class FrameQueue<V> {
  private readonly pending = new Map<string, V>();
  private frame: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly read: (key: string) => V | undefined;
  private readonly write: (batch: ReadonlyMap<string, V>) => void;
  private readonly raf: (cb: () => void) => number;
  private readonly caf: (id: number) => void;
  private readonly fallbackMs: number;

  constructor(opts: {
    read: (key: string) => V | undefined;
    write: (batch: ReadonlyMap<string, V>) => void;
    raf?: (cb: () => void) => number;
    caf?: (id: number) => void;
    fallbackMs?: number;
  }) {
    this.read = opts.read;
    this.write = opts.write;
    const frames = globalThis as unknown as { requestAnimationFrame(cb: () => void): number; cancelAnimationFrame(id: number): void };
    this.raf = opts.raf ?? ((cb) => frames.requestAnimationFrame(cb));
    this.caf = opts.caf ?? ((id) => frames.cancelAnimationFrame(id));
    this.fallbackMs = opts.fallbackMs ?? 250;
  }

  put(key: string, merge: (prev: V | undefined) => V): void {
    this.pending.set(key, merge(this.pending.has(key) ? this.pending.get(key) : this.read(key)));
    if (this.frame !== null || this.timer !== null) return;
    this.frame = this.raf(() => {
      this.frame = null;
      this.flush();
    });
    this.timer = setTimeout(() => this.flush(), this.fallbackMs);
  }

  /** Writes what is pending now (also called by the frame or the timer). */
  flush(): void {
    if (this.frame !== null) this.caf(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.frame = null;
    this.timer = null;
    if (!this.pending.size) return;
    const batch = new Map(this.pending);
    this.pending.clear();
    this.write(batch);
  }

  /** Drops what is pending (the job shown changed, or the page goes away). */
  clear(): void {
    if (this.frame !== null) this.caf(this.frame);
    if (this.timer !== null) clearTimeout(this.timer);
    this.frame = null;
    this.timer = null;
    this.pending.clear();
  }
}
