/**
 * Issue 14 item 5, wizard part: the Apply table with 500 hosts in real Chromium, against the real
 * service behind the loopback server. 500 hosts cannot install here, so one synthetic job
 * (synthetic-job.ts) answers for its own plan and job and streams the engine's events through the
 * real server; the rest is the real service.
 *
 * While events stream, the test scrolls the table every frame and records the frame times
 * (requestAnimationFrame deltas) and long tasks (PerformanceObserver): printed, not asserted (no
 * timing assertions). It asserts what virtualisation promises: the DOM holds a bounded number of
 * rows, every host's final status is reachable by scrolling, keyboard and grid semantics hold, and
 * the job's counts are right. Screenshot: test/artifacts/e2e/apply-500.png.
 */
import { loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, openSession, type Session } from './harness.ts';
import { finalStatusOf, hostName, SyntheticJob } from './synthetic-job.ts';

const noBrowser = chromiumMissing();
if (noBrowser) console.warn(`[e2e apply-500] skipped: ${noBrowser}`);

const HOSTS = 500;
/** Rows in the DOM at most: a window of rows plus overscan, far below the job's 500. */
const ROW_BOUND = 60;
const MEASURE_MS = 6000;

/** This file is type-checked without the DOM library: the page's globals used in evaluate(), typed by hand. */
interface El {
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  getAttribute(n: string): string | null;
}
interface PageGlobals {
  document: { querySelector(s: string): El | null; querySelectorAll(s: string): ArrayLike<El>; scrollingElement: El };
  requestAnimationFrame(cb: (t: number) => void): void;
  PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => { observe(o: { type: string }): void; disconnect(): void };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
const r1 = (n: number) => Math.round(n * 10) / 10;

describe.skipIf(!!noBrowser)(`Apply table at ${HOSTS} hosts${noBrowser ? ` (skipped: ${noBrowser})` : ''}`, () => {
  let s: Session;
  const job = new SyntheticJob({ hosts: HOSTS, concurrency: 40, tickMs: 40, stageTicks: 30 });
  const figures: Record<string, number | string> = {};
  const finals = job.finals;
  const expected = (st: string) => [...finals.values()].filter((f) => f === st).length;

  beforeAll(async () => {
    s = await openSession({ wrap: (service) => job.wrap(service) });
    // 2 cores shared with other test runs: waits get room (they are bounds, not timing assertions).
    s.page.setDefaultTimeout(30_000);
    const state = await s.call('ui.state.get', {});
    await s.call('ui.state.set', {
      ...state,
      step: 'apply',
      scenario: 'vmware-physical-to-azure',
      component: 'mobility-service',
      planId: job.planId,
      jobId: null,
      visited: ['apply'],
    });
    await s.page.goto(s.server.url);
    await s.page.getByTestId('step-heading').filter({ hasText: 'Apply' }).waitFor();
  }, 120_000);
  afterAll(async () => {
    console.log(`[e2e apply-500] figures: ${JSON.stringify(figures)}`);
    await s?.close();
  });

  it('streams a 500-host job while the user scrolls: DOM rows stay bounded (frame times printed)', async () => {
    const { page } = s;
    await page.getByRole('button', { name: 'Apply plan…' }).click();
    await page
      .getByTestId('apply-confirm')
      .getByRole('button', { name: `Apply to ${expected('succeeded') + expected('succeeded_with_warnings') + expected('failed')} host(s)` })
      .click();
    // Generous bounds: 2 cores shared with other test runs (waits, not timing assertions).
    await page.locator('[data-testid=job-status][data-status=running]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=apply-row][data-status=running]').first().waitFor({ timeout: 30_000 });

    const eventsBefore = job.events;
    const m = await page.evaluate(
      async ({ ms, step }) => {
        const w = globalThis as unknown as PageGlobals;
        // The table's own scroller when it has one, else the page (a table that is not virtualised).
        const scroller = w.document.querySelector('[data-testid=apply-viewport]') ?? w.document.scrollingElement;
        const frames: number[] = [];
        const longTasks: number[] = [];
        const po = new w.PerformanceObserver((list) => {
          for (const e of list.getEntries()) longTasks.push(e.duration);
        });
        po.observe({ type: 'longtask' });
        let maxRows = 0;
        let dir = 1;
        const t0 = performance.now();
        let last = t0;
        while (performance.now() - t0 < ms) {
          await new Promise((r) => w.requestAnimationFrame(r));
          const now = performance.now();
          frames.push(now - last);
          last = now;
          // A user dragging the scroll bar: `step` px a frame, back and forth between the ends.
          const max = scroller.scrollHeight - scroller.clientHeight;
          let y = scroller.scrollTop + dir * step;
          if (y >= max) [y, dir] = [max, -1];
          else if (y <= 0) [y, dir] = [0, 1];
          scroller.scrollTop = y;
          maxRows = Math.max(maxRows, w.document.querySelectorAll('[data-testid=apply-row]').length);
        }
        po.disconnect();
        return { frames, longTasks, maxRows, virtual: !!w.document.querySelector('[data-testid=apply-viewport]') };
      },
      { ms: MEASURE_MS, step: 120 },
    );
    const events = job.events - eventsBefore;
    const sorted = m.frames.slice(1).sort((a, b) => a - b);
    Object.assign(figures, {
      table: m.virtual ? 'virtualised' : 'all rows',
      frames: sorted.length,
      frameP50Ms: r1(pct(sorted, 50)),
      frameP95Ms: r1(pct(sorted, 95)),
      frameMaxMs: r1(sorted.at(-1) ?? 0),
      longTasks: m.longTasks.length,
      longTaskTotalMs: Math.round(m.longTasks.reduce((a, b) => a + b, 0)),
      maxDomRows: m.maxRows,
      hostStepEvents: events,
      eventsPerSecond: Math.round((events * 1000) / MEASURE_MS),
      // Frame times depend on what else this machine runs: the 1-minute load average, for reading them.
      loadAverage1m: r1(loadavg()[0]!),
    });
    console.log(`[e2e apply-500] while streaming and scrolling: ${JSON.stringify(figures)}`);
    // Events really streamed during the window (the job was still running).
    expect(events).toBeGreaterThan(100);
    expect(m.maxRows).toBeGreaterThan(0);
    expect(m.maxRows).toBeLessThanOrEqual(ROW_BOUND);
  }, 120_000);

  it("the job's counts are right when it ends, and every host's final status is reachable by scrolling", async () => {
    const { page } = s;
    await page.locator('[data-testid=job-status][data-status=failed]').waitFor({ timeout: 60_000 });
    await page.getByText(`Hosts done — ${HOSTS} of ${HOSTS}`).waitFor({ timeout: 30_000 });
    await page
      .getByTestId('blocked-banner')
      .getByText(`${expected('blocked')} host(s) blocked`)
      .waitFor();
    await page.getByText(`${expected('failed')} host(s) failed.`).waitFor();
    await page.getByRole('button', { name: `Retry ${expected('failed')} failed` }).waitFor();
    const counts = (await page.getByTestId('apply-counts').textContent())!;
    for (const [st, label] of [
      ['failed', 'failed'],
      ['blocked', 'blocked'],
      ['succeeded_with_warnings', 'succeeded with warnings'],
      ['skipped', 'skipped'],
    ] as const)
      expect(counts).toContain(`${expected(st)} ${label}`);
    expect(counts).toMatch(new RegExp(`(^| )${expected('succeeded')} succeeded( ·|$)`));
    await s.shot('apply-500');

    // Scroll the table from top to bottom, half a view at a time, collecting what each row says.
    const seen = await page.evaluate(async () => {
      const w = globalThis as unknown as PageGlobals;
      const vp = w.document.querySelector('[data-testid=apply-viewport]')!;
      const rows = new Map<string, string>();
      let maxRows = 0;
      const frame = () => new Promise((r) => w.requestAnimationFrame(r));
      vp.scrollTop = 0;
      await frame();
      for (let guard = 0; guard < 2000; guard++) {
        await frame();
        const shown = w.document.querySelectorAll('[data-testid=apply-row]');
        maxRows = Math.max(maxRows, shown.length);
        for (let i = 0; i < shown.length; i++) rows.set(shown[i]!.getAttribute('data-host')!, shown[i]!.getAttribute('data-status')!);
        if (vp.scrollTop + vp.clientHeight >= vp.scrollHeight - 1) break;
        vp.scrollTop += Math.max(1, Math.floor(vp.clientHeight / 2));
      }
      return { rows: [...rows], maxRows };
    });
    const shown = new Map(seen.rows);
    expect(shown.size).toBe(HOSTS);
    for (let i = 0; i < HOSTS; i++) expect(shown.get(hostName(i)), hostName(i)).toBe(finalStatusOf(i));
    expect(seen.maxRows).toBeLessThanOrEqual(ROW_BOUND);
    figures.maxDomRowsScrollingAll = seen.maxRows;
  }, 90_000);

  it('keyboard and grid semantics: one tab stop, arrows/Home/End move the active row, Enter opens its log', async () => {
    const { page } = s;
    const grid = page.getByRole('grid', { name: /Hosts in this job/ });
    expect(await grid.getAttribute('aria-rowcount')).toBe(String(HOSTS + 1));
    await grid.focus();
    await page.keyboard.press('Home');
    const active = async () => {
      const id = await grid.getAttribute('aria-activedescendant');
      if (id === null) return { host: null, index: null };
      const row = page.locator(`[id="${id}"]`);
      return { host: await row.getAttribute('data-host'), index: await row.getAttribute('aria-rowindex') };
    };
    // The active row is set on the next frame after the key: poll, never read once.
    await expect.poll(active).toEqual({ host: hostName(0), index: '2' });
    await page.keyboard.press('ArrowDown');
    await expect.poll(active).toEqual({ host: hostName(1), index: '3' });
    await page.keyboard.press('End');
    await expect.poll(async () => (await active()).host).toBe(hostName(HOSTS - 1));
    expect((await active()).index).toBe(String(HOSTS + 1));
    await page.keyboard.press('PageUp');
    await expect.poll(async () => Number((await active()).index)).toBeLessThan(HOSTS + 1);
    await page.keyboard.press('Enter');
    const host = (await active()).host!;
    await page
      .getByRole('region', { name: `Log of ${host}` })
      .getByText('synthetic job')
      .waitFor();
    // The Log buttons are not tab stops of their own (the grid is one).
    expect(await page.getByRole('button', { name: `Open the log of ${host}` }).getAttribute('tabindex')).toBe('-1');
  });

  it('filters by status (counts unchanged) and sorts by status, worst first', async () => {
    const { page } = s;
    const filter = page.getByTestId('apply-filter');
    await filter.selectOption('failed');
    await expect.poll(() => page.getByTestId('apply-row').count()).toBe(expected('failed'));
    expect(await page.locator('[data-testid=apply-row]:not([data-status=failed])').count()).toBe(0);
    expect(await page.getByRole('grid', { name: /Hosts in this job/ }).getAttribute('aria-rowcount')).toBe(String(expected('failed') + 1));
    expect(await page.getByTestId('apply-counts').textContent()).toContain(`${expected('blocked')} blocked`);
    await filter.selectOption('problems');
    await expect
      .poll(() => page.getByRole('grid', { name: /Hosts in this job/ }).getAttribute('aria-rowcount'))
      .toBe(String(expected('failed') + expected('blocked') + 1));
    await filter.selectOption('all');
    await page.getByRole('columnheader', { name: 'Status' }).getByRole('button').click();
    await page.locator('[role=columnheader][aria-sort=ascending]', { hasText: 'Status' }).waitFor();
    expect(await page.getByTestId('apply-row').first().getAttribute('data-status')).toBe('failed');
    expect(s.problems).toEqual([]);
  });
});
