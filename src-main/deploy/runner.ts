import { setTimeout as sleep } from 'node:timers/promises';
import { stripUndefined } from '../model/objects.ts';
import { loadCatalog } from '../components/catalog.ts';
import type { InstalledState, RecipeTarget, StepContext } from '../components/recipe.ts';
import { recipeFor } from '../components/recipes.ts';
import { verifyPlannedInstaller } from '../components/sources.ts';
import { cachedCopy, parseRepositoryUrl } from '../components/repository-client.ts';
import { join } from 'node:path';
import { AsrFailure, fail, toAsrError, type AsrError } from '../model/errors.ts';
import { forEachHost } from '../model/for-each-host.ts';
import type { ServiceEvent } from '../model/events.ts';
import { TERMINAL, type JobHost } from '../store/journal.ts';
import { finalJobStatus, outcomeCounts, type HostResultStatus, type HostStatus, type JobStatus, type OutcomeCounts } from '../model/status.ts';
import type { Store } from '../store/store.ts';
import { hostSecrets, transportFor } from './connect.ts';
import { HostLog } from './host-log.ts';
import { watchJob } from './job-control.ts';
import { loadPlan, type PlanDocument, type PlanItem } from './plan.ts';
import { proxyAccount, requireProxy } from '../proxy/proxies.ts';

export interface RunOptions {
  concurrency?: number;
  /** Stop starting new hosts once more than this many have failed (Ansible max_fail, per run). */
  maxFailures?: number;
  /** Attempts per host for transient errors (unreachable, timeout), with exponential back-off. */
  retries?: number;
  retryBaseMs?: number;
  /** Wall-clock bound per remote step (install, configure, upload). */
  stepTimeoutMs?: number;
  connectTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  uploadMethod?: 'sftp' | 'exec-cat' | 'tar-stream';
  /** On resume: run hosts that failed too, not only those that never finished. */
  retryFailed?: boolean;
  /**
   * Host ids in the order they must go (the documented upgrade order: configuration server →
   * process servers → master targets → Mobility services): each wave finishes before the next starts.
   */
  waves?: string[][];
  signal?: AbortSignal;
  onEvent?: (e: ServiceEvent) => void;
}

export interface HostResult {
  host: string;
  status: HostResultStatus;
  /** What the plan said for the host: install / upgrade / skip / blocked. */
  action: string | null;
  version: string | null;
  error?: { code: string; message: string; remedy?: string };
  warning?: string;
}
export interface ApplyResult {
  jobId: string;
  planId: string | null;
  status: JobStatus;
  /** installed / upgraded / skipped / blocked / failed (…) of the job's hosts. */
  outcome: OutcomeCounts;
  hosts: HostResult[];
  /** Clean-ups pending on targets when this run started (after a crash), and whether they are done now. */
  cleanups?: { host: string; kind: 'staging' | 'secret'; path: string; since: string; done: boolean }[];
}

const DEFAULTS = { concurrency: 8, maxFailures: Number.POSITIVE_INFINITY, retries: 3, retryBaseMs: 2_000, stepTimeoutMs: 30 * 60_000 };

/** Creates the job for a plan: hosts to skip or blocked are recorded as such from the start. */
export function createJobFromPlan(store: Store, plan: PlanDocument, options: RunOptions, kind = 'apply'): string {
  const { signal: _s, onEvent: _e, ...persisted } = options;
  const job = store.journal.createJob({
    kind,
    planId: plan.planId,
    options: persisted as Record<string, unknown>,
    hosts: plan.items.map((i) => ({
      hostId: i.hostId,
      host: i.host,
      action: i.action,
      version: i.action === 'skip' ? i.from : null,
      status: i.action === 'skip' ? 'skipped' : i.action === 'blocked' ? 'blocked' : 'pending',
      error:
        i.action === 'blocked'
          ? (i.error ?? { code: i.failedChecks?.length ? 'prerequisite_failed' : 'validation', message: i.reason, retryable: false })
          : null,
    })),
  });
  return job.id;
}

/**
 * Runs (or resumes) a job: a sliding window of hosts, each through its recipe's steps with the
 * journal written before and after every step. Safe to call again for the same job after a
 * crash: finished steps are not repeated, and detection before install keeps a host from being
 * installed twice.
 */
export async function runJob(store: Store, jobId: string, options: RunOptions = {}): Promise<ApplyResult> {
  const job = store.journal.job(jobId);
  if (!job) fail('not_found', `No job ${jobId}.`, { remedy: 'See `asr-deploy jobs list`.' });
  const saved = job.options as RunOptions;
  const opt = { ...DEFAULTS, ...saved, ...stripUndefined(options) };
  if (!store.journal.claim(jobId))
    fail('conflict', `Job ${jobId} is being run by another live process.`, { remedy: 'Wait for it, or cancel it with `asr-deploy jobs cancel`.' });
  const plan = job.planId ? loadPlan(store, job.planId) : null;
  if (!plan) fail('validation', `Job ${jobId} has no plan to run.`);
  const items = new Map(plan.items.map((i) => [i.hostId, i]));
  const idByName = new Map(plan.items.map((i) => [i.host, i.hostId]));
  const emit = (e: ServiceEvent) => {
    // Byte progress is not journalled (too many rows); step transitions are.
    if (e.type === 'job' || (e.type === 'host-step' && e.bytes === undefined))
      store.journal.event(jobId, e.type === 'host-step' ? (idByName.get(e.host) ?? null) : null, e.type, e);
    options.onEvent?.(e);
  };

  // Cancellation: Ctrl-C / the caller's signal, or `jobs cancel` from another process (polled).
  const abort = watchJob(store, jobId, options.signal);

  const passphrase = plan.passphraseRef ? store.secrets.get(plan.passphraseRef) : null;
  const vaultCredentials = plan.vaultCredentialsRef ? store.secrets.get(plan.vaultCredentialsRef) : null;
  // The proxy and its account are read now, not at plan time: a password changed since is used.
  const proxyRecord = plan.proxy ? requireProxy(store, plan.proxy) : null;
  const proxyAccountNow = proxyRecord ? proxyAccount(store, proxyRecord) : null;
  const proxy = proxyRecord
    ? { address: proxyRecord.host, port: proxyRecord.port, user: proxyAccountNow?.user ?? null, password: proxyAccountNow?.password ?? null }
    : null;
  const jobHosts = store.journal.hosts(jobId);
  const queue = jobHosts.filter((h) => !TERMINAL.has(h.status) || (opt.retryFailed && (h.status === 'failed' || h.status === 'cancelled')));
  // Clean-ups a crash (or a lost connection) left on hosts that will not run again: done first.
  const queued = new Set(queue.map((h) => h.hostId));
  const pendingAtStart = store.journal.pendingCleanups(jobId);
  const leftovers = [...pendingAtStart].filter(([hostId]) => !queued.has(hostId));
  for (const [hostId, items] of leftovers) {
    if (abort.signal.aborted) break;
    await cleanUpLeftovers(store, jobId, hostId, items, plan, opt, abort.signal, emit);
  }
  let failures = jobHosts.filter((h) => h.status === 'failed').length;
  let budgetExhausted = false;
  // Each installer is hashed again once per run: a file changed since the plan is refused on every host.
  const installerHashes = new Map<string, Promise<string>>();
  emit({ type: 'job', jobId, status: 'running', hosts: jobHosts.length });
  // Hosts this run will not start (skipped or blocked by the plan, done in an earlier run): told once, for the counts.
  for (const h of jobHosts) if (!queued.has(h.hostId)) emit({ type: 'host', jobId, host: h.host, status: h.status });

  const notStarted = (jh: JobHost, why: string) => {
    store.journal.setHost(jobId, jh.hostId, { status: 'cancelled', error: { code: 'cancelled', message: why, retryable: false } });
    emit({ type: 'host', jobId, host: jh.host, status: 'cancelled' });
  };
  const runWave = (wave: JobHost[]) =>
    forEachHost(
      wave,
      async (next) => {
        const item = items.get(next.hostId);
        if (!item) return notStarted(next, 'the host is not in the plan');
        emit({ type: 'host', jobId, host: next.host, status: 'running' });
        const status = await runHost(store, jobId, next, item, plan, { passphrase, vaultCredentials, proxy }, opt, abort.signal, emit, installerHashes);
        emit({ type: 'host', jobId, host: next.host, status });
        if (status === 'failed') {
          failures++;
          if (failures > opt.maxFailures) budgetExhausted = true;
        }
      },
      // A host not started (cancelled, or the failure budget spent) is journalled as such when its turn comes.
      {
        concurrency: opt.concurrency,
        signal: abort.signal,
        stopReason: () => (budgetExhausted ? `not started: more than ${opt.maxFailures} host(s) failed (failure budget)` : null),
        onSettled: (o) => !o.ok && !o.started && notStarted(o.item, o.error.message),
      },
    );
  // Journal commits stay cheap while the hosts run: the WAL is checkpointed (and fsynced) on another thread.
  const checkpoints = store.checkpointInBackground();
  try {
    // Waves given by the caller (sweeps), else the plan's (the active node of a VMM cluster first).
    if (!opt.waves?.length && plan.waves?.length) opt.waves = plan.waves;
    const waves = opt.waves?.length ? [...opt.waves.map((w) => new Set(w)), null] : [null];
    for (const wave of waves) {
      // The last (null) wave takes every host no earlier wave named.
      const outcomes = await runWave(queue.filter((h) => (wave ? wave.has(h.hostId) : !opt.waves?.some((w) => w.includes(h.hostId)))));
      // runHost journals every failure of a host; a throw out of it is a bug of ours and ends the run.
      for (const o of outcomes) if (!o.ok && o.started) throw o.cause;
    }
  } finally {
    abort.stop();
    await checkpoints.stop();
  }
  const hosts = store.journal.hosts(jobId);
  const final = finalJobStatus(hosts, { cancelled: abort.signal.aborted, budgetExhausted });
  store.journal.setJobStatus(jobId, final, null);
  emit({ type: 'job', jobId, status: final });
  const results = hosts.map(toResult);
  const names = new Map(hosts.map((h) => [h.hostId, h.host]));
  const stillPending = store.journal.pendingCleanups(jobId);
  const cleanups = [...pendingAtStart].flatMap(([hostId, items]) =>
    items.map((i) => ({ host: names.get(hostId) ?? hostId, ...i, done: !stillPending.get(hostId)?.some((p) => p.kind === i.kind && p.path === i.path) })),
  );
  return { jobId, planId: plan.planId, status: final, outcome: outcomeCounts(results), hosts: results, ...(cleanups.length ? { cleanups } : {}) };
}

export function toResult(h: JobHost): HostResult {
  const status: HostResultStatus = h.status === 'pending' || h.status === 'running' ? 'cancelled' : h.status;
  const r: HostResult = { host: h.host, status, action: h.action, version: h.version };
  if (h.error && (status === 'failed' || status === 'cancelled' || status === 'blocked'))
    r.error = { code: h.error.code, message: h.error.message, ...(h.error.remedy ? { remedy: h.error.remedy } : {}) };
  if (h.error && status === 'succeeded_with_warnings') r.warning = h.error.message;
  return r;
}

async function runHost(
  store: Store,
  jobId: string,
  jh: JobHost,
  item: PlanItem,
  plan: PlanDocument,
  planSecrets: { passphrase: string | null; vaultCredentials: string | null; proxy: RecipeTarget['proxy'] },
  opt: typeof DEFAULTS & RunOptions,
  signal: AbortSignal,
  emit: (e: ServiceEvent) => void,
  installerHashes: Map<string, Promise<string>>,
): Promise<HostStatus> {
  const host = store.hosts.get(jh.hostId);
  const catalog = loadCatalog();
  if (!host || !item.installer || (item.action !== 'install' && item.action !== 'upgrade')) {
    const message = !host
      ? 'The host was removed from the inventory after the plan was made.'
      : !item.installer
        ? 'The plan has no installer for this host (it was made without --source).'
        : `The plan says ${item.action} for this host.`;
    store.journal.setHost(jobId, jh.hostId, {
      status: 'failed',
      error: { code: 'validation', message, retryable: false, remedy: 'Make a new plan with --source.' },
    });
    return 'failed';
  }
  const recipe = recipeFor(plan.component as never, host.os ?? 'linux')!;
  let secret;
  try {
    secret = hostSecrets(store, host);
  } catch (e) {
    const err = toAsrError(e, host.name);
    store.journal.setHost(jobId, host.id, { status: 'failed', error: err });
    return 'failed';
  }
  const { passphrase, vaultCredentials, proxy } = planSecrets;
  // The appliance's config file for this host (encrypted at rest), once `jobs configure` stored it.
  const configRef = configFileRef(jobId, host.id);
  const configFile = plan.appliance && store.secrets.has(configRef) ? store.secrets.get(configRef) : null;
  const log = new HostLog(store.home, jobId, host.name, [
    secret?.password,
    secret?.passphrase,
    secret?.sudoPassword,
    passphrase ?? undefined,
    vaultCredentials ?? undefined,
    proxy?.password ?? undefined,
    configFile ?? undefined,
  ]);
  const started = Date.now();
  const hostEvent = (
    step: string,
    status: 'started' | 'succeeded' | 'failed' | 'skipped' | 'retrying' | 'cancelled',
    extra: { bytes?: number; totalBytes?: number; error?: AsrError } = {},
  ) => emit({ type: 'host-step', jobId, host: host.name, step, status, elapsedMs: Date.now() - started, ...extra });
  const target: RecipeTarget = {
    host,
    action: item.action,
    version: item.to ?? plan.version,
    installer: { ...item.installer, component: plan.component as never, platform: host.os ?? 'linux', hashStatus: 'unknown' } as RecipeTarget['installer'],
    csAddress: plan.cs,
    appliance: plan.appliance ?? null,
    configFile,
    csPort: plan.csPort,
    passphrase,
    vaultCredentials,
    friendlyName: plan.friendlyName ?? null,
    proxy,
  };

  if (item.installer.url && plan.repository) {
    const repository = plan.repository;
    const { url, sha256, file } = item.installer;
    if (item.staging?.mode === 'pull')
      target.staging = { mode: 'pull', url, pin: repository.pin, ...(item.staging.tool ? { tool: item.staging.tool } : {}), reason: item.staging.reason };
    target.localCopy = () =>
      localCopyOf({ ...parseRepositoryUrl(repository.url), pin: repository.pin }, { name: file, url }, sha256, join(store.home, 'cache', 'installers'), signal);
  }
  try {
    // A repository's installer is checked where its bytes are: on the target (pull), or in the workstation's cached copy (push).
    if (!item.installer.url) await verifyPlannedInstaller(item.installer, installerHashes);
  } catch (e) {
    const err = toAsrError(e, host.name);
    log.line(`error (${err.code}): ${err.message}${err.remedy ? `\nremedy: ${err.remedy}` : ''}`);
    store.journal.setHost(jobId, host.id, { status: 'failed', error: err });
    hostEvent('verify-installer', 'failed', { error: err });
    return 'failed';
  }
  store.journal.setHost(jobId, host.id, { status: 'running' });
  for (let attempt = 1; ; attempt++) {
    store.journal.setHost(jobId, host.id, { attemptsDelta: 1 });
    const transport = transportFor(store, host, secret, {
      log: (l) => log.line(l),
      ...(opt.connectTimeoutMs ? { connectTimeoutMs: opt.connectTimeoutMs } : {}),
      ...(opt.handshakeTimeoutMs ? { handshakeTimeoutMs: opt.handshakeTimeoutMs } : {}),
      ...(opt.uploadMethod ? { uploadMethod: opt.uploadMethod } : {}),
    });
    let lastProgress = 0;
    const ctx: StepContext = {
      transport,
      jobId,
      signal,
      stepTimeoutMs: opt.stepTimeoutMs,
      log: (l) => log.line(l),
      progress: (step, bytes, total) => {
        // Progress events at most every 250 ms per host: enough for a live row, cheap for 500 hosts.
        if (Date.now() - lastProgress < 250 && bytes < total) return;
        lastProgress = Date.now();
        hostEvent(step, 'started', { bytes, totalBytes: total });
      },
      previous: (step) => store.journal.step(jobId, host.id, step)?.detail ?? null,
      pendingCleanup: (kind, path) => store.journal.cleanupPending(jobId, host.id, { kind, path }),
    };
    // Done only when it ran: a dead connection leaves the clean-up pending for `jobs resume`.
    const cleanUp = () =>
      recipe.cleanup(ctx, target).then(
        () => store.journal.cleanupDone(jobId, host.id),
        (e: Error) => log.line(`cleanup failed (pending for jobs resume): ${e.message}`),
      );
    let warning: string | undefined;
    try {
      log.line(`attempt ${attempt}: ${item.action} ${plan.component} ${target.version} (${item.installer.file})`);
      for (const id of item.acceptedChecks ?? []) {
        const a = plan.acceptances?.find((x) => x.check === id);
        log.line(`failing check ${id} accepted by ${a?.by ?? 'unknown'} at ${a?.at ?? plan.createdAt} (plan ${plan.planId})`);
      }
      hostEvent('connect', 'started');
      await transport.connect({ signal });
      hostEvent('connect', 'succeeded');
      const before: InstalledState = await recipe.detect(transport, signal);
      log.line(`detected: ${JSON.stringify(before)}`);
      const installStep = store.journal.step(jobId, host.id, item.action);
      const registers = !!(plan.cs || plan.appliance);
      if (before.version === target.version && (before.configured || !registers) && installStep?.status !== 'running') {
        // Already at the target: nothing is copied (an update sweep's "current" host, or a resumed job).
        store.journal.setHost(jobId, host.id, { status: installStep?.status === 'succeeded' ? 'succeeded' : 'skipped', version: before.version, error: null });
        hostEvent('detect', 'skipped');
        // An earlier run that died after the install left its staging (and secrets) behind.
        if (store.journal.pendingCleanups(jobId).has(host.id)) await cleanUp();
        return installStep?.status === 'succeeded' ? 'succeeded' : 'skipped';
      }
      for (const step of recipe.steps(catalog, target)) {
        // Modernized appliance: without this host's config file the run stops before configuring, and the host waits.
        if (step.phase === 'configure' && !configFile && store.journal.step(jobId, host.id, 'config-request')?.detail?.needsConfig === true) {
          store.journal.setHost(jobId, host.id, { status: 'awaiting_config', error: null });
          store.journal.event(jobId, host.id, 'awaiting-config', { host: host.name });
          log.line('awaiting the replication appliance config file (asr-deploy jobs config-requests / jobs configure)');
          await cleanUp();
          return 'awaiting_config';
        }
        const prev = store.journal.step(jobId, host.id, step.name);
        if (step.skipIfDone && prev?.status === 'succeeded') {
          hostEvent(step.name, 'skipped');
          continue;
        }
        store.journal.stepStarted(jobId, host.id, step.name);
        hostEvent(step.name, 'started');
        const out = await step.run(ctx);
        if (out?.warning) warning = warning ? `${warning}; ${out.warning}` : out.warning;
        store.journal.stepEnded(jobId, host.id, step.name, 'succeeded', out?.detail ?? {});
        hostEvent(step.name, 'succeeded');
      }
      // The recipe's verify step has just detected the result; ask again only if it did not say.
      const verified = store.journal.step(jobId, host.id, 'verify')?.detail as Partial<InstalledState> | null | undefined;
      const after = verified && 'version' in verified ? verified : await recipe.detect(transport, signal);
      const status: HostStatus = warning ? 'succeeded_with_warnings' : 'succeeded';
      store.journal.setHost(jobId, host.id, {
        status,
        version: after.version ?? null,
        error: warning ? { code: 'install_failed', message: warning, retryable: false } : null,
      });
      log.line(`done: ${status}${warning ? ` (${warning})` : ''}`);
      // Registered: the stored config file has served its purpose.
      if (configFile) store.secrets.delete(configRef);
      await cleanUp();
      return status;
    } catch (e) {
      const err = toAsrError(e, host.name);
      const running = store.journal.steps(jobId, host.id).find((s) => s.status === 'running');
      if (running) store.journal.stepEnded(jobId, host.id, running.step, 'failed', { error: err });
      log.line(`error (${err.code}): ${err.message}${err.remedy ? `\nremedy: ${err.remedy}` : ''}`);
      const cancelled = signal.aborted || err.code === 'cancelled';
      if (!cancelled && err.retryable && attempt < opt.retries) {
        const delay = Math.min(opt.retryBaseMs * 2 ** (attempt - 1), 60_000) * (0.75 + Math.random() * 0.5);
        hostEvent(running?.step ?? 'connect', 'retrying', { error: err });
        log.line(`retrying in ${Math.round(delay)} ms`);
        await transport.close().catch(() => undefined);
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          /* cancelled while waiting */
        }
        if (!signal.aborted) continue;
      }
      if (err.code === 'install_failed' || err.code === 'disk_full') {
        const logs = await recipe.fetchLogs(transport, catalog).catch(() => '');
        if (logs) log.line(`installer logs:\n${logs}`);
      }
      if (!(e instanceof AsrFailure) && process.env.ASR_DEPLOY_DEBUG) console.error(e);
      const final: HostStatus = cancelled ? 'cancelled' : 'failed';
      store.journal.setHost(jobId, host.id, { status: final, error: cancelled ? { ...err, code: 'cancelled', retryable: false } : err });
      hostEvent(running?.step ?? 'connect', cancelled ? 'cancelled' : 'failed', { error: err });
      // Secrets and staged files go even when the install failed; a dead connection cannot, and resume cleans up later.
      await cleanUp();
      return final;
    } finally {
      await transport.close().catch(() => undefined);
    }
  }
}

/** One download per installer and process, however many hosts push it (the cache directory keeps it across runs). */
const localCopies = new Map<string, Promise<string>>();
function localCopyOf(
  ref: Parameters<typeof cachedCopy>[0],
  file: { name: string; url: string },
  sha256: string,
  cacheDir: string,
  signal: AbortSignal,
): Promise<string> {
  const key = `${cacheDir}\0${sha256}`;
  let p = localCopies.get(key);
  if (!p) {
    p = cachedCopy(ref, file, sha256, cacheDir, { signal });
    localCopies.set(key, p);
    p.catch(() => localCopies.delete(key));
  }
  return p;
}

/**
 * `jobs resume`: removes what an earlier run left on a host that does not run again (its staging
 * folder with any passphrase / config / vault file in it), through the recipe's own clean-up.
 */
async function cleanUpLeftovers(
  store: Store,
  jobId: string,
  hostId: string,
  items: { kind: string; path: string }[],
  plan: PlanDocument,
  opt: typeof DEFAULTS & RunOptions,
  signal: AbortSignal,
  emit: (e: ServiceEvent) => void,
): Promise<void> {
  const host = store.hosts.get(hostId);
  const item = plan.items.find((i) => i.hostId === hostId);
  if (!host || !item?.installer) return;
  const recipe = recipeFor(plan.component as never, host.os ?? 'linux');
  if (!recipe) return;
  const log = new HostLog(store.home, jobId, host.name, []);
  const what = items.map((i) => `${i.kind} ${i.path}`).join(', ');
  log.line(`pending clean-up from an earlier run: ${what}`);
  emit({ type: 'host-step', jobId, host: host.name, step: 'cleanup', status: 'started', elapsedMs: 0 });
  let transport;
  try {
    transport = transportFor(store, host, hostSecrets(store, host), {
      log: (l) => log.line(l),
      ...(opt.connectTimeoutMs ? { connectTimeoutMs: opt.connectTimeoutMs } : {}),
    });
    await transport.connect({ signal });
    const target = {
      host,
      action: item.action,
      version: item.to ?? plan.version,
      installer: { ...item.installer, component: plan.component, platform: host.os ?? 'linux', hashStatus: 'unknown' },
    } as unknown as RecipeTarget;
    const ctx: StepContext = {
      transport,
      jobId,
      signal,
      stepTimeoutMs: opt.stepTimeoutMs,
      log: (l) => log.line(l),
      progress: () => {},
      previous: (step) => store.journal.step(jobId, host.id, step)?.detail ?? null,
    };
    await recipe.cleanup(ctx, target);
    store.journal.cleanupDone(jobId, host.id);
    log.line('pending clean-up done');
    emit({ type: 'host-step', jobId, host: host.name, step: 'cleanup', status: 'succeeded', elapsedMs: 0 });
  } catch (e) {
    const err = toAsrError(e, host.name);
    log.line(`pending clean-up failed (still pending): ${err.code}: ${err.message}`);
    emit({ type: 'host-step', jobId, host: host.name, step: 'cleanup', status: 'failed', elapsedMs: 0, error: err });
  } finally {
    await transport?.close().catch(() => undefined);
  }
}

/** Where `jobs configure` keeps a host's config file (the secret store: encrypted at rest). */
export const configFileRef = (jobId: string, hostId: string): string => `job/${jobId}/config/${hostId}`;
