import type { ComponentId } from '../components/catalog.ts';
import { loadCatalog } from '../components/catalog.ts';
import { recipeFor } from '../components/recipes.ts';
import { fail, type AsrError } from '../model/errors.ts';
import type { Store } from '../store/store.ts';
import { hostSecrets, transportFor } from './connect.ts';
import type { HostOperation } from './host-jobs.ts';

export interface UninstallInputs extends Record<string, unknown> {
  component: ComponentId;
}

/** `components uninstall` as an operation job (host-jobs.ts): one journalled `uninstall` step per host. */
export const uninstallOperation: HostOperation<UninstallInputs> = {
  kind: 'uninstall',
  action: 'uninstall',
  defaults: { concurrency: 8 },
  secrets: (store, host) => {
    const s = hostSecrets(store, host);
    return [s?.password, s?.passphrase, s?.sudoPassword];
  },
  run: async ({ store, host, signal, log, step }, o) => {
    const recipe = host.os ? recipeFor(o.component, host.os) : undefined;
    if (!recipe) fail('unsupported', `No ${o.component} recipe for ${host.os ?? 'an unknown OS'}.`, { host: host.name });
    const t = transportFor(store, host, hostSecrets(store, host), { log: (l) => log.line(l) });
    try {
      await step('uninstall', async () => {
        await t.connect({ signal });
        const status = await recipe.uninstall(t, loadCatalog(), { signal, timeoutMs: 30 * 60_000 });
        log.line(`uninstall ${o.component}: ${status}`);
        store.journal.event(null, host.id, 'uninstall', { component: o.component, host: host.name, status });
        return { detail: { status } };
      });
      return { status: 'succeeded' };
    } finally {
      await t.close().catch(() => undefined);
    }
  },
};

/** The `components uninstall` answer per host, from the job's journal. */
export function uninstallRows(store: Store, jobId: string): { host: string; status: 'removed' | 'absent' | 'failed'; error?: AsrError }[] {
  return store.journal.hosts(jobId).map((jh) => {
    const status = (store.journal.step(jobId, jh.hostId, 'uninstall')?.detail as { status?: 'removed' | 'absent' } | null)?.status;
    if (jh.status === 'succeeded' && status) return { host: jh.host, status };
    return { host: jh.host, status: 'failed', ...(jh.error ? { error: jh.error } : {}) };
  });
}
