/**
 * The wizard's live state is the journal's (issue 15 item 7) and accepted overrides are recorded
 * with who and when (item 8): jobs.show gives the journal's own host states, the job is known
 * from its `created` event (with the plan it runs), and the plan, jobs.show and the job report
 * carry each accepted check with who accepted it and when.
 */
import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServiceEvent } from '../../../src-main/service/contract.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { tempHome } from '../../helpers/cli.ts';

function setup() {
  const home = tempHome();
  const store = openStore(home, (db) => new LazyVaultStore(db, () => 'k'));
  return { home, store, svc: createService(store) };
}

describe('jobs.show is the journal', () => {
  it('a host not started is pending and one in flight running: never a phantom cancelled', async () => {
    const { store, svc } = setup();
    const a = store.hosts.upsert({ address: '10.0.0.1', os: 'linux' }).host;
    const b = store.hosts.upsert({ address: '10.0.0.2', os: 'linux' }).host;
    const job = store.journal.createJob({
      kind: 'apply',
      planId: null,
      options: {},
      hosts: [
        { hostId: a.id, host: a.name, action: 'install', version: null },
        { hostId: b.id, host: b.name, action: 'install', version: null },
      ],
    });
    store.journal.setHost(job.id, b.id, { status: 'running' });
    const r = await svc.call('jobs.show', { jobId: job.id });
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(r.value.hosts.map((h) => [h.host, h.status])).toEqual([
        ['10.0.0.1', 'pending'],
        ['10.0.0.2', 'running'],
      ]);
  });
});

describe('accepted checks: who and when, in the plan, jobs.show and the report', () => {
  it('a plan from the browser wizard records the OS user and the front end; apply announces its job with the plan id', async () => {
    const { home, svc } = setup();
    await svc.call('hosts.add', { address: '10.0.0.9', os: 'linux' });
    const dir = join(home, 'installers');
    mkdirSync(dir);
    const source = svc.files.grantPath(dir, 'dir').handle;
    const before = new Date().toISOString();
    const plan = await svc.call('plan.create', { component: 'mobility-service', source, hosts: 'all', accept: ['etc-hosts'] }, { frontEnd: 'browser' });
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    const by = `${userInfo().username} (browser wizard)`;
    expect(plan.value.acceptances).toEqual([{ check: 'etc-hosts', by, at: expect.any(String), hosts: [] }]);
    expect(plan.value.acceptances![0]!.at >= before).toBe(true);
    // The page never sees the folder's path in the plan it gets back.
    expect(plan.value.source).toBe('installers');
    const shown = await svc.call('plan.show', { planId: plan.value.planId });
    expect(shown.ok && shown.value.acceptances).toEqual(plan.value.acceptances);

    const events: ServiceEvent[] = [];
    const applied = await svc.call('apply.start', { planId: plan.value.planId }, { onEvent: (e) => events.push(e), frontEnd: 'browser' });
    expect(applied.ok).toBe(true);
    if (!applied.ok) return;
    expect(events[0]).toEqual({ type: 'job', jobId: applied.value.jobId, status: 'created', planId: plan.value.planId });
    const job = await svc.call('jobs.show', { jobId: applied.value.jobId });
    expect(job.ok && job.value.acceptances).toEqual(plan.value.acceptances);
    if (job.ok) expect(job.value.hosts[0]!.status).toBe('blocked');
    const json = await svc.call('report.create', { id: applied.value.jobId, format: 'json' });
    expect(json.ok && JSON.parse(json.value.content!).acceptances).toEqual(plan.value.acceptances);
    const html = await svc.call('report.create', { id: applied.value.jobId, format: 'html' });
    expect(html.ok && html.value.content).toMatch(
      new RegExp(`<h2>Accepted failing checks</h2>[\\s\\S]*<td class="warn">etc-hosts</td><td>${by.replace(/[()]/g, '\\$&')}</td>`),
    );
  });
});
