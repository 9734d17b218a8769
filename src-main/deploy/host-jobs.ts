import { setTimeout as sleep } from 'node:timers/promises';
import { AsrFailure, fail, toAsrError, type AsrError } from '../model/errors.ts';
import type { ServiceEvent } from '../model/events.ts';
import { forEachHost } from '../model/for-each-host.ts';
import type { Host } from '../model/host.ts';
import { stripUndefined } from '../model/objects.ts';
import { finalJobStatus, outcomeCounts, type HostStatus } from '../model/status.ts';
import { TERMINAL, type JobHost } from '../store/journal.ts';
import type { Store } from '../store/store.ts';
import { HostLog } from './host-log.ts';
import { watchJob } from './job-control.ts';
import { toResult, type ApplyResult } from './runner.ts';

/**
 * Operation jobs: work that changes hosts without a plan (`proxy apply`, `components uninstall`),
 * journalled like `apply` so `jobs show|logs|resume|cancel` and `report` work for them. The job
 * keeps the operation's inputs as its options; each host runs named steps, journalled before and
 * after, and a resumed job skips the hosts and steps that finished. Transient errors retry with
 * exponential back-off; a failure budget stops new hosts.
 */

export interface OperationRunOptions {
  concurrency?: number;
  maxFailures?: number;
  retries?: number;
  retryBaseMs?: number;
  /** On resume: run the hosts that failed or were cancelled too. */
  retryFailed?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: ServiceEvent) => void;
}

export interface OperationStepContext {
  store: Store;
  jobId: string;
  host: Host;
  signal: AbortSignal;
  log: HostLog;
  /**
   * One journalled step: skipped (its recorded detail returned) when an earlier run finished it;
   * a returned `error` fails the step with its detail kept, then the host.
   */
  step(name: string, run: () => Promise<{ detail: Record<string, unknown>; error?: AsrError | null }>): Promise<Record<string, unknown>>;
}

export interface HostOperation<O> {
  /** The job's kind (`jobs list`). */
  kind: string;
  /** The job-host action: it is what `outcome.changed` counts (model/status.ts OPERATION_ACTIONS). */
  action: 'proxy' | 'uninstall';
  defaults: { concurrency: number };
  /** Values to keep out of this host's log (its passwords, the proxy's). */
  secrets(store: Store, host: Host, options: O): (string | null | undefined)[];
  run(ctx: OperationStepContext, options: O): Promise<{ status: 'succeeded' | 'skipped' }>;
}

const DEFAULTS = { maxFailures: Number.POSITIVE_INFINITY, retries: 3, retryBaseMs: 2_000 };

/** The journal entry of an operation job: hosts to skip are recorded as skipped from the start. */
export function createOperationJob<O extends Record<string, unknown>>(
  store: Store,
  op: HostOperation<O>,
  options: O,
  hosts: { host: Host; skip?: string | null }[],
  run: Omit<OperationRunOptions, 'signal' | 'onEvent'> = {},
): string {
  return store.journal.createJob({
    kind: op.kind,
    planId: null,
    options: { ...options, run: stripUndefined(run) },
    hosts: hosts.map(({ host, skip }) => ({ hostId: host.id, host: host.name, action: op.action, version: null, status: skip ? 'skipped' : 'pending' })),
  }).id;
}

/** Runs (or resumes) an operation job; the same job can be run again after a crash or a cancel. */
export async function runOperationJob<O extends Record<string, unknown>>(
  store: Store,
  jobId: string,
  op: HostOperation<O>,
  options: OperationRunOptions = {},
): Promise<ApplyResult> {
  const job = store.journal.job(jobId);
  if (!job) fail('not_found', `No job ${jobId}.`, { remedy: 'See `asr-deploy jobs list`.' });
  if (job.kind !== op.kind) fail('validation', `Job ${jobId} is a ${job.kind} job, not ${op.kind}.`);
  const { run: saved, ...inputs } = job.options as O & { run?: OperationRunOptions };
  const opt = { ...DEFAULTS, concurrency: op.defaults.concurrency, ...(saved ?? {}), ...stripUndefined(options) };
  if (!store.journal.claim(jobId))
    fail('conflict', `Job ${jobId} is being run by another live process.`, { remedy: 'Wait for it, or cancel it with `asr-deploy jobs cancel`.' });
  const hostIds = new Map(store.journal.hosts(jobId).map((h) => [h.host, h.hostId]));
  const emit = (e: ServiceEvent) => {
    if (e.type === 'job' || e.type === 'host-step') store.journal.event(jobId, e.type === 'host-step' ? (hostIds.get(e.host) ?? null) : null, e.type, e);
    options.onEvent?.(e);
  };
  const abort = watchJob(store, jobId, options.signal);
  const jobHosts = store.journal.hosts(jobId);
  const queue = jobHosts.filter((h) => !TERMINAL.has(h.status) || (opt.retryFailed && (h.status === 'failed' || h.status === 'cancelled')));
  const queued = new Set(queue.map((h) => h.hostId));
  let failures = jobHosts.filter((h) => h.status === 'failed').length;
  let budgetExhausted = false;
  // The same host events as the runner's (deploy/runner.ts): the CLI's summary above 20 hosts counts them.
  emit({ type: 'job', jobId, status: 'running', hosts: jobHosts.length });
  for (const h of jobHosts) if (!queued.has(h.hostId)) emit({ type: 'host', jobId, host: h.host, status: h.status });
  const cancelled = (jh: JobHost, message: string) => {
    store.journal.setHost(jobId, jh.hostId, { status: 'cancelled', error: { code: 'cancelled', message, retryable: false } });
    emit({ type: 'host', jobId, host: jh.host, status: 'cancelled' });
  };
  try {
    const outcomes = await forEachHost(
      queue,
      async (jh) => {
        const host = store.hosts.get(jh.hostId);
        if (!host) {
          store.journal.setHost(jobId, jh.hostId, {
            status: 'failed',
            error: { code: 'not_found', message: 'The host was removed from the inventory after the job was made.', retryable: false },
          });
          emit({ type: 'host', jobId, host: jh.host, status: 'failed' });
          return 'failed';
        }
        emit({ type: 'host', jobId, host: jh.host, status: 'running' });
        const status = await runOperationHost(store, jobId, host, op, inputs as O, opt, abort.signal, emit);
        emit({ type: 'host', jobId, host: jh.host, status });
        if (status === 'failed' && ++failures > opt.maxFailures) budgetExhausted = true;
        return status;
      },
      {
        concurrency: opt.concurrency,
        signal: abort.signal,
        hostOf: (jh) => jh.host,
        stopReason: () => (budgetExhausted ? `not started: more than ${opt.maxFailures} host(s) failed (failure budget)` : null),
        onSettled: (o, p) => {
          if (!o.ok && !o.started) cancelled(o.item, o.error.message);
          emit({ type: 'progress', jobId, ...p, message: o.item.host });
        },
      },
    );
    // runOperationHost journals every failure of a host; a throw out of it is a bug of ours and ends the run.
    for (const o of outcomes) if (!o.ok && o.started) throw o.cause;
  } finally {
    abort.stop();
  }
  const hosts = store.journal.hosts(jobId);
  const final = finalJobStatus(hosts, { cancelled: abort.signal.aborted, budgetExhausted });
  store.journal.setJobStatus(jobId, final, null);
  emit({ type: 'job', jobId, status: final });
  const results = hosts.map(toResult);
  return { jobId, planId: null, status: final, outcome: outcomeCounts(results), hosts: results };
}

async function runOperationHost<O>(
  store: Store,
  jobId: string,
  host: Host,
  op: HostOperation<O>,
  inputs: O,
  opt: typeof DEFAULTS,
  signal: AbortSignal,
  emit: (e: ServiceEvent) => void,
): Promise<HostStatus> {
  let log: HostLog;
  try {
    log = new HostLog(
      store.home,
      jobId,
      host.name,
      op.secrets(store, host, inputs).filter((s): s is string => !!s),
    );
  } catch (e) {
    store.journal.setHost(jobId, host.id, { status: 'failed', error: toAsrError(e, host.name) });
    return 'failed';
  }
  const started = Date.now();
  const hostEvent = (step: string, status: 'started' | 'succeeded' | 'failed' | 'skipped' | 'retrying' | 'cancelled', error?: AsrError) =>
    emit({ type: 'host-step', jobId, host: host.name, step, status, elapsedMs: Date.now() - started, ...(error ? { error } : {}) });
  let current: string | null;
  const ctx: OperationStepContext = {
    store,
    jobId,
    host,
    signal,
    log,
    step: async (name, run) => {
      const prev = store.journal.step(jobId, host.id, name);
      if (prev?.status === 'succeeded') {
        hostEvent(name, 'skipped');
        return prev.detail ?? {};
      }
      store.journal.stepStarted(jobId, host.id, name);
      current = name;
      hostEvent(name, 'started');
      let out: { detail: Record<string, unknown>; error?: AsrError | null };
      try {
        out = await run();
      } catch (e) {
        const error = toAsrError(e, host.name);
        store.journal.stepEnded(jobId, host.id, name, 'failed', { error });
        throw new AsrFailure(error.code, error.message, error);
      }
      store.journal.stepEnded(jobId, host.id, name, out.error ? 'failed' : 'succeeded', { ...out.detail, ...(out.error ? { error: out.error } : {}) });
      if (out.error) throw new AsrFailure(out.error.code, out.error.message, out.error);
      current = null;
      hostEvent(name, 'succeeded');
      return out.detail;
    },
  };
  store.journal.setHost(jobId, host.id, { status: 'running' });
  for (let attempt = 1; ; attempt++) {
    store.journal.setHost(jobId, host.id, { attemptsDelta: 1 });
    log.line(`attempt ${attempt}: ${op.kind}`);
    current = null;
    try {
      const r = await op.run(ctx, inputs);
      store.journal.setHost(jobId, host.id, { status: r.status, error: null });
      log.line(`done: ${r.status}`);
      return r.status;
    } catch (e) {
      const err = toAsrError(e, host.name);
      const step = current ?? 'connect';
      log.line(`error (${err.code}): ${err.message}${err.remedy ? `\nremedy: ${err.remedy}` : ''}`);
      const isCancel = signal.aborted || err.code === 'cancelled';
      if (!isCancel && err.retryable && attempt < opt.retries) {
        const delay = Math.min(opt.retryBaseMs * 2 ** (attempt - 1), 60_000) * (0.75 + Math.random() * 0.5);
        hostEvent(step, 'retrying', err);
        log.line(`retrying in ${Math.round(delay)} ms`);
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          /* cancelled while waiting */
        }
        if (!signal.aborted) continue;
      }
      const final: HostStatus = isCancel || signal.aborted ? 'cancelled' : 'failed';
      store.journal.setHost(jobId, host.id, { status: final, error: final === 'cancelled' ? { ...err, code: 'cancelled', retryable: false } : err });
      hostEvent(step, final === 'cancelled' ? 'cancelled' : 'failed', err);
      return final;
    }
  }
}
