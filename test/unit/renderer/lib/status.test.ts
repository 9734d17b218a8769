/** The wizard's status words: one tone table for jobs and hosts, words for every status of the contract. */
import { describe, expect, it } from 'vitest';
import { HOST_STATUSES, JOB_STATUSES } from '../../../../src-main/model/status.ts';
import { HOST_FINAL, STATUS_TONE, hostWords, jobWords } from '../../../../src-renderer/lib/status.ts';

describe('status words', () => {
  it('every job and host status has its own label and the one tone of STATUS_TONE', () => {
    for (const st of JOB_STATUSES) expect(jobWords(st)).toEqual({ label: expect.not.stringMatching(/_/), tone: STATUS_TONE[st] });
    for (const st of HOST_STATUSES) expect(hostWords(st)).toEqual({ label: expect.not.stringMatching(/_/), tone: STATUS_TONE[st] });
    // A status both have shows in one colour, even where the words differ.
    expect(jobWords('pending').label).not.toBe(hostWords('pending').label);
    expect(jobWords('pending').tone).toBe(hostWords('pending').tone);
    expect(Object.keys(STATUS_TONE).sort()).toEqual([...new Set([...JOB_STATUSES, ...HOST_STATUSES])].sort());
  });

  it('a status this renderer does not know is shown in its own words, muted', () => {
    expect(hostWords('rebooting_now')).toEqual({ label: 'rebooting now', tone: 'muted' });
    expect(jobWords('paused')).toEqual({ label: 'paused', tone: 'muted' });
  });

  it('final host statuses are the ones that end a host for this run', () => {
    expect([...HOST_FINAL].sort()).toEqual(['awaiting_config', 'blocked', 'cancelled', 'failed', 'skipped', 'succeeded', 'succeeded_with_warnings']);
  });
});
