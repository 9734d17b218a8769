/**
 * The Apply table's rows (issue 14 item 5): counts over every host whatever the filter, filters and
 * sorts that keep the journal's order on ties, and per-host updates coalesced to one write per
 * animation frame (latest wins, nothing lost when no frame comes).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyRows, countByStatus, FrameQueue, matchesFilter, STATUS_ORDER } from '../../../../src-renderer/lib/apply-rows.ts';

const hosts = [
  { host: 'web10', status: 'succeeded' },
  { host: 'web2', status: 'failed' },
  { host: 'db1', status: 'running' },
  { host: 'app1', status: 'blocked' },
  { host: 'web1', status: 'failed' },
  { host: 'db2', status: 'skipped' },
];

describe('Apply rows', () => {
  it('counts hosts per status over every host', () => {
    expect(countByStatus(hosts)).toEqual({ succeeded: 1, failed: 2, running: 1, blocked: 1, skipped: 1 });
    expect(countByStatus([])).toEqual({});
  });

  it('filters by one status, or by problems (failed, blocked, cancelled)', () => {
    expect(applyRows(hosts, 'failed', { key: 'order', dir: 1 }).map((h) => h.host)).toEqual(['web2', 'web1']);
    expect(applyRows(hosts, 'problems', { key: 'order', dir: 1 }).map((h) => h.host)).toEqual(['web2', 'app1', 'web1']);
    expect(applyRows(hosts, 'all', { key: 'order', dir: 1 })).toEqual(hosts);
    expect(matchesFilter('cancelled', 'problems')).toBe(true);
    expect(matchesFilter('running', 'problems')).toBe(false);
  });

  it('sorts by host name (numeric), by status worst first with ties in journal order, or keeps the journal order', () => {
    expect(applyRows(hosts, 'all', { key: 'host', dir: 1 }).map((h) => h.host)).toEqual(['app1', 'db1', 'db2', 'web1', 'web2', 'web10']);
    expect(applyRows(hosts, 'all', { key: 'status', dir: 1 }).map((h) => h.host)).toEqual(['web2', 'web1', 'app1', 'db1', 'web10', 'db2']);
    expect(applyRows(hosts, 'all', { key: 'status', dir: -1 }).map((h) => h.host)).toEqual(['db2', 'web10', 'db1', 'app1', 'web2', 'web1']);
    expect(applyRows(hosts, 'all', { key: 'order', dir: -1 }).map((h) => h.host)).toEqual(hosts.map((h) => h.host).reverse());
    // The input is never reordered in place (it is the journal's array).
    expect(hosts[0]!.host).toBe('web10');
  });

  it('has every host status in its order, failed first', () => {
    expect(STATUS_ORDER[0]).toBe('failed');
    expect(new Set(STATUS_ORDER).size).toBe(9);
  });
});

describe('FrameQueue', () => {
  afterEach(() => vi.useRealTimers());

  /** A frame scheduler the test runs by hand. */
  function frames() {
    const queued = new Map<number, () => void>();
    let id = 0;
    return {
      raf: (cb: () => void) => (queued.set(++id, cb), id),
      caf: (n: number) => void queued.delete(n),
      run: () => {
        const cbs = [...queued.values()];
        queued.clear();
        for (const cb of cbs) cb();
      },
      get pending() {
        return queued.size;
      },
    };
  }

  it('writes once per frame, the latest value per key, merged over what is committed', () => {
    const committed: Record<string, { n: number }> = { a: { n: 10 } };
    const writes: Map<string, { n: number }>[] = [];
    const f = frames();
    const q = new FrameQueue<{ n: number }>({
      read: (k) => committed[k],
      write: (b) => {
        writes.push(new Map(b));
        for (const [k, v] of b) committed[k] = v;
      },
      raf: f.raf,
      caf: f.caf,
    });
    for (let i = 0; i < 1000; i++) q.put(i % 2 ? 'a' : 'b', (prev) => ({ n: (prev?.n ?? 0) + 1 }));
    expect(writes).toHaveLength(0);
    expect(f.pending).toBe(1);
    f.run();
    expect(writes).toHaveLength(1);
    expect(committed).toEqual({ a: { n: 510 }, b: { n: 500 } });
    // Nothing pending: no frame is asked for, nothing is written.
    f.run();
    expect(writes).toHaveLength(1);
    q.put('b', () => ({ n: 0 }));
    f.run();
    expect(writes).toHaveLength(2);
    expect(committed.b).toEqual({ n: 0 });
  });

  it('flushes on a timer when no frame comes (a hidden window), and clear() drops what is pending', () => {
    vi.useFakeTimers();
    const got: string[] = [];
    const q = new FrameQueue<string>({ read: () => undefined, write: (b) => got.push(...b.values()), raf: () => 1, caf: () => undefined, fallbackMs: 250 });
    q.put('x', () => 'late');
    vi.advanceTimersByTime(249);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(got).toEqual(['late']);
    q.put('y', () => 'dropped');
    q.clear();
    vi.advanceTimersByTime(1000);
    expect(got).toEqual(['late']);
  });
});
