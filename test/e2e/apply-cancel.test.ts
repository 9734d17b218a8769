/**
 * Cancelling a job from the Apply step asks with the app's own dialog (not window.confirm), by
 * keyboard alone: the dialog is modal, the safe answer has the focus, Escape answers no and gives
 * the focus back, Tab reaches the confirm button, Enter cancels. A small synthetic job
 * (synthetic-job.ts) runs slowly enough to be cancelled; the rest is the real service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, openSession, type Session } from './harness.ts';
import { SyntheticJob } from './synthetic-job.ts';

const noBrowser = chromiumMissing();
if (noBrowser) console.warn(`[e2e apply-cancel] skipped: ${noBrowser}`);

type Doc = { activeElement: { textContent: string | null } | null };
const focused = (s: Session) => s.page.evaluate(() => (globalThis as unknown as { document: Doc }).document.activeElement?.textContent?.trim() ?? null);

describe.skipIf(!!noBrowser)(`Apply: cancel asks with the app's dialog${noBrowser ? ` (skipped: ${noBrowser})` : ''}`, () => {
  let s: Session;
  const job = new SyntheticJob({ hosts: 12, concurrency: 2, tickMs: 300, stageTicks: 10 });

  beforeAll(async () => {
    s = await openSession({ wrap: (service) => job.wrap(service) });
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
    await s?.close();
  });

  it('Escape keeps the job running; Tab then Enter cancels it; no browser dialog is ever opened', async () => {
    const { page } = s;
    let browserDialogs = 0;
    page.on('dialog', (d) => {
      browserDialogs++;
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Apply plan…' }).click();
    await page
      .getByTestId('apply-confirm')
      .getByRole('button', { name: /^Apply to \d+ host\(s\)$/ })
      .click();
    await page.locator('[data-testid=job-status][data-status=running]').waitFor();

    const cancelJob = page.getByRole('button', { name: 'Cancel job' });
    await cancelJob.focus();
    await page.keyboard.press('Enter');
    const ask = page.getByRole('dialog', { name: `Cancel job ${job.jobId}?` });
    await ask.waitFor();
    expect(await ask.textContent()).toMatch(/finish their current step/);
    expect(await focused(s)).toBe('Keep it running');
    await s.shot('apply-cancel-dialog');
    await page.keyboard.press('Escape');
    await ask.waitFor({ state: 'hidden' });
    expect(await focused(s)).toBe('Cancel job');
    expect(await page.getByTestId('job-status').getAttribute('data-status')).toBe('running');

    await page.keyboard.press('Enter');
    await ask.waitFor();
    // Modal: Tab stays inside the dialog and reaches the confirm button.
    await page.keyboard.press('Shift+Tab');
    expect(await focused(s)).toBe('Yes, cancel the job');
    await page.keyboard.press('Enter');
    await ask.waitFor({ state: 'hidden' });
    await page.locator('[data-testid=job-status][data-status=cancelled]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid=apply-row][data-status=cancelled]').count()).toBeGreaterThan(0);
    expect(browserDialogs).toBe(0);
    expect(s.problems).toEqual([]);
  }, 120_000);
});
