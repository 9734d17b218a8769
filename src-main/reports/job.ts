import type { Store } from '../store/store.ts';
import { stagingSummary, type JobReport } from './job-report.ts';
import { loadPlan } from '../deploy/plan.ts';

/** Builds the report document of a job from the journal. */
export function jobReport(store: Store, jobId: string): JobReport {
  const job = store.journal.job(jobId)!;
  const plan = job.planId ? loadPlan(store, job.planId) : null;
  const steps = store.journal.steps(jobId);
  return {
    jobId,
    kind: job.kind,
    planId: job.planId,
    status: store.journal.effectiveStatus(job),
    component: plan?.component ?? null,
    version: plan?.version ?? null,
    createdAt: job.createdAt,
    finishedAt: job.updatedAt,
    acceptances: plan
      ? (plan.acceptances ??
        plan.accepted.map((check) => ({
          check,
          by: null,
          at: plan.createdAt,
          hosts: plan.items.filter((i) => i.acceptedChecks?.includes(check)).map((i) => i.host),
        })))
      : [],
    hosts: store.journal.hosts(jobId).map((h) => {
      const mine = steps.filter((s) => s.hostId === h.hostId && s.startedAt);
      const first = mine.map((s) => Date.parse(s.startedAt!)).sort()[0];
      const last = mine
        .map((s) => Date.parse(s.endedAt ?? s.startedAt!))
        .sort()
        .at(-1);
      const planItem = plan?.items.find((i) => i.hostId === h.hostId);
      const error = h.error ?? (planItem?.action === 'blocked' ? { code: 'prerequisite_failed', message: planItem.reason, retryable: false } : null);
      return {
        host: h.host,
        action: h.action,
        status: h.status,
        version: h.version ?? planItem?.from ?? null,
        attempts: h.attempts,
        error: error ? { code: error.code, message: error.message, ...(error.remedy ? { remedy: error.remedy } : {}) } : null,
        durationMs: first !== undefined && last !== undefined ? last - first : null,
        ...stagingOf(steps, h.hostId),
      };
    }),
  };
}

/** `{staging}` when the host's stage step recorded how its installer came (pull, push, or a pull that fell back). */
export function stagingOf(steps: { hostId: string; step: string; detail?: Record<string, unknown> | null }[], hostId: string) {
  const staging = stagingSummary(steps.find((s) => s.hostId === hostId && s.step === 'stage')?.detail);
  return staging ? { staging } : {};
}
