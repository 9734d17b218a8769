import { describe, expect, it } from 'vitest';
import { endsJobRun, finalJobStatus, formatCounts, outcomeCounts, HOST_RESULT_STATUSES, JOB_STATUSES, JOB_UNDERWAY } from '../../../src-main/model/status.ts';
import { JOB_EVENT_STATUSES } from '../../../src-main/model/events.ts';
import { exitForJob } from '../../../src-main/cli/exit.ts';
import { ApplyResultSchema } from '../../../src-main/service/contract/deploy.ts';
import { HOST_STATUSES } from '../../../src-main/store/journal.ts';

describe('job and host statuses: one list each, shared by journal, contract and renderer', () => {
  it('a run with blocked hosts and no failure is completed_with_blocked (exit 4); any failure is failed (exit 1); cancelled wins (exit 3)', () => {
    const hosts = (...s: string[]) => s.map((status) => ({ status: status as never }));
    expect(finalJobStatus(hosts('succeeded', 'skipped'), { cancelled: false })).toBe('succeeded');
    expect(finalJobStatus(hosts('succeeded', 'blocked'), { cancelled: false })).toBe('completed_with_blocked');
    expect(finalJobStatus(hosts('blocked', 'blocked'), { cancelled: false })).toBe('completed_with_blocked');
    expect(finalJobStatus(hosts('blocked', 'failed'), { cancelled: false })).toBe('failed');
    expect(finalJobStatus(hosts('succeeded'), { cancelled: false, budgetExhausted: true })).toBe('failed');
    expect(finalJobStatus(hosts('failed'), { cancelled: true })).toBe('cancelled');
    expect(['succeeded', 'completed_with_blocked', 'failed', 'cancelled'].map((s) => exitForJob(s))).toEqual([0, 4, 1, 3]);
    // Waiting for appliance config files is exit 0, unless hosts of the same job were blocked.
    expect(exitForJob('awaiting_config', hosts('awaiting_config', 'succeeded'))).toBe(0);
    expect(exitForJob('awaiting_config', hosts('awaiting_config', 'blocked'))).toBe(4);
  });

  it('summaries count installed / upgraded / skipped / blocked / failed', () => {
    const c = outcomeCounts([
      { status: 'succeeded', action: 'install' },
      { status: 'succeeded_with_warnings', action: 'install' },
      { status: 'succeeded', action: 'upgrade' },
      { status: 'skipped', action: 'skip' },
      { status: 'blocked', action: 'blocked' },
      { status: 'failed', action: 'install' },
    ]);
    expect(c).toMatchObject({ installed: 2, upgraded: 1, skipped: 1, blocked: 1, failed: 1, cancelled: 0 });
    expect(formatCounts(c)).toBe('2 installed, 1 upgraded, 1 skipped, 1 blocked, 1 failed');
  });

  it('every job status is either a run under way or one that ends the run', () => {
    expect([...JOB_UNDERWAY].sort()).toEqual(['cancelling', 'pending', 'running']);
    const ending = JOB_STATUSES.filter((s) => endsJobRun(s));
    expect(ending.sort()).toEqual(['awaiting_config', 'cancelled', 'completed_with_blocked', 'failed', 'interrupted', 'succeeded']);
    for (const s of JOB_STATUSES) expect(JOB_UNDERWAY.has(s)).toBe(!endsJobRun(s));
    // A job event's `created` is not a job status: it ends nothing.
    expect(JOB_EVENT_STATUSES.filter((s) => !endsJobRun(s)).sort()).toEqual(['cancelling', 'created', 'pending', 'running']);
    // Every run a finished job reports ends it.
    for (const cancelled of [false, true]) expect(endsJobRun(finalJobStatus([{ status: 'failed' }], { cancelled }))).toBe(true);
  });

  it('the journal and the contract use the same lists', () => {
    expect(HOST_STATUSES).toContain('awaiting_config');
    for (const s of HOST_RESULT_STATUSES) expect(HOST_STATUSES).toContain(s);
    expect(JOB_STATUSES).toContain('completed_with_blocked');
    const outcome = outcomeCounts([]);
    expect(
      ApplyResultSchema.safeParse({
        jobId: 'j',
        planId: 'p',
        status: 'completed_with_blocked',
        outcome,
        hosts: [{ host: 'a', status: 'blocked', version: null }],
      }).success,
    ).toBe(true);
    expect(ApplyResultSchema.safeParse({ jobId: 'j', planId: 'p', status: 'done', outcome, hosts: [] }).success).toBe(false);
  });
});
