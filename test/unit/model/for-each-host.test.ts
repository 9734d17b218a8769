import { describe, expect, it } from 'vitest';
import { fail } from '../../../src-main/model/errors.ts';
import { forEachHost, valuesOrThrow, type HostOutcome } from '../../../src-main/model/for-each-host.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('forEachHost', () => {
  it('runs at most `concurrency` items at once, and keeps the input order in its results', async () => {
    let inFlight = 0;
    let most = 0;
    const hosts = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const out = await forEachHost(
      hosts,
      async (h, { index }) => {
        inFlight++;
        most = Math.max(most, inFlight);
        // Later items finish first, so completion order differs from input order.
        for (let i = 0; i < hosts.length - index; i++) await tick();
        inFlight--;
        return h.toUpperCase();
      },
      { concurrency: 3 },
    );
    expect(most).toBe(3);
    expect(inFlight).toBe(0);
    expect(valuesOrThrow(out)).toEqual(['A', 'B', 'C', 'D', 'E', 'F', 'G']);
  });

  it('turns a throw into that host’s error, and the other hosts still run', async () => {
    const settled: string[] = [];
    const out = await forEachHost(
      ['ok1', 'bad', 'ok2'],
      (h) => {
        if (h === 'bad') fail('unreachable', 'no route');
        if (h === 'ok2') throw new Error('plain');
        return h;
      },
      { concurrency: 1, hostOf: (h) => h, onSettled: (o, p) => settled.push(`${o.item}:${o.ok}:${p.done}/${p.total}`) },
    );
    expect(settled).toEqual(['ok1:true:1/3', 'bad:false:2/3', 'ok2:false:3/3']);
    expect(out[1]).toMatchObject({ ok: false, started: true, error: { code: 'unreachable', message: 'no route', host: 'bad', retryable: true } });
    expect(out[2]).toMatchObject({ ok: false, error: { code: 'internal', message: 'plain', host: 'ok2' } });
    expect(() => valuesOrThrow(out)).toThrow('no route');
  });

  it('once the signal is aborted, starts nothing more: unstarted hosts settle as cancelled', async () => {
    const ac = new AbortController();
    const ran: string[] = [];
    const out = await forEachHost(
      ['a', 'b', 'c', 'd'],
      async (h, { signal }) => {
        ran.push(h);
        if (h === 'b') ac.abort();
        await tick();
        return signal.aborted;
      },
      { concurrency: 2, signal: ac.signal, hostOf: (h) => h },
    );
    expect(ran).toEqual(['a', 'b']);
    expect(out.map((o) => (o.ok ? `ran:${o.value}` : `${o.error.code}:${o.started}`))).toEqual(['ran:true', 'ran:true', 'cancelled:false', 'cancelled:false']);
    expect(out[2]).toMatchObject({ error: { host: 'c', retryable: false } });
  });

  it('stops starting hosts when stopReason gives a reason (a failure budget)', async () => {
    let failures = 0;
    const out: HostOutcome<number, number>[] = await forEachHost(
      [1, 2, 3, 4],
      (n) => {
        if (n <= 2) {
          failures++;
          fail('install_failed', `host ${n} failed`);
        }
        return n;
      },
      { concurrency: 1, stopReason: () => (failures > 1 ? 'not started: more than 1 host(s) failed (failure budget)' : null) },
    );
    expect(out.map((o) => (o.ok ? 'ok' : `${o.error.code}${o.started ? '' : ` (${o.error.message})`}`))).toEqual([
      'install_failed',
      'install_failed',
      'cancelled (not started: more than 1 host(s) failed (failure budget))',
      'cancelled (not started: more than 1 host(s) failed (failure budget))',
    ]);
  });

  it('an empty list runs nothing', async () => {
    expect(await forEachHost([], () => 1, { concurrency: 8 })).toEqual([]);
  });
});
