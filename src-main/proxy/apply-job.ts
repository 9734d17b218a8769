import { hostSecrets, transportFor } from '../deploy/connect.ts';
import type { HostOperation } from '../deploy/host-jobs.ts';
import { fail, type AsrError } from '../model/errors.ts';
import type { Store } from '../store/store.ts';
import { applyProxySteps, proxyStepsFor, type StepResult } from './apply.ts';
import { proxyAccount, requireProxy, type ProxyRecord } from './proxies.ts';

/** What a `proxy apply` job keeps (job options): the proxy by name, read again on resume (a changed password is used). */
export interface ProxyApplyInputs extends Record<string, unknown> {
  proxy: string;
  vaultCredentialsFile?: string;
  drconfigurator?: string;
}

/**
 * `proxy apply` as an operation job (deploy/host-jobs.ts): per host, each planned step (Provider,
 * DRAProxyAccount, MARS agent) is one journalled step, so a resumed job does not re-register a
 * Provider whose step already succeeded.
 */
export const proxyApplyOperation: HostOperation<ProxyApplyInputs> = {
  kind: 'proxy-apply',
  action: 'proxy',
  defaults: { concurrency: 4 },
  secrets: (store, host, o) => {
    const s = hostSecrets(store, host);
    return [s?.password, s?.passphrase, s?.sudoPassword, proxyAccount(store, requireProxy(store, o.proxy))?.password];
  },
  run: async ({ store, host, signal, log, step }, o) => {
    const proxy = requireProxy(store, o.proxy);
    const account = proxyAccount(store, proxy);
    const { steps, skip } = proxyStepsFor(host, proxy);
    if (skip) return { status: 'skipped' };
    const t = transportFor(store, host, hostSecrets(store, host), { log: (l) => log.line(l) });
    try {
      if (t.kind !== 'powershell')
        fail('validation', `${host.name}: the proxy settings are applied over PowerShell remoting, and this host is reached over SSH as Linux.`, {
          host: host.name,
          remedy: `asr-deploy hosts add ${host.address} --os windows`,
        });
      await t.connect({ signal });
      const done: StepResult[] = [];
      for (const s of steps) {
        const d = await step(s.id, async () => {
          const r = await applyProxySteps(t, host, [s], {
            proxy,
            account,
            signal,
            ...(o.vaultCredentialsFile ? { vaultCredentialsFile: o.vaultCredentialsFile } : {}),
            ...(o.drconfigurator ? { drconfigurator: o.drconfigurator } : {}),
          });
          const result: StepResult = r.steps[0] ?? { id: s.id, status: 'failed', why: s.why, detail: r.error?.message ?? null };
          log.line(`${s.id}: ${result.status}${result.detail ? ` (${result.detail})` : ''}`);
          return { detail: { result }, error: r.error };
        });
        done.push(d.result as StepResult);
      }
      store.journal.event(null, null, 'proxy-applied', { proxy: proxy.name, host: host.name, steps: done.map((s) => ({ id: s.id, status: s.status })) });
      return { status: 'succeeded' };
    } finally {
      await t.close().catch(() => undefined);
    }
  },
};

export interface ProxyApplyRow {
  host: string;
  status: 'applied' | 'skipped' | 'failed';
  reason: string | null;
  roles: string[];
  steps: (Omit<StepResult, 'status'> & { status: StepResult['status'] | 'planned' })[];
  error?: AsrError;
}

/** The `proxy apply` answer per host, read from the job's journal (so a resumed job answers the same way). */
export function proxyApplyRows(store: Store, jobId: string, proxy: ProxyRecord): ProxyApplyRow[] {
  return store.journal.hosts(jobId).map((jh) => {
    const host = store.hosts.get(jh.hostId);
    const roles = host ? host.tags.filter((t) => t.startsWith('role:')) : [];
    const planned = host ? proxyStepsFor(host, proxy) : { steps: [], skip: null };
    if (jh.status === 'skipped') return { host: jh.host, status: 'skipped', reason: planned.skip, roles, steps: [] };
    const reason = planned.steps.map((s) => s.why).join('; ');
    const recorded = planned.steps.flatMap((s) => {
      const r = (store.journal.step(jobId, jh.hostId, s.id)?.detail as { result?: StepResult } | null)?.result;
      return r ? [r] : [];
    });
    if (jh.status === 'succeeded' || jh.status === 'succeeded_with_warnings') return { host: jh.host, status: 'applied', reason, roles, steps: recorded };
    // Failed before any step ran (connect, vault): every planned step, as planned.
    const steps = recorded.length ? recorded : planned.steps.map((s) => ({ id: s.id, status: 'planned' as const, why: s.why, detail: null }));
    return { host: jh.host, status: 'failed', reason, roles, steps, ...(jh.error ? { error: jh.error } : {}) };
  });
}
