import { describe, expect, it } from 'vitest';
import { finalJobStatus, formatCounts, outcomeCounts, HOST_RESULT_STATUSES, JOB_STATUSES } from '../../../src-main/model/status.ts';
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
