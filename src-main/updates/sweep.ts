import { mkdirSync } from 'node:fs';
import { writeReportFile } from '../reports/write-report.ts';
import type { JobStatus } from '../model/status.ts';
import { join } from 'node:path';
import type { ComponentId } from '../components/catalog.ts';
import { recipeFor } from '../components/recipes.ts';
import { createPlan, type PlanDocument, type PlanItem } from '../deploy/plan.ts';
import { createJobFromPlan, runJob, type ApplyResult, type RunOptions } from '../deploy/runner.ts';
import { fail } from '../model/errors.ts';
import type { Host } from '../model/host.ts';
import { jobReport } from '../reports/job.ts';
import { renderJobReport } from '../reports/job-report.ts';
import { nowIso } from '../store/db.ts';
import type { Store } from '../store/store.ts';

/** Documented order: Provider on VMM before the MARS agents on its hosts; Mobility services last. */
const COMPONENT_ORDER: ComponentId[] = ['provider', 'mars-agent', 'mobility-service'];
/** Documented order within the Mobility service: configuration server → process servers → master targets → the rest. */
const ROLE_WAVES = ['role:configuration-server', 'role:process-server', 'role:master-target'];
/** Errors that mean "not there right now": the host goes on the retry list instead of failing the sweep. */
const OFFLINE = new Set(['unreachable', 'timeout']);

export interface SweepInput {
  hosts: string;
  source?: string;
  check: boolean;
  version?: string;
  concurrency?: number;
  schedule?: string;
  webhook?: string;
  run?: Omit<RunOptions, 'signal' | 'onEvent' | 'waves'>;
}

export interface RetryEntry {
  hostId: string;
  host: string;
  since: string;
  lastError: string;
}

export interface SweepResult {
  planId: string;
  plans: PlanDocument[];
  /** The first plan's fields, so `sweep --check --json` is the plan document of `plan` (cli.md). */
  component: string;
  version: string;
  items: PlanItem[];
  outdated: string[];
  retry: RetryEntry[];
  jobId?: string;
  status?: string;
  hosts?: ApplyResult['hosts'];
  report?: string | null;
}

const RETRY_KEY = 'sweep.retry';

/**
 * An update sweep: plan upgrades for every component with a recipe on the selected hosts (only
 * hosts behind the target version; current ones are `skip` and nothing is copied), then apply
 * them through the same engine in the documented order. Offline hosts land on the retry list and
 * are selected again by the next sweep.
 */
export async function runSweep(store: Store, input: SweepInput, ctl: { signal?: AbortSignal; onEvent?: RunOptions['onEvent'] } = {}): Promise<SweepResult> {
  if (!input.check && !input.source) fail('usage', 'An update sweep needs --source DIR with the installers (or --check to plan only).');
  const retryBefore = store.settings.get<RetryEntry[]>(RETRY_KEY) ?? [];
  const selected = store.hosts.select(input.hosts);
  // Hosts that were offline last time are tried again even when this sweep selects fewer.
  const retryHosts = retryBefore.map((r) => store.hosts.get(r.hostId)).filter((h): h is Host => !!h && !selected.some((s) => s.id === h.id));
  const hosts = [...selected, ...retryHosts];
  const plans: PlanDocument[] = [];
  for (const component of COMPONENT_ORDER) {
    const withRecipe = hosts.filter((h) => h.os && recipeFor(component, h.os));
    if (!withRecipe.length) continue;
    const plan = await createPlan(
      store,
      {
        component,
        ...(input.version ? { version: input.version } : {}),
        hosts: withRecipe.map((h) => h.id).join(','),
        upgradesOnly: true,
        accept: [],
        ...(input.source ? { source: input.source } : {}),
        ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      },
      {
        ...(ctl.signal ? { signal: ctl.signal } : {}),
        onHost: (i) => ctl.onEvent?.({ type: 'progress', done: 0, total: withRecipe.length, message: `${i.host}: ${component} ${i.action} (${i.reason})` }),
      },
    );
    plans.push(plan);
  }
  if (!plans.length)
    fail('validation', 'None of the selected hosts has a component this build can update.', {
      remedy: 'Check the hosts’ OS family (hosts list) and the recipes available (components list).',
    });

  const items = plans.flatMap((p) => p.items);
  const offline = items.filter((i) => i.action === 'blocked' && i.error && OFFLINE.has(i.error.code));
  const now = nowIso();
  const retry: RetryEntry[] = offline.map((i) => ({
    hostId: i.hostId,
    host: i.host,
    since: retryBefore.find((r) => r.hostId === i.hostId)?.since ?? now,
    lastError: `${i.error!.code}: ${i.error!.message}`,
  }));
  // Hosts that answered this time leave the list; hosts not examined this time stay on it.
  const examined = new Set(items.map((i) => i.hostId));
  const kept = retryBefore.filter((r) => !examined.has(r.hostId));
  store.settings.set(RETRY_KEY, [...kept, ...retry.filter((r, i, a) => a.findIndex((x) => x.hostId === r.hostId) === i)]);
  const outdated = [...new Set(items.filter((i) => i.action === 'upgrade').map((i) => i.host))];
  const first = plans[0]!;
  const result: SweepResult = { planId: first.planId, plans, component: first.component, version: first.version, items, outdated, retry };
  if (input.check) return result;

  const applied: ApplyResult['hosts'] = [];
  let lastJob: string | undefined;
  let status = 'succeeded';
  for (const plan of plans) {
    if (!plan.items.some((i) => i.action === 'upgrade' || i.action === 'install')) continue;
    // Offline hosts are not failures of the sweep: they are left out of the job and retried next time.
    const runnable = { ...plan, items: plan.items.filter((i) => !(i.action === 'blocked' && i.error && OFFLINE.has(i.error.code))) };
    const jobId = createJobFromPlan(
      store,
      runnable,
      {
        ...(input.run ?? {}),
        ...(input.concurrency ? { concurrency: input.concurrency } : {}),
        ...(input.schedule ? { schedule: input.schedule } : {}),
      } as RunOptions,
      'sweep',
    );
    const waves = ROLE_WAVES.map((tag) => runnable.items.filter((i) => store.hosts.get(i.hostId)?.tags.includes(tag)).map((i) => i.hostId)).filter(
      (w) => w.length,
    );
    const r = await runJob(store, jobId, {
      ...(input.run ?? {}),
      ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      waves,
      ...(ctl.signal ? { signal: ctl.signal } : {}),
      ...(ctl.onEvent ? { onEvent: ctl.onEvent } : {}),
    });
    applied.push(...r.hosts);
    lastJob = jobId;
    // The worst job decides: a later clean job does not hide an earlier failure.
    if (SEVERITY.indexOf(r.status) > SEVERITY.indexOf(status as JobStatus)) status = r.status;
  }
  result.jobId = lastJob;
  result.status = status;
  result.hosts = applied;
  result.report = lastJob && input.schedule ? keepReport(store, input.schedule, lastJob) : null;
  if (input.webhook)
    await postWebhook(input.webhook, summary(result)).catch((e: Error) =>
      ctl.onEvent?.({ type: 'log', level: 'warn', message: `webhook ${input.webhook} failed: ${e.message}` }),
    );
  return result;
}

const SEVERITY: readonly JobStatus[] = ['succeeded', 'completed_with_blocked', 'failed', 'cancelled'];

/** The last report of each scheduled sweep is kept as <home>/reports/<schedule>.html (+ .json). */
function keepReport(store: Store, schedule: string, jobId: string): string {
  const dir = join(store.home, 'reports');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const base = join(dir, schedule.replace(/[^A-Za-z0-9._-]/g, '_'));
  const doc = jobReport(store, jobId);
  writeReportFile(`${base}.html`, renderJobReport(doc, 'html'));
  writeReportFile(`${base}.json`, renderJobReport(doc, 'json'));
  return `${base}.html`;
}

export function summary(r: SweepResult) {
  const counts: Record<string, number> = {};
  for (const h of r.hosts ?? []) counts[h.status] = (counts[h.status] ?? 0) + 1;
  return {
    kind: 'asr-deploy.sweep',
    planId: r.planId,
    jobId: r.jobId ?? null,
    status: r.status ?? 'planned',
    outdated: r.outdated,
    retry: r.retry.map((x) => x.host),
    counts,
    at: nowIso(),
  };
}

/** POSTs the sweep summary as JSON; a 10 s bound so an unattended sweep never hangs on it. */
async function postWebhook(url: string, body: unknown): Promise<void> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') fail('usage', `The webhook URL must be http(s), not ${u.protocol}`);
  const r = await fetch(u, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'asr-deploy' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
}
