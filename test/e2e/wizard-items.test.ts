/**
 * Issue 15 items 8-10 in real Chromium at 1280 px, against the real service over the loopback
 * server: prerequisites readable at 500 hosts, selections that mean what they say, the wizard's
 * language (words, not CLI flags; uploads; a used sign-in link). Screenshots:
 * test/artifacts/e2e/item8-*.png, item9-*.png, item10-*.png.
 *
 * 500 SSH hosts cannot run here (the lab has a handful), so for `check.run` only, the facts of
 * each host come from the recorded facts fixtures (test/fixtures/facts, real facts.sh output)
 * instead of a live SSH session; the checks, the grouping, the stored check run and the HTML
 * report are the real ones. Everything else is the real service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCheckRunDocument, groupByCheck } from '../../src-main/checks/index.ts';
import { runChecks } from '../../src-main/checks/registry.ts';
import type { ServiceApi } from '../../src-main/service/contract.ts';
import { nowIso } from '../../src-main/store/db.ts';
import type { Store } from '../../src-main/store/store.ts';
import { fixtureNames, loadFacts } from '../unit/checks/facts-fixtures.ts';
import { CHROMIUM, chromiumMissing, goStep, inventoryCsv, openSession, type Session } from './harness.ts';

/** This file is type-checked without the DOM library: the page's globals used in evaluate(), typed by hand. */
type Page = {
  document: { documentElement: { scrollWidth: number; clientWidth: number; scrollHeight: number } };
  scrollTo(x: number, y: number): void;
  requestAnimationFrame(cb: () => void): void;
};

const noBrowser = chromiumMissing();
if (noBrowser) console.warn(`[e2e items] skipped: ${noBrowser}`);

/** check.run over recorded facts (see the header); the rest goes to the real service. */
function factsFromFixtures(service: ServiceApi, store: Store): ServiceApi {
  const linux = fixtureNames().filter((f) => f.startsWith('linux-'));
  return {
    call: (async (name: string, input: Record<string, unknown>, opts?: unknown) => {
      if (name !== 'check.run') return service.call(name as never, input as never, opts as never);
      const hosts = store.hosts.select(String(input.hosts ?? 'all'));
      const results = hosts.map((h, i) => ({
        host: h.name,
        result: runChecks({
          facts: loadFacts(linux[i % linux.length]!),
          componentId: input.component as never,
          version: '9.62.7096.1',
          settings: { configurationServer: 'cs.lab' },
          probes: [
            { target: 'cs.lab', port: 443, ok: i % 9 !== 0 },
            { target: 'cs.lab', port: 9443, ok: true },
          ],
        }),
      }));
      const doc = toCheckRunDocument(String(input.component), '9.62.7096.1', results);
      const runId = `c-e2e${Date.now().toString(16)}`;
      store.db
        .prepare('INSERT INTO check_runs (id, created_at, component, version, document) VALUES (?, ?, ?, ?, ?)')
        .run(runId, nowIso(), String(input.component), '9.62.7096.1', JSON.stringify(doc));
      return { ok: true, value: { ...doc, runId, byCheck: groupByCheck(doc) } };
    }) as ServiceApi['call'],
  };
}

describe.skipIf(!!noBrowser)(`wizard: prerequisites at 500 hosts, selections, the wizard's language${noBrowser ? ` (skipped: ${noBrowser})` : ''}`, () => {
  let s: Session;
  const figures: Record<string, number | string> = {};

  beforeAll(async () => {
    s = await openSession({ wrap: factsFromFixtures });
    await s.page.setViewportSize({ width: 1280, height: 900 });
    await s.page.goto(s.server.url);
    await s.page.getByTestId('step-heading').waitFor();
  }, 120_000);
  afterAll(async () => {
    console.log(`[e2e items] figures: ${JSON.stringify(figures)}`);
    await s?.close();
  });

  /** Nothing is wider than the window (no horizontal scroll bar at 1280 px). */
  const overflow = () =>
    s.page.evaluate(() => {
      const d = (globalThis as unknown as Page).document.documentElement;
      return d.scrollWidth - d.clientWidth;
    });

  it('item 10: a used sign-in link shows a page that says how to get a new one', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
      const r = await page.goto(s.server.url);
      expect(r?.status()).toBe(401);
      await page.getByRole('heading', { name: 'This sign-in link was already used' }).waitFor();
      expect(await page.textContent('body')).toMatch(/To get a new link[\s\S]*Ctrl[\s\S]*asr-deploy serve[\s\S]*prints a new link/);
      await page.screenshot({ path: `${join(import.meta.dirname, '../artifacts/e2e')}/item10-used-link.png`, fullPage: true });
      // Without any link: the same directions.
      await page.goto(s.server.origin + '/');
      await page.getByRole('heading', { name: 'Not signed in' }).waitFor();
    } finally {
      await browser.close();
    }
  });

  it('item 9: with nothing selected, host actions are disabled until "all N hosts" is chosen', async () => {
    const { page } = s;
    await goStep(page, 'Hosts');
    await page.getByTestId('import-file').setInputFiles({ name: 'fleet.csv', mimeType: 'text/csv', buffer: Buffer.from(inventoryCsv(500)) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByTestId('host-count').filter({ hasText: '500 of 500 hosts · 0 selected' }).waitFor({ timeout: 30_000 });
    // Bulk actions on the selection are off with nothing selected.
    expect(await page.getByRole('button', { name: 'Remove selected' }).isDisabled()).toBe(true);
    await goStep(page, 'Prerequisites');
    await page.getByLabel('Component').selectOption('mobility-service');
    const scope = page.getByTestId('host-scope');
    await scope.getByText('No host is selected.').waitFor();
    const run = page.getByRole('button', { name: /^Run checks/ });
    expect(await run.isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Gather facts' }).isDisabled()).toBe(true);
    await s.shot('item9-nothing-selected');
    await scope.getByLabel(/all 500 hosts in the inventory/).check();
    await page.getByRole('button', { name: 'Run checks on 500 hosts' }).waitFor();
    expect(await page.getByRole('button', { name: 'Run checks on 500 hosts' }).isEnabled()).toBe(true);
    // The Plan step asks the same question: the choice holds across steps until a selection is made.
    await goStep(page, 'Plan');
    await page
      .getByTestId('host-scope')
      .getByLabel(/all 500 hosts/)
      .waitFor();
    expect(
      await page
        .getByTestId('host-scope')
        .getByLabel(/all 500 hosts/)
        .isChecked(),
    ).toBe(true);
    await s.shot('item9-all-hosts-chosen');
  });

  it('item 8: the Prerequisites step leads with failures grouped by check, then a per-host drill-down; nothing overflows at 1280 px', async () => {
    const { page } = s;
    await goStep(page, 'Prerequisites');
    const t0 = Date.now();
    await page.getByRole('button', { name: 'Run checks on 500 hosts' }).click();
    await page.getByTestId('prereq-summary').waitFor({ timeout: 60_000 });
    figures.checkClickToSummaryMs = Date.now() - t0;
    await page.getByTestId('prereq-render-ms').waitFor();
    figures.prereqRenderMs = Number((await page.getByTestId('prereq-render-ms').textContent())!.match(/(\d+) ms/)![1]);
    const groups = page.getByTestId('check-group');
    expect(await groups.count()).toBeGreaterThan(1);
    // Each group: its verdict, how many hosts, the remedy once, the hosts listed (24, then "show all").
    const first = groups.first();
    const n = Number((await first.getByTestId('group-count').textContent())!.match(/(\d+)/)![1]);
    expect(n).toBeGreaterThan(24);
    expect(await first.locator('.remedy').count()).toBeGreaterThanOrEqual(1);
    expect(await first.getByRole('list').getByRole('button').count()).toBe(25);
    await first.getByRole('button', { name: `show all ${n}` }).click();
    expect(await first.getByRole('list').getByRole('button').count()).toBe(n + 1);
    // The groups come before the hosts, the hosts worst first, 100 at a time.
    expect(await page.getByTestId('prereq-host').count()).toBe(100);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await s.shot('item8-prereq-500-groups');

    // Frame times while scrolling the whole view (recorded, not asserted).
    const frames = await page.evaluate(async () => {
      const times: number[] = [];
      let last = performance.now();
      const w = globalThis as unknown as Page;
      const H = w.document.documentElement.scrollHeight;
      for (let y = 0; y < H; y += 400) {
        w.scrollTo(0, y);
        await new Promise((r) => w.requestAnimationFrame(() => r(null)));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return { frames: times.length, medianMs: times[Math.floor(times.length / 2)] ?? 0, worstMs: times.at(-1) ?? 0 };
    });
    figures.scrollFrames = frames.frames;
    figures.scrollFrameMedianMs = Math.round(frames.medianMs * 10) / 10;
    figures.scrollFrameWorstMs = Math.round(frames.worstMs * 10) / 10;

    // A host in a group opens its drill-down: evidence and what to do per failing check.
    const host = (await first.getByRole('list').getByRole('button').first().textContent())!.trim();
    await first.getByRole('button', { name: host, exact: true }).click();
    const entry = page.locator(`[data-testid=prereq-host][data-host="${host}"]`);
    await entry.locator('.detail').waitFor();
    expect(await entry.textContent()).toMatch(/Evidence:[\s\S]*What to do:/);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await s.shot('item8-prereq-500-drill');
  });

  it('item 8: the HTML check report of the 500 hosts leads with the groups too, and fits 1280 px', async () => {
    const { page } = s;
    await page.getByTestId('prereq-filter').fill('');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'HTML report' }).click()]);
    const path = join(s.home, 'check-report.html');
    await download.saveAs(path);
    const html = readFileSync(path, 'utf8');
    expect(html.indexOf('What to fix, by check')).toBeLessThan(html.indexOf('<h2>Hosts</h2>'));
    expect(html.match(/<details class="host">/g)).toHaveLength(500);
    const report = await s.context.newPage();
    try {
      await report.setViewportSize({ width: 1280, height: 900 });
      await report.goto(`file://${path}`);
      expect(
        await report.evaluate(() => {
          const d = (globalThis as unknown as Page).document.documentElement;
          return d.scrollWidth - d.clientWidth;
        }),
      ).toBeLessThanOrEqual(0);
      const artifacts = join(import.meta.dirname, '../artifacts/e2e');
      await report.screenshot({ path: `${artifacts}/item8-check-report-500.png` });
      await report.locator('details.host').first().locator('summary').click();
      await report.screenshot({ path: `${artifacts}/item8-check-report-500-drill.png` });
    } finally {
      await report.close();
    }
  });

  it('item 10: validation in words, remedies that name fields and buttons, no server paths; files are uploaded through the page', async () => {
    const { page } = s;
    await goStep(page, 'Hosts');
    const add = page.getByRole('form', { name: 'Add by hand' });
    await add.getByLabel('Address').fill('10.9.0.1');
    await add.getByLabel('Port').fill('70000');
    await add.getByRole('button', { name: 'Add host' }).click();
    const alert = page.getByRole('alert');
    await alert.getByText('Port must be a number from 1 to 65535.').waitFor();
    await s.shot('item10-port-in-words');
    expect((await s.call('hosts.list', { hosts: 'all' })).some((h) => h.address === '10.9.0.1')).toBe(false);

    // Select three hosts (a filter, then "select all shown") for the Plan and the Summary.
    await page.getByTestId('host-filter').fill('tag:rack-1 tag:web');
    await page
      .getByTestId('host-count')
      .filter({ hasText: /^2 of 500/ })
      .waitFor();
    const shown = Number((await page.getByTestId('host-count').textContent())!.match(/^(\d+) of/)![1]);
    await page.getByLabel(new RegExp(`Select all ${shown} shown hosts`)).check();
    await page
      .getByTestId('host-count')
      .filter({ hasText: `${shown} selected` })
      .waitFor();

    // The installers are uploaded from the page (a browser cannot name a folder on the server).
    await goStep(page, 'Installers');
    await page
      .getByLabel(/^Installer folder/)
      .setInputFiles([
        { name: 'Microsoft-ASR_UA_9.62.7096.1_UBUNTU-22.04-64_GA_01Jan2025_release.tar.gz', mimeType: 'application/gzip', buffer: Buffer.alloc(64 * 1024, 7) },
      ]);
    await page.getByTestId('installer-folder-chosen').waitFor({ timeout: 30_000 });
    await page.getByRole('table', { name: 'Installers' }).waitFor();
    await s.shot('item10-installers-uploaded');

    // A plan for hosts without a credential: every row blocked, its reason in the wizard's words.
    await goStep(page, 'Plan');
    await page.getByLabel('Component').selectOption('mobility-service');
    await page.getByLabel(/Passphrase file/).setInputFiles({ name: 'connection.passphrase', mimeType: 'text/plain', buffer: Buffer.from('e2e-passphrase\n') });
    await page.getByTestId('passphrase-file-chosen').waitFor();
    await page.getByRole('button', { name: new RegExp(`^Make plan for ${shown} hosts`) }).click();
    await page.getByTestId('plan-id').waitFor({ timeout: 60_000 });
    const body = (await page.textContent('main'))!;
    expect(body).not.toMatch(/(^|[\s`(])--[a-z]/);
    expect(body).not.toMatch(/asr-deploy (hosts|trust|credentials|plan|apply|check|jobs)\b/);
    expect(body).not.toContain(s.home);
    expect(body).not.toContain('/uploads/');
    await s.shot('item10-plan-in-words');
  });

  it('item 9: the Summary names the hosts', async () => {
    const { page } = s;
    await goStep(page, 'Summary');
    const selected = page.getByTestId('summary-selected');
    await selected.waitFor();
    const names = (await s.call('ui.state.get', {})).selectedHosts;
    const inventory = new Map((await s.call('hosts.list', { hosts: 'all' })).map((h) => [h.id, h.name]));
    for (const id of names.slice(0, 5)) expect(await selected.textContent()).toContain(inventory.get(id));
    await s.shot('item9-summary-names');
    expect(s.problems).toEqual([]);
  });
});
