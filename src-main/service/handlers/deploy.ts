import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from '../../components/catalog.ts';
import { scanSources, trustInstallers } from '../../components/sources.ts';
import { nowIso } from '../../store/db.ts';
import { createPlan } from '../../deploy/plan.ts';
import { createJobFromPlan, runJob } from '../../deploy/runner.ts';
import { loadPlan, whoAmI } from '../../deploy/plan.ts';
import { acceptConfigFiles, configRequests, readConfigDir, writeConfigRequests } from '../../deploy/config-files.ts';
import { createOperationJob, runOperationJob, type HostOperation } from '../../deploy/host-jobs.ts';
import { uninstallOperation, uninstallRows } from '../../deploy/uninstall.ts';
import { proxyApplyOperation } from '../../proxy/apply-job.ts';
import { fail } from '../../model/errors.ts';
import { stagingOf } from '../../reports/job.ts';
import { queryVersions } from '../../updates/versions.ts';
import type { Store } from '../../store/store.ts';
import type { CommandInput, CommandOutput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';
import { outcomeCounts, type HostStatus } from '../../model/status.ts';

function summary(store: Store, id: string) {
  const j = store.journal.job(id)!;
  const counts: Partial<Record<HostStatus, number>> = {};
  const hosts = store.journal.hosts(id);
  for (const h of hosts) counts[h.status] = (counts[h.status] ?? 0) + 1;
  return {
    id: j.id,
    kind: j.kind,
    planId: j.planId,
    status: store.journal.effectiveStatus(j),
    createdAt: j.createdAt,
    updatedAt: j.updatedAt,
    counts,
    outcome: outcomeCounts(hosts),
  };
}

/** Clean-ups journalled on targets and not done yet, by host name. */
function pendingCleanupsOf(store: Store, jobId: string) {
  const names = new Map(store.journal.hosts(jobId).map((h) => [h.hostId, h.host]));
  return [...store.journal.pendingCleanups(jobId)].flatMap(([hostId, items]) =>
    items.map((i) => ({ host: names.get(hostId) ?? hostId, kind: i.kind, path: i.path, since: i.since })),
  );
}

/** The plan's accepted checks; a plan from before they were recorded with who/when gives its bare ids. */
function planAcceptances(store: Store, planId: string) {
  try {
    const p = loadPlan(store, planId);
    return (
      p.acceptances ??
      p.accepted.map((check) => ({ check, by: null, at: p.createdAt, hosts: p.items.filter((i) => i.acceptedChecks?.includes(check)).map((i) => i.host) }))
    );
  } catch {
    return [];
  }
}

/** The operation jobs `jobs resume` knows, by job kind. */
const OPERATION_JOBS: Record<string, HostOperation<never>> = {
  [proxyApplyOperation.kind]: proxyApplyOperation as HostOperation<never>,
  [uninstallOperation.kind]: uninstallOperation as HostOperation<never>,
};

export const deployHandlers = {
  'components.list': () => {
    const c = loadCatalog();
    return c.components.map((x) => ({
      id: x.id,
      name: x.name,
      platforms: x.platforms,
      versions: c.versions(x.id).map((v) => v.version),
      latest: c.latest(x.id).version,
    }));
  },
  'sources.scan': async (input: CommandInput<'sources.scan'>, { store }: HandlerContext) =>
    scanSources(loadCatalog(), input.dir, store.installerHashes, store.installerPins),
  'sources.trust': async (input: CommandInput<'sources.trust'>, { store, frontEnd }: HandlerContext) => {
    const by = `${whoAmI() ?? 'unknown'}${frontEnd === 'cli' ? '' : ` (${frontEnd === 'desktop' ? 'desktop app' : 'browser wizard'})`}`;
    const files = await trustInstallers(
      loadCatalog(),
      store.installerPins,
      input.files.map((f) => join(input.dir, f)),
      by,
      nowIso(),
    );
    store.journal.event(null, null, 'installers-trusted', {
      by,
      files: files.map(({ file, component, platform, osId, version, sha256, size, hashStatus }) => ({
        file,
        component,
        platform,
        osId,
        version,
        sha256,
        size,
        basis: hashStatus === 'verified' ? 'catalog' : 'pin',
      })),
    });
    return files;
  },
  'plan.create': async (input: CommandInput<'plan.create'>, { store, signal, emit, frontEnd }: HandlerContext) => {
    let done = 0;
    const total = store.hosts.select(input.hosts ?? 'all').length;
    return createPlan(
      store,
      {
        component: input.component,
        source: input.source,
        hosts: input.hosts,
        accept: input.accept,
        acceptedBy: `${whoAmI() ?? 'unknown'}${frontEnd === 'cli' ? '' : ` (${frontEnd === 'desktop' ? 'desktop app' : 'browser wizard'})`}`,
        ...(input.version ? { version: input.version } : {}),
        ...(input.cs !== undefined ? { cs: input.cs } : {}),
        ...(input.appliance !== undefined ? { appliance: input.appliance } : {}),
        ...(input.passphraseFile ? { passphraseFile: input.passphraseFile } : {}),
        ...(input.vaultCredentialsFile ? { vaultCredentialsFile: input.vaultCredentialsFile } : {}),
        ...(input.friendlyName !== undefined ? { friendlyName: input.friendlyName } : {}),
        ...(input.proxy ? { proxy: input.proxy } : {}),
        ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      },
      { signal, onHost: (i) => emit({ type: 'progress', done: ++done, total, message: `${i.host}: ${i.action} (${i.reason})` }) },
    );
  },
  'plan.show': (input: CommandInput<'plan.show'>, { store }: HandlerContext) => loadPlan(store, input.planId),
  'apply.start': async (input: CommandInput<'apply.start'>, { store, signal, emit }: HandlerContext) => {
    const { planId, ...opts } = input;
    const plan = loadPlan(store, planId);
    const jobId = createJobFromPlan(store, plan, opts);
    emit({ type: 'job', jobId, status: 'created', planId });
    return runJob(store, jobId, { ...opts, signal, onEvent: emit });
  },
  'jobs.list': (input: CommandInput<'jobs.list'>, { store }: HandlerContext) => store.journal.list(input.limit).map((j) => summary(store, j.id)),
  'jobs.show': (input: CommandInput<'jobs.show'>, { store }: HandlerContext): CommandOutput<'jobs.show'> => {
    if (!store.journal.job(input.jobId)) fail('not_found', `No job ${input.jobId}.`, { remedy: 'See `asr-deploy jobs list`.' });
    const steps = store.journal.steps(input.jobId);
    const planId = store.journal.job(input.jobId)!.planId;
    return {
      ...summary(store, input.jobId),
      acceptances: planId ? planAcceptances(store, planId) : [],
      pendingCleanups: pendingCleanupsOf(store, input.jobId),
      hosts: store.journal.hosts(input.jobId).map((h) => ({
        host: h.host,
        status: h.status,
        version: h.version,
        attempts: h.attempts,
        action: h.action,
        ...(h.error ? { error: { code: h.error.code, message: h.error.message, ...(h.error.remedy ? { remedy: h.error.remedy } : {}) } } : {}),
        ...stagingOf(steps, h.hostId),
        steps: steps
          .filter((s) => s.hostId === h.hostId)
          .map((s) => ({ step: s.step, status: s.status, attempt: s.attempt, startedAt: s.startedAt, endedAt: s.endedAt })),
      })),
    };
  },
  'jobs.logs': (input: CommandInput<'jobs.logs'>, { store }: HandlerContext) => {
    if (!store.journal.job(input.jobId)) fail('not_found', `No job ${input.jobId}.`);
    const dir = join(store.home, 'logs', input.jobId);
    if (!existsSync(dir)) return [];
    const wanted = input.host ? (store.hosts.get(input.host)?.name ?? input.host) : null;
    return readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => ({ host: f.slice(0, -4), path: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }))
      .filter((l) => !wanted || l.host === wanted.replace(/[^A-Za-z0-9._-]/g, '_'));
  },
  'jobs.cancel': (input: CommandInput<'jobs.cancel'>, { store }: HandlerContext) => {
    const j = store.journal.job(input.jobId);
    if (!j) fail('not_found', `No job ${input.jobId}.`);
    const eff = store.journal.effectiveStatus(j);
    if (eff === 'running') store.journal.setJobStatus(j.id, 'cancelling');
    else if (eff === 'interrupted' || eff === 'pending') {
      for (const h of store.journal.hosts(j.id))
        if (h.status === 'pending' || h.status === 'running')
          store.journal.setHost(j.id, h.hostId, { status: 'cancelled', error: { code: 'cancelled', message: 'cancelled by jobs cancel', retryable: false } });
      store.journal.setJobStatus(j.id, 'cancelled', null);
    }
    return { jobId: j.id, status: store.journal.job(j.id)!.status };
  },
  'jobs.resume': async (input: CommandInput<'jobs.resume'>, { store, signal, emit }: HandlerContext) => {
    const { jobId, ...opts } = input;
    // Operation jobs (proxy apply, components uninstall) have no plan: their own engine resumes them.
    const operation = OPERATION_JOBS[store.journal.job(jobId)?.kind ?? ''];
    if (operation) return runOperationJob(store, jobId, operation, { ...opts, signal, onEvent: emit });
    return runJob(store, jobId, { ...opts, signal, onEvent: emit });
  },
  'jobs.configRequests': (input: CommandInput<'jobs.configRequests'>, { store }: HandlerContext) => {
    if (input.out) {
      const w = writeConfigRequests(store, input.jobId, input.out);
      const byHost = new Map(configRequests(store, input.jobId).map((r) => [r.host, r.request]));
      return { jobId: w.jobId, dir: w.dir, requests: w.requests.map((r) => ({ ...r, request: byHost.get(r.host) ?? r.request })) };
    }
    return { jobId: input.jobId, dir: null, requests: configRequests(store, input.jobId).map(({ hostId: _h, ...r }) => r) };
  },
  'jobs.configure': async (input: CommandInput<'jobs.configure'>, { store, signal, emit }: HandlerContext) => {
    const { jobId, from, ...opts } = input;
    const job = store.journal.job(jobId);
    if (job && store.journal.effectiveStatus(job) === 'running')
      fail('conflict', `Job ${jobId} is being run by another live process.`, { remedy: 'Wait for it to finish, then run jobs configure again.' });
    const accepted = acceptConfigFiles(store, jobId, readConfigDir(from));
    emit({
      type: 'progress',
      done: 0,
      total: accepted.matched.length,
      message: `config files: ${accepted.matched.map((m) => `${m.name} → ${m.host}`).join(', ')}`,
    });
    const r = await runJob(store, jobId, { ...opts, signal, onEvent: emit });
    return { ...r, configFiles: { ...accepted, waiting: r.hosts.filter((h) => h.status === 'awaiting_config').map((h) => h.host) } };
  },
  'components.uninstall': async (input: CommandInput<'components.uninstall'>, { store, signal, emit }: HandlerContext) => {
    const hosts = store.hosts.select(input.hosts);
    // A journalled job (deploy/host-jobs.ts): its id comes in the job event, and `jobs show|logs|resume` and `report` work for it.
    const jobId = createOperationJob(
      store,
      uninstallOperation,
      { component: input.component },
      hosts.map((host) => ({ host })),
      input.concurrency ? { concurrency: input.concurrency } : {},
    );
    emit({ type: 'job', jobId, status: 'created' });
    await runOperationJob(store, jobId, uninstallOperation, { signal, onEvent: emit });
    return uninstallRows(store, jobId);
  },
  'versions.query': async (input: CommandInput<'versions.query'>, { store, signal, emit }: HandlerContext) => {
    const hosts = store.hosts.select(input.hosts);
    let done = 0;
    return queryVersions(store, hosts, {
      signal,
      ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      onHost: (v) =>
        emit({
          type: 'progress',
          done: ++done,
          total: hosts.length,
          message: `${v.host}: ${v.ok ? v.components.map((c) => `${c.id} ${c.version ?? 'none'}`).join(', ') : v.error?.code}`,
        }),
    });
  },
} satisfies HandlerPart<
  | 'components.uninstall'
  | 'components.list'
  | 'sources.scan'
  | 'sources.trust'
  | 'plan.create'
  | 'plan.show'
  | 'apply.start'
  | 'jobs.list'
  | 'jobs.show'
  | 'jobs.logs'
  | 'jobs.cancel'
  | 'jobs.resume'
  | 'jobs.configRequests'
  | 'jobs.configure'
  | 'versions.query'
>;
