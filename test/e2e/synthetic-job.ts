import type { CallOptions, CommandOutput, ServiceApi, ServiceEvent } from '../../src-main/service/contract.ts';

/**
 * A job of N synthetic hosts for the wizard's Apply step (500 hosts cannot install here: the lab
 * has a handful). It answers plan.show, apply.start, jobs.show, jobs.cancel and jobs.logs for its own plan and
 * job and hands every other call to the real service. Its journal is kept in memory and it emits
 * what the engine emits (deploy/runner.ts), through the caller's `onEvent` (the real loopback
 * server broadcasts them to the page): `job` created/running/final, `host-step` started/succeeded
 * per step with `bytes`/`totalBytes` while staging, failed with the error and its remedy.
 */

type JobShow = CommandOutput<'jobs.show'>;
type JobHost = JobShow['hosts'][number];
type HostStatus = JobHost['status'];

export interface SyntheticJobOptions {
  hosts: number;
  /** Hosts in flight at once. */
  concurrency: number;
  /** One simulation tick, in ms: every host in flight moves and says so (bytes while staging). */
  tickMs: number;
  /** Ticks spent staging (the installer's bytes), then one tick per other step. */
  stageTicks: number;
}

const STEPS = ['connect', 'detect', 'stage', 'install', 'register', 'verify'] as const;
const INSTALLER_BYTES = 100 * 1024 * 1024;
const VERSION = '9.66.7597.1';

/** What each host ends as: a fixed mix, so the test knows every host's final status. */
export function finalStatusOf(i: number): HostStatus {
  if (i % 40 === 3) return 'blocked';
  if (i % 20 === 5) return 'skipped';
  if (i % 50 === 7) return 'failed';
  if (i % 25 === 11) return 'succeeded_with_warnings';
  return 'succeeded';
}

export const hostName = (i: number): string => `srv-${String(i).padStart(5, '0')}`;

interface SimHost {
  host: JobHost;
  final: HostStatus;
  step: number;
  tick: number;
}

export class SyntheticJob {
  readonly planId = 'p-synthetic500';
  readonly jobId = 'j-synthetic500';
  /** host-step events emitted so far (the test reads it around its measurement window). */
  events = 0;
  running = false;
  /** jobs.cancel was asked: no new host starts, hosts in flight finish (as the engine does). */
  private cancelRequested = false;
  private readonly opts: SyntheticJobOptions;
  private readonly sims: SimHost[];
  private status: JobShow['status'] = 'pending';
  private readonly createdAt = new Date().toISOString();

  constructor(opts: SyntheticJobOptions) {
    this.opts = opts;
    this.sims = Array.from({ length: opts.hosts }, (_, i) => {
      const final = finalStatusOf(i);
      const early = final === 'blocked' || final === 'skipped';
      const host: JobHost = {
        host: hostName(i),
        status: early ? final : 'pending',
        action: final === 'blocked' ? 'blocked' : final === 'skipped' ? 'skip' : 'install',
        version: final === 'skipped' ? VERSION : null,
        attempts: 0,
        steps: [],
        ...(final === 'blocked'
          ? {
              error: {
                code: 'prerequisite_failed',
                message: 'Prerequisite check linux.boot-space failed: 41 MB free on /boot, 100 MB needed.',
                remedy: 'Free space on /boot (remove old kernels), then check and plan again for this host.',
              },
            }
          : {}),
      };
      return { host, final, step: 0, tick: 0 };
    });
  }

  /** The final status the journal will have for every host. */
  get finals(): Map<string, HostStatus> {
    return new Map(this.sims.map((s) => [s.host.host, s.final]));
  }

  show(): JobShow {
    const hosts = this.sims.map((s) => ({ ...s.host, steps: s.host.steps.map((x) => ({ ...x })) }));
    const counts: Partial<Record<HostStatus, number>> = {};
    for (const h of hosts) counts[h.status] = (counts[h.status] ?? 0) + 1;
    const n = (st: HostStatus) => counts[st] ?? 0;
    return {
      id: this.jobId,
      kind: 'apply',
      planId: this.planId,
      status: this.status,
      createdAt: this.createdAt,
      updatedAt: new Date().toISOString(),
      counts,
      outcome: {
        installed: n('succeeded') + n('succeeded_with_warnings'),
        upgraded: 0,
        awaitingConfig: n('awaiting_config'),
        skipped: n('skipped'),
        blocked: n('blocked'),
        failed: n('failed'),
        cancelled: n('cancelled'),
        pending: n('pending') + n('running'),
      },
      acceptances: [],
      hosts,
    };
  }

  plan(): CommandOutput<'plan.show'> {
    const items = this.sims.map((s, i) => ({
      host: s.host.host,
      hostId: `h-${i}`,
      action: s.host.action as 'install' | 'skip' | 'blocked',
      from: s.final === 'skipped' ? VERSION : null,
      to: VERSION,
      reason: s.final === 'blocked' ? 'a prerequisite failed' : s.final === 'skipped' ? 'already current' : 'not installed',
    }));
    const count = (a: string) => items.filter((i) => i.action === a).length;
    return {
      planId: this.planId,
      createdAt: this.createdAt,
      component: 'mobility-service',
      version: VERSION,
      source: null,
      cs: null,
      csPort: null,
      passphraseRef: null,
      accepted: [],
      items,
      counts: { install: count('install'), upgrade: 0, skip: count('skip'), blocked: count('blocked') },
    } as unknown as CommandOutput<'plan.show'>;
  }

  /** Runs the job to its end, emitting as it goes; resolves with apply.start's result. */
  async run(emit: (e: ServiceEvent) => void): Promise<CommandOutput<'apply.start'>> {
    this.running = true;
    emit({ type: 'job', jobId: this.jobId, status: 'created', planId: this.planId });
    this.status = 'running';
    emit({ type: 'job', jobId: this.jobId, status: 'running' });
    const queue = this.sims.filter((s) => s.host.status === 'pending');
    const inFlight = new Set<SimHost>();
    const started = Date.now();
    const now = () => new Date().toISOString();
    const step = (s: SimHost, status: 'started' | 'succeeded' | 'failed', extra: Partial<Extract<ServiceEvent, { type: 'host-step' }>> = {}) => {
      this.events++;
      emit({ type: 'host-step', jobId: this.jobId, host: s.host.host, step: STEPS[s.step]!, status, elapsedMs: Date.now() - started, ...extra });
    };
    const begin = (s: SimHost) => {
      s.host.steps.push({ step: STEPS[s.step]!, status: 'running', attempt: 1, startedAt: now(), endedAt: null });
      step(s, 'started');
    };
    while (queue.length || inFlight.size) {
      if (this.cancelRequested && queue.length) {
        for (const s of queue.splice(0)) s.host.status = 'cancelled';
        this.status = 'cancelling';
        emit({ type: 'job', jobId: this.jobId, status: 'cancelling' });
      }
      while (inFlight.size < this.opts.concurrency && queue.length) {
        const s = queue.shift()!;
        s.host.status = 'running';
        s.host.attempts = 1;
        inFlight.add(s);
        begin(s);
      }
      await new Promise((r) => setTimeout(r, this.opts.tickMs));
      for (const s of [...inFlight]) {
        const name = STEPS[s.step]!;
        s.tick++;
        if (name === 'stage' && s.tick < this.opts.stageTicks) {
          step(s, 'started', { bytes: Math.round((INSTALLER_BYTES * s.tick) / this.opts.stageTicks), totalBytes: INSTALLER_BYTES });
          continue;
        }
        const last = s.host.steps.at(-1)!;
        last.endedAt = now();
        if (name === 'install' && s.final === 'failed') {
          last.status = 'failed';
          const error = {
            code: 'install_failed' as const,
            message: 'The Mobility service installer exited with 1 (UnifiedAgentInstaller: a required package is missing).',
            remedy: 'Install the missing package named in the host log, then use Retry failed.',
          };
          step(s, 'failed', { error: { ...error, retryable: true } });
          s.host.status = 'failed';
          s.host.error = error;
          inFlight.delete(s);
          continue;
        }
        last.status = 'succeeded';
        step(s, 'succeeded');
        s.tick = 0;
        s.step++;
        if (s.step === STEPS.length) {
          s.host.status = s.final;
          s.host.version = VERSION;
          inFlight.delete(s);
        } else begin(s);
      }
    }
    const show = this.show();
    this.status = this.cancelRequested ? 'cancelled' : show.counts.failed ? 'failed' : show.counts.blocked ? 'completed_with_blocked' : 'succeeded';
    emit({ type: 'job', jobId: this.jobId, status: this.status });
    this.running = false;
    return {
      jobId: this.jobId,
      planId: this.planId,
      status: this.status,
      outcome: show.outcome,
      hosts: show.hosts.map((h) => ({ host: h.host, status: h.status as never, action: h.action, version: h.version, ...(h.error ? { error: h.error } : {}) })),
    };
  }

  /** The service with this job in front of it. */
  wrap(service: ServiceApi): ServiceApi {
    return {
      call: (async (name: string, input: Record<string, unknown>, opts?: CallOptions) => {
        if (name === 'plan.show' && input.planId === this.planId) return { ok: true, value: this.plan() };
        if (name === 'apply.start' && input.planId === this.planId) return { ok: true, value: await this.run(opts?.onEvent ?? (() => undefined)) };
        if (name === 'jobs.show' && input.jobId === this.jobId) return { ok: true, value: this.show() };
        if (name === 'jobs.cancel' && input.jobId === this.jobId) {
          this.cancelRequested = true;
          return { ok: true, value: { jobId: this.jobId, status: 'cancelling' } };
        }
        if (name === 'jobs.logs' && input.jobId === this.jobId) {
          const host = String(input.host ?? '');
          return { ok: true, value: [{ host, path: `${host}.log`, text: `info  ${host}: synthetic job (test/e2e/synthetic-job.ts)\n` }] };
        }
        return service.call(name as never, input as never, opts);
      }) as ServiceApi['call'],
    };
  }
}
