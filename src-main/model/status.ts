/**
 * The one list of job statuses and the one list of host statuses. The journal stores them, the
 * service contract validates them, the CLI, the reports and the wizard render them: all import
 * these, so a new status is added here once.
 */

/** Where a host of a job is. `pending`/`running` exist only while a job runs (or was interrupted). */
export const HOST_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'succeeded_with_warnings',
  'awaiting_config',
  'failed',
  'skipped',
  'cancelled',
  'blocked',
] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];

/** What a finished run reports per host (a host still pending/running when a run ends is `cancelled`). */
export const HOST_RESULT_STATUSES = [
  'succeeded',
  'succeeded_with_warnings',
  'awaiting_config',
  'failed',
  'skipped',
  'cancelled',
  'blocked',
] as const satisfies readonly HostStatus[];
export type HostResultStatus = (typeof HOST_RESULT_STATUSES)[number];

/** A host in one of these is done for this run: resume does not start it again (unless --retry-failed). */
export const TERMINAL: ReadonlySet<HostStatus> = new Set<HostStatus>(HOST_RESULT_STATUSES);

/**
 * A job's status. `completed_with_blocked`: every host that could run did, without a failure, but
 * some hosts were blocked (prerequisites, unreachable at plan time): not a success (exit 4).
 * `awaiting_config`: no failure, and hosts wait for their replication appliance config files
 * (`jobs config-requests` / `jobs configure`; exit 0 when no host was blocked, else 4).
 * `interrupted` is never stored: it is a running job whose owner process died.
 */
export const JOB_STATUSES = [
  'pending',
  'running',
  'cancelling',
  'succeeded',
  'awaiting_config',
  'completed_with_blocked',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Is the job's run still under way? A Record over the union: a new status must say. `interrupted`
 * is not: its run ended when its owner died (`jobs resume` starts another).
 */
const UNDERWAY: Record<JobStatus, boolean> = {
  pending: true,
  running: true,
  cancelling: true,
  succeeded: false,
  awaiting_config: false,
  completed_with_blocked: false,
  failed: false,
  cancelled: false,
  interrupted: false,
};

/** The job statuses of a run still under way (pending, running, cancelling); every other one ends the run. */
export const JOB_UNDERWAY: ReadonlySet<JobStatus> = new Set(JOB_STATUSES.filter((s) => UNDERWAY[s]));

/** A status that ends the job's run; false for a run under way and for words that are not job statuses (`created`). */
export function endsJobRun(status: string): boolean {
  return (JOB_STATUSES as readonly string[]).includes(status) && !JOB_UNDERWAY.has(status as JobStatus);
}

/** The job status a finished run ends in, from its hosts (cli.md). */
export function finalJobStatus(hosts: readonly { status: HostStatus }[], opts: { cancelled: boolean; budgetExhausted?: boolean }): JobStatus {
  if (opts.cancelled) return 'cancelled';
  if (opts.budgetExhausted || hosts.some((h) => h.status === 'failed')) return 'failed';
  if (hosts.some((h) => h.status === 'awaiting_config')) return 'awaiting_config';
  if (hosts.some((h) => h.status === 'blocked')) return 'completed_with_blocked';
  return 'succeeded';
}

/** The counts every summary shows (CLI, report, `jobs list`, the wizard). */
export interface OutcomeCounts {
  installed: number;
  upgraded: number;
  /** Installed or upgraded, now waiting for the appliance's configuration file (CSPrime). */
  awaitingConfig: number;
  skipped: number;
  blocked: number;
  failed: number;
  cancelled: number;
  /** Not finished: a job still running or interrupted. */
  pending: number;
  /** Hosts an operation job changed (`proxy apply`: settings applied; `components uninstall`: removed): action `proxy` / `uninstall`. */
  changed?: number;
}

/** The job-host actions of operation jobs (no plan): their successes count as `changed`, not installed. */
export const OPERATION_ACTIONS: ReadonlySet<string> = new Set(['proxy', 'uninstall']);

/** Counts of a job's hosts: installed / upgraded by the host's planned action, the rest by status. */
export function outcomeCounts(hosts: readonly { status: HostStatus | string; action?: string | null }[]): OutcomeCounts {
  const c: OutcomeCounts = { installed: 0, upgraded: 0, awaitingConfig: 0, skipped: 0, blocked: 0, failed: 0, cancelled: 0, pending: 0, changed: 0 };
  for (const h of hosts) {
    switch (h.status) {
      case 'succeeded':
      case 'succeeded_with_warnings':
        if (h.action === 'upgrade') c.upgraded++;
        else if (h.action && OPERATION_ACTIONS.has(h.action)) c.changed = (c.changed ?? 0) + 1;
        else c.installed++;
        break;
      case 'awaiting_config':
        c.awaitingConfig++;
        break;
      case 'skipped':
        c.skipped++;
        break;
      case 'blocked':
        c.blocked++;
        break;
      case 'failed':
        c.failed++;
        break;
      case 'cancelled':
        c.cancelled++;
        break;
      default:
        c.pending++;
    }
  }
  return c;
}

/** "3 installed, 1 upgraded, 0 skipped, 1 blocked, 0 failed" (+ awaiting config / cancelled / pending when any). */
export function formatCounts(c: OutcomeCounts): string {
  const parts = c.changed ? [`${c.changed} changed`] : [`${c.installed} installed`, `${c.upgraded} upgraded`];
  if (c.awaitingConfig) parts.push(`${c.awaitingConfig} awaiting config`);
  parts.push(`${c.skipped} skipped`, `${c.blocked} blocked`, `${c.failed} failed`);
  if (c.cancelled) parts.push(`${c.cancelled} cancelled`);
  if (c.pending) parts.push(`${c.pending} not finished`);
  return parts.join(', ');
}
