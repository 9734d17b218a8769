import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { Output } from '../../../src-main/cli/io.ts';
import { progressPrinter } from '../../../src-main/cli/progress.ts';
import { createOperationJob, runOperationJob, type HostOperation } from '../../../src-main/deploy/host-jobs.ts';
import { fail } from '../../../src-main/model/errors.ts';
import type { ServiceEvent } from '../../../src-main/model/events.ts';
import { setProxy } from '../../../src-main/proxy/proxies.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';

const store = () => openStore(mkdtempSync(join(tmpdir(), 'asr-ops-')), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));

/** An operation whose hosts do what the test says: two journalled steps, the second one scripted per host. */
function scripted(plan: Record<string, (attempt: number) => void>): HostOperation<{ what: string }> & { ran: string[] } {
  const ran: string[] = [];
  const attempts = new Map<string, number>();
  return {
    ran,
    kind: 'test-op',
    action: 'proxy',
    defaults: { concurrency: 2 },
    secrets: () => ['s3cret-value'],
    run: async ({ host, step, log }, o) => {
      await step('first', async () => {
        ran.push(`${host.name}:first`);
        log.line(`using s3cret-value for ${o.what}`);
        return { detail: { n: 1 } };
      });
      await step('second', async () => {
        const n = (attempts.get(host.name) ?? 0) + 1;
        attempts.set(host.name, n);
        ran.push(`${host.name}:second#${n}`);
        plan[host.name]?.(n);
        return { detail: { n: 2 } };
      });
      return { status: 'succeeded' };
    },
  };
}

describe('operation jobs (deploy/host-jobs.ts)', () => {
  it('journals each host and step, retries transient errors, keeps secrets out of the host log, and a resume skips what finished', async () => {
    const s = store();
    const hosts = ['a', 'b', 'c'].map((n, i) => s.hosts.upsert({ name: n, address: `192.0.2.${i + 1}`, os: 'windows' }).host);
    const op = scripted({ b: (n) => n === 1 && fail('unreachable', 'b went away'), c: () => fail('command_failed', 'c refused', { retryable: false }) });
    const jobId = createOperationJob(
      s,
      op,
      { what: 'test' },
      hosts.map((host) => ({ host })),
      { retryBaseMs: 0 },
    );
    const events: ServiceEvent[] = [];
    const r = await runOperationJob(s, jobId, op, { onEvent: (e) => events.push(e) });
    expect(r).toMatchObject({ jobId, planId: null, status: 'failed', outcome: { changed: 2, failed: 1 } });
    expect(r.hosts.map((h) => [h.host, h.status, h.error?.code ?? null])).toEqual([
      ['a', 'succeeded', null],
      ['b', 'succeeded', null],
      ['c', 'failed', 'command_failed'],
    ]);
    expect(s.journal.hosts(jobId).find((h) => h.host === 'b')!.attempts).toBe(2);
    expect(events.some((e) => e.type === 'host-step' && e.host === 'b' && e.step === 'second' && e.status === 'retrying')).toBe(true);
    expect(s.journal.steps(jobId, hosts[2]!.id).map((x) => [x.step, x.status])).toEqual([
      ['first', 'succeeded'],
      ['second', 'failed'],
    ]);
    const log = readFileSync(join(s.home, 'logs', jobId, 'a.log'), 'utf8');
    expect(log).toContain('using');
    expect(log).not.toContain('s3cret-value');

    // Resume with --retry-failed: only c runs again, and only its unfinished step.
    const again = scripted({});
    expect((await runOperationJob(s, jobId, again, { retryFailed: true })).status).toBe('succeeded');
    expect(again.ran).toEqual(['c:second#1']);
    const resumed = scripted({});
    expect(await runOperationJob(s, jobId, resumed, { retryFailed: true })).toMatchObject({ status: 'succeeded' });
    expect(resumed.ran).toEqual([]);
    s.close();
  });

  it('tells host events and the host count like apply, so above 20 hosts the CLI shows one summary line and no step lines', async () => {
    const s = store();
    const hosts = Array.from(
      { length: 25 },
      (_, i) => s.hosts.upsert({ name: `h${String(i + 1).padStart(2, '0')}`, address: `192.0.2.${i + 1}`, os: 'windows' }).host,
    );
    const op = scripted({ h07: () => fail('command_failed', 'h07 refused', { retryable: false }) });
    const jobId = createOperationJob(
      s,
      op,
      { what: 'test' },
      hosts.map((host) => ({ host, skip: host.name === 'h25' ? 'not a Provider host' : null })),
      { concurrency: 4 },
    );
    let text = '';
    const err = new Writable({ write: (c: Buffer, _e, cb) => ((text += c.toString()), cb()) });
    const print = progressPrinter(new Output({}, new Writable({ write: (_c, _e, cb) => cb() }), err), { stream: err });
    const events: ServiceEvent[] = [];
    await runOperationJob(s, jobId, op, { onEvent: (e) => (events.push(e), print(e)) });
    expect(events.find((e) => e.type === 'job' && e.status === 'running')).toEqual({ type: 'job', jobId, status: 'running', hosts: 25 });
    const told = (name: string) => events.flatMap((e) => (e.type === 'host' && e.host === name ? [e.status] : []));
    expect(told('h01')).toEqual(['running', 'succeeded']);
    expect(told('h07')).toEqual(['running', 'failed']);
    expect(told('h25')).toEqual(['skipped']);
    const lines = text.trimEnd().split('\n');
    expect(lines.filter((l) => /^h\d+: succeeded$/.test(l))).toHaveLength(23);
    expect(lines).toContain('h25: skipped');
    expect(lines.filter((l) => l.startsWith('h07:'))).toEqual(['h07: second failed — command_failed: h07 refused']);
    // No per-step lines and no per-host [n/25] count lines: the summary line carries the counts.
    expect(lines.some((l) => /first|second succeeded|^\[\d+\/25\]/.test(l))).toBe(false);
    expect(lines.filter((l) => l.includes(' done | ')).at(-1)).toMatch(/^25\/25 done \| 23 succeeded, 1 skipped, 1 failed \| 0 running, 0 pending/);
    s.close();
  });

  it('an aborted run starts no more hosts; they are cancelled in the journal and a resume runs them', async () => {
    const s = store();
    const hosts = ['a', 'b', 'c', 'd'].map((n, i) => s.hosts.upsert({ name: n, address: `192.0.2.${i + 1}`, os: 'windows' }).host);
    const ac = new AbortController();
    const op = scripted({ a: () => ac.abort() });
    const jobId = createOperationJob(
      s,
      op,
      { what: 'test' },
      hosts.map((host) => ({ host })),
      { concurrency: 1 },
    );
    const r = await runOperationJob(s, jobId, op, { signal: ac.signal });
    expect(r.status).toBe('cancelled');
    expect(r.hosts.map((h) => h.status)).toEqual(['succeeded', 'cancelled', 'cancelled', 'cancelled']);
    const resumed = scripted({});
    expect(await runOperationJob(s, jobId, resumed, { retryFailed: true })).toMatchObject({ status: 'succeeded', outcome: { changed: 4 } });
    expect(resumed.ran.filter((x) => x.startsWith('a:'))).toEqual([]);
    s.close();
  });

  it('proxy apply and components uninstall run as jobs: jobs show, resume and report know them', async () => {
    const s = store();
    const svc = createService(s);
    setProxy(s, { name: 'corp', url: 'http://proxy.contoso.local:8080', credential: null });
    s.hosts.upsert({ address: '10.0.0.5', os: 'windows', tags: ['site:hq'] });
    const events: ServiceEvent[] = [];
    const applied = await svc.call('proxy.apply', { name: 'corp', hosts: 'all' }, { onEvent: (e) => events.push(e) });
    if (!applied.ok) throw new Error(applied.error.message);
    expect(applied.value).toMatchObject({ proxy: 'corp', status: 'succeeded', hosts: [{ host: '10.0.0.5', status: 'skipped', steps: [] }] });
    const jobId = applied.value.jobId!;
    expect(events[0]).toEqual({ type: 'job', jobId, status: 'created' });
    expect(await svc.call('jobs.show', { jobId })).toMatchObject({
      ok: true,
      value: { id: jobId, kind: 'proxy-apply', planId: null, hosts: [{ host: '10.0.0.5', status: 'skipped', action: 'proxy' }] },
    });
    expect(await svc.call('jobs.resume', { jobId })).toMatchObject({ ok: true, value: { jobId, planId: null, status: 'succeeded' } });
    expect(await svc.call('report.create', { id: jobId, format: 'json' })).toMatchObject({ ok: true, value: { kind: 'job' } });

    // A host of unknown OS has no uninstall recipe: failed as data, journalled, resumable.
    s.hosts.upsert({ address: '10.0.0.6' });
    const un = await svc.call('components.uninstall', { component: 'mobility-service', hosts: '10.0.0.6' });
    expect(un).toMatchObject({ ok: true, value: [{ host: '10.0.0.6', status: 'failed', error: { code: 'unsupported' } }] });
    const job = s.journal.latest('uninstall')!;
    expect(await svc.call('jobs.resume', { jobId: job.id, retryFailed: true })).toMatchObject({
      ok: true,
      value: { status: 'failed', hosts: [{ host: '10.0.0.6', status: 'failed' }] },
    });
    expect(await svc.call('jobs.list', {})).toMatchObject({ ok: true, value: [{ kind: 'uninstall' }, { kind: 'proxy-apply' }] });
    s.close();
  });
});
