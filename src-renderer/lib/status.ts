import type { Out } from './api.ts';

/**
 * The wizard's words and colours for the contract's status unions (jobs.show). A Record over the
 * union: a status added to the contract is a type error here until it has its words.
 */
export type JobStatus = Out<'jobs.show'>['status'];
export type HostStatus = Out<'jobs.show'>['hosts'][number]['status'];
export type Tone = 'ok' | 'warn' | 'bad' | 'muted' | 'busy';

export const JOB_WORDS: Record<JobStatus, { label: string; tone: Tone }> = {
  pending: { label: 'waiting to start', tone: 'muted' },
  running: { label: 'running', tone: 'busy' },
  cancelling: { label: 'cancelling (hosts in flight finish their step)', tone: 'warn' },
  succeeded: { label: 'succeeded', tone: 'ok' },
  completed_with_blocked: { label: 'completed, but some hosts were blocked and not installed', tone: 'warn' },
  awaiting_config: { label: 'installed; hosts wait for their appliance configuration', tone: 'warn' },
  failed: { label: 'failed', tone: 'bad' },
  cancelled: { label: 'cancelled', tone: 'bad' },
  interrupted: { label: 'interrupted (ASR Deploy stopped while it ran): resume it', tone: 'warn' },
};

export const HOST_WORDS: Record<HostStatus, { label: string; tone: Tone }> = {
  pending: { label: 'waiting', tone: 'muted' },
  running: { label: 'running', tone: 'busy' },
  succeeded: { label: 'succeeded', tone: 'ok' },
  succeeded_with_warnings: { label: 'succeeded with warnings', tone: 'warn' },
  awaiting_config: { label: 'installed, waiting for its appliance configuration', tone: 'warn' },
  failed: { label: 'failed', tone: 'bad' },
  skipped: { label: 'skipped (already current)', tone: 'ok' },
  cancelled: { label: 'cancelled', tone: 'bad' },
  blocked: { label: 'blocked (not installed)', tone: 'bad' },
};

export const JOB_RUNNING: ReadonlySet<string> = new Set<JobStatus>(['pending', 'running', 'cancelling']);
/** Done for this run, per host status (a Record over the union: a new status must say whether it is final). */
const IS_FINAL: Record<HostStatus, boolean> = { pending: false, running: false, succeeded: true, succeeded_with_warnings: true, awaiting_config: true, failed: true, skipped: true, cancelled: true, blocked: true };
export const HOST_FINAL: ReadonlySet<string> = new Set(Object.entries(IS_FINAL).filter(([, f]) => f).map(([s]) => s));

export function jobWords(status: string): { label: string; tone: Tone } {
  return (JOB_WORDS as Record<string, { label: string; tone: Tone }>)[status] ?? { label: status.replace(/_/g, ' '), tone: 'muted' };
}
export function hostWords(status: string): { label: string; tone: Tone } {
  return (HOST_WORDS as Record<string, { label: string; tone: Tone }>)[status] ?? { label: status.replace(/_/g, ' '), tone: 'muted' };
}
