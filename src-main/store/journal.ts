import { redactValue } from '../model/redact.ts';
import { randomBytes } from 'node:crypto';
import type { StatementSync } from 'node:sqlite';
import type { AsrError } from '../model/errors.ts';
import type { HostStatus, JobStatus } from '../model/status.ts';
import { nowIso, transaction, type Db } from './db.ts';

export { HOST_STATUSES, TERMINAL, type HostStatus, type JobStatus } from '../model/status.ts';

export interface JobHost {
  hostId: string;
  host: string;
  status: HostStatus;
  action: string | null;
  version: string | null;
  attempts: number;
  error: AsrError | null;
  updatedAt: string;
}
export interface JobStep {
  hostId: string;
  step: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  detail: Record<string, unknown> | null;
}
export interface Job {
  id: string;
  kind: string;
  planId: string | null;
  status: JobStatus;
  options: Record<string, unknown>;
  ownerPid: number | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The deployment journal. Every step's start and end is committed before the next step begins,
 * so a process killed at any point leaves a record `jobs resume` can finish from.
 */
/** Something left on a target until the host's clean-up runs: its staging folder, or a secret file in it. */
export interface PendingCleanup {
  kind: 'staging' | 'secret';
  path: string;
}

export class JournalRepository {
  private readonly db: Db;
  /** Prepared once per statement: a run writes ~20 journal rows per host, and compiling the SQL each time was most of their cost. */
  private readonly statements = new Map<string, StatementSync>();
  constructor(db: Db) {
    this.db = db;
  }

  private sql(text: string): StatementSync {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  createJob(input: {
    kind: string;
    planId: string | null;
    options: Record<string, unknown>;
    hosts: { hostId: string; host: string; action: string; version: string | null; status?: HostStatus; error?: AsrError | null }[];
  }): Job {
    const id = `j-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
    const now = nowIso();
    transaction(this.db, () => {
      this.sql('INSERT INTO jobs (id, kind, plan_id, status, options, owner_pid, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)').run(
        id,
        input.kind,
        input.planId,
        'pending',
        JSON.stringify(redactValue(input.options)),
        now,
        now,
      );
      const ins = this.sql(
        'INSERT INTO job_hosts (job_id, host_id, host_name, status, action, version, attempts, error, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)',
      );
      for (const h of input.hosts)
        ins.run(id, h.hostId, h.host, h.status ?? 'pending', h.action, h.version, h.error ? JSON.stringify(redactValue(h.error)) : null, now);
    });
    return this.job(id)!;
  }

  job(id: string): Job | undefined {
    const r = this.sql('SELECT * FROM jobs WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    return r ? toJob(r) : undefined;
  }

  /** A `running` job whose owner process is gone was interrupted (kill -9, power loss). */
  effectiveStatus(job: Job): JobStatus {
    if ((job.status === 'running' || job.status === 'cancelling') && job.ownerPid && !processAlive(job.ownerPid)) return 'interrupted';
    return job.status;
  }

  list(limit = 50): Job[] {
    return (this.sql('SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?').all(limit) as Record<string, unknown>[]).map(toJob);
  }

  latest(kind?: string): Job | undefined {
    const r = (
      kind
        ? this.sql('SELECT * FROM jobs WHERE kind = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(kind)
        : this.sql('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT 1').get()
    ) as Record<string, unknown> | undefined;
    return r ? toJob(r) : undefined;
  }

  setJobStatus(id: string, status: JobStatus, ownerPid?: number | null): void {
    if (ownerPid === undefined) this.sql('UPDATE jobs SET status = ?, updated_at = ? WHERE id = ?').run(status, nowIso(), id);
    else this.sql('UPDATE jobs SET status = ?, owner_pid = ?, updated_at = ? WHERE id = ?').run(status, ownerPid, nowIso(), id);
  }

  /** Claims a job for this process; refuses when another live process runs it. */
  claim(id: string, pid = process.pid): boolean {
    return transaction(this.db, () => {
      const j = this.job(id);
      if (!j) return false;
      if ((j.status === 'running' || j.status === 'cancelling') && j.ownerPid && j.ownerPid !== pid && processAlive(j.ownerPid)) return false;
      this.setJobStatus(id, 'running', pid);
      return true;
    });
  }

  hosts(jobId: string): JobHost[] {
    return (this.sql('SELECT * FROM job_hosts WHERE job_id = ? ORDER BY host_name').all(jobId) as Record<string, unknown>[]).map(toJobHost);
  }

  setHost(jobId: string, hostId: string, patch: { status?: HostStatus; error?: AsrError | null; version?: string | null; attemptsDelta?: number }): void {
    const cur = this.sql('SELECT * FROM job_hosts WHERE job_id = ? AND host_id = ?').get(jobId, hostId) as Record<string, unknown> | undefined;
    if (!cur) return;
    const h = toJobHost(cur);
    this.sql('UPDATE job_hosts SET status = ?, error = ?, version = ?, attempts = ?, updated_at = ? WHERE job_id = ? AND host_id = ?').run(
      patch.status ?? h.status,
      patch.error === undefined ? (h.error ? JSON.stringify(h.error) : null) : patch.error ? JSON.stringify(redactValue(patch.error)) : null,
      patch.version === undefined ? h.version : patch.version,
      h.attempts + (patch.attemptsDelta ?? 0),
      nowIso(),
      jobId,
      hostId,
    );
  }

  step(jobId: string, hostId: string, step: string): JobStep | undefined {
    const r = this.sql('SELECT * FROM steps WHERE job_id = ? AND host_id = ? AND step = ?').get(jobId, hostId, step) as Record<string, unknown> | undefined;
    return r ? toStep(r) : undefined;
  }

  steps(jobId: string, hostId?: string): JobStep[] {
    const rows = (
      hostId
        ? this.sql('SELECT * FROM steps WHERE job_id = ? AND host_id = ? ORDER BY started_at').all(jobId, hostId)
        : this.sql('SELECT * FROM steps WHERE job_id = ? ORDER BY host_id, started_at').all(jobId)
    ) as Record<string, unknown>[];
    return rows.map(toStep);
  }

  stepStarted(jobId: string, hostId: string, step: string, detail: Record<string, unknown> = {}): void {
    const now = nowIso();
    this.sql(
      `INSERT INTO steps (job_id, host_id, step, status, attempt, started_at, ended_at, detail) VALUES (?, ?, ?, 'running', 1, ?, NULL, ?)
         ON CONFLICT(job_id, host_id, step) DO UPDATE SET status = 'running', attempt = attempt + 1, started_at = excluded.started_at, ended_at = NULL, detail = excluded.detail`,
    ).run(jobId, hostId, step, now, JSON.stringify(redactValue(detail)));
  }

  stepEnded(jobId: string, hostId: string, step: string, status: JobStep['status'], detail: Record<string, unknown> = {}): void {
    const prev = this.step(jobId, hostId, step);
    this.sql('UPDATE steps SET status = ?, ended_at = ?, detail = ? WHERE job_id = ? AND host_id = ? AND step = ?').run(
      status,
      nowIso(),
      JSON.stringify(redactValue({ ...(prev?.detail ?? {}), ...detail })),
      jobId,
      hostId,
      step,
    );
  }

  /**
   * The first install or upgrade of `component` that finished on a host after `since` (ISO time):
   * the host's planned action and the plan document it came from (JSON parsed; deploy/plan.ts
   * knows its schema). The reboot rule counts from the version before it.
   */
  firstChangeSince(hostId: string, component: string, since: string): { action: string; plan: unknown } | undefined {
    const r = this.sql(
      "SELECT jh.action AS action, p.document AS doc FROM job_hosts jh JOIN jobs j ON j.id = jh.job_id JOIN plans p ON p.id = j.plan_id WHERE jh.host_id = ? AND p.component = ? AND jh.status IN ('succeeded', 'succeeded_with_warnings') AND jh.action IN ('install', 'upgrade') AND jh.updated_at > ? ORDER BY jh.updated_at LIMIT 1",
    ).get(hostId, component, since) as { action: string; doc: string } | undefined;
    return r ? { action: r.action, plan: JSON.parse(r.doc) as unknown } : undefined;
  }

  /**
   * A clean-up a target will need if this process dies now (a staging folder, a passphrase /
   * config / vault credentials file), journalled before the thing is created; `jobs show` lists
   * it and `jobs resume` does it. Done when the host's clean-up has run.
   */
  cleanupPending(jobId: string, hostId: string, item: PendingCleanup): void {
    this.event(jobId, hostId, 'cleanup-pending', item);
  }
  cleanupDone(jobId: string, hostId: string): void {
    this.event(jobId, hostId, 'cleanup-done', {});
  }
  /** Clean-ups journalled since each host's last completed clean-up, per host id. */
  pendingCleanups(jobId: string): Map<string, (PendingCleanup & { since: string })[]> {
    const rows = this.sql("SELECT host_id, ts, type, data FROM events WHERE job_id = ? AND type IN ('cleanup-pending', 'cleanup-done') ORDER BY seq").all(
      jobId,
    ) as unknown as { host_id: string | null; ts: string; type: string; data: string }[];
    const out = new Map<string, (PendingCleanup & { since: string })[]>();
    for (const r of rows) {
      if (!r.host_id) continue;
      if (r.type === 'cleanup-done') {
        out.delete(r.host_id);
        continue;
      }
      const item = JSON.parse(r.data) as PendingCleanup;
      const list = out.get(r.host_id) ?? [];
      if (!list.some((x) => x.kind === item.kind && x.path === item.path)) list.push({ ...item, since: r.ts });
      out.set(r.host_id, list);
    }
    return out;
  }

  event(jobId: string | null, hostId: string | null, type: string, data: unknown): void {
    this.sql('INSERT INTO events (job_id, host_id, ts, type, data) VALUES (?, ?, ?, ?, ?)').run(
      jobId,
      hostId,
      nowIso(),
      type,
      JSON.stringify(redactValue(data)),
    );
  }

  events(jobId: string, afterSeq = 0): { seq: number; hostId: string | null; ts: string; type: string; data: unknown }[] {
    return (this.sql('SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq').all(jobId, afterSeq) as Record<string, unknown>[]).map((r) => ({
      seq: r.seq as number,
      hostId: r.host_id as string | null,
      ts: r.ts as string,
      type: r.type as string,
      data: JSON.parse(r.data as string) as unknown,
    }));
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const toJob = (r: Record<string, unknown>): Job => ({
  id: r.id as string,
  kind: r.kind as string,
  planId: (r.plan_id as string | null) ?? null,
  status: r.status as JobStatus,
  options: JSON.parse(r.options as string) as Record<string, unknown>,
  ownerPid: (r.owner_pid as number | null) ?? null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});
const toJobHost = (r: Record<string, unknown>): JobHost => ({
  hostId: r.host_id as string,
  host: r.host_name as string,
  status: r.status as HostStatus,
  action: (r.action as string | null) ?? null,
  version: (r.version as string | null) ?? null,
  attempts: r.attempts as number,
  error: r.error ? (JSON.parse(r.error as string) as AsrError) : null,
  updatedAt: r.updated_at as string,
});
const toStep = (r: Record<string, unknown>): JobStep => ({
  hostId: r.host_id as string,
  step: r.step as string,
  status: r.status as JobStep['status'],
  attempt: r.attempt as number,
  startedAt: (r.started_at as string | null) ?? null,
  endedAt: (r.ended_at as string | null) ?? null,
  detail: r.detail ? (JSON.parse(r.detail as string) as Record<string, unknown>) : null,
});
