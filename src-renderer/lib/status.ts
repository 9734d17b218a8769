import type { CommandOutput } from '../../src-main/service/contract.ts';

/** The wizard's words and colours for the contract's status unions (jobs.show). Contract types only, so unit tests run it under Node. */
export type JobStatus = CommandOutput<'jobs.show'>['status'];
export type HostStatus = CommandOutput<'jobs.show'>['hosts'][number]['status'];
export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'busy';

/**
 * One tone per status word, for jobs and hosts alike: a status both have (running, failed,
 * awaiting_config…) has one colour wherever it shows. A Record over the union: a status added to
 * the contract is a type error here until it has its tone.
 */
export const STATUS_TONE: Record<JobStatus | HostStatus, Tone> = {
  pending: 'muted',
  running: 'busy',
  cancelling: 'warn',
  succeeded: 'ok',
  succeeded_with_warnings: 'warn',
  completed_with_blocked: 'warn',
  awaiting_config: 'warn',
  skipped: 'ok',
  failed: 'bad',
  cancelled: 'bad',
  blocked: 'bad',
  interrupted: 'warn',
};

/** The words: a job and a host say some statuses differently (a job waits to start, a host waits). */
const JOB_LABELS: Record<JobStatus, string> = {
  pending: 'waiting to start',
  running: 'running',
  cancelling: 'cancelling (hosts in flight finish their step)',
  succeeded: 'succeeded',
  completed_with_blocked: 'completed, but some hosts were blocked and not installed',
  awaiting_config: 'installed; hosts wait for their appliance configuration',
  failed: 'failed',
  cancelled: 'cancelled',
  interrupted: 'interrupted (ASR Deploy stopped while it ran): resume it',
};
const HOST_LABELS: Record<HostStatus, string> = {
  pending: 'waiting',
  running: 'running',
  succeeded: 'succeeded',
  succeeded_with_warnings: 'succeeded with warnings',
  awaiting_config: 'installed, waiting for its appliance configuration',
  failed: 'failed',
  skipped: 'skipped (already current)',
  cancelled: 'cancelled',
  blocked: 'blocked (not installed)',
};

export const JOB_RUNNING: ReadonlySet<string> = new Set<JobStatus>(['pending', 'running', 'cancelling']);
/** Done for this run, per host status (a Record over the union: a new status must say whether it is final). */
const IS_FINAL: Record<HostStatus, boolean> = {
  pending: false,
  running: false,
  succeeded: true,
  succeeded_with_warnings: true,
  awaiting_config: true,
  failed: true,
  skipped: true,
  cancelled: true,
  blocked: true,
};
export const HOST_FINAL: ReadonlySet<string> = new Set(
  Object.entries(IS_FINAL)
    .filter(([, f]) => f)
    .map(([s]) => s),
);

/** A status the renderer does not know yet (a newer service): its own word, muted. */
function words(labels: Record<string, string>, status: string): { label: string; tone: Tone } {
  return { label: labels[status] ?? status.replace(/_/g, ' '), tone: (STATUS_TONE as Record<string, Tone>)[status] ?? 'muted' };
}
export function jobWords(status: string): { label: string; tone: Tone } {
  return words(JOB_LABELS, status);
}
export function hostWords(status: string): { label: string; tone: Tone } {
  return words(HOST_LABELS, status);
}
