import { accessSync, constants, statSync } from 'node:fs';
import { hostSecrets, transportFor } from '../../deploy/connect.ts';
import { fail } from '../../model/errors.ts';
import { forEachHost } from '../../model/for-each-host.ts';
import { proxyStepsFor } from '../../proxy/apply.ts';
import { proxyApplyOperation, proxyApplyRows, type ProxyApplyInputs } from '../../proxy/apply-job.ts';
import { createOperationJob, runOperationJob } from '../../deploy/host-jobs.ts';
import { parseEndpoint, REQUIRED_ENDPOINTS } from '../../proxy/endpoints.ts';
import { probeFromLinux, probeFromWindows, type EndpointResult } from '../../proxy/probe.ts';
import { listProxies, proxyAccount, requireProxy, setProxy } from '../../proxy/proxies.ts';
import type { Transport } from '../../remote/transport.ts';
import type { CommandInput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

export const proxyHandlers = {
  'proxy.set': (input: CommandInput<'proxy.set'>, { store }: HandlerContext) => {
    const rec = setProxy(store, { name: input.name, url: input.url, credential: input.credential ?? null });
    store.journal.event(null, null, 'proxy-set', { name: rec.name, url: rec.url, credential: rec.credential });
    return rec;
  },
  'proxy.list': (_i: CommandInput<'proxy.list'>, { store }: HandlerContext) => listProxies(store),
  'proxy.test': async (input: CommandInput<'proxy.test'>, { store, signal, emit }: HandlerContext) => {
    const proxy = requireProxy(store, input.name);
    // Bad --endpoint values are usage errors before any host is contacted.
    const endpoints = input.endpoints?.length ? input.endpoints.map(parseEndpoint) : REQUIRED_ENDPOINTS;
    const hosts = store.hosts.select(input.hosts);
    const account = proxyAccount(store, proxy);
    const outcomes = await forEachHost(
      hosts,
      async (h) => {
        let t: Transport | undefined;
        try {
          t = transportFor(store, h, hostSecrets(store, h));
          await t.connect({ signal });
          const probe = { proxy, account, endpoints, signal, ...(input.timeoutSeconds ? { timeoutSeconds: input.timeoutSeconds } : {}) };
          const results: EndpointResult[] =
            t.kind === 'ssh' ? await probeFromLinux(t, { ...probe, ...(input.method ? { method: input.method } : {}) }) : await probeFromWindows(t, probe);
          return { host: h.name, ok: results.every((r) => r.outcome === 'ok'), endpoints: results };
        } finally {
          await t?.close().catch(() => undefined);
        }
      },
      { concurrency: input.concurrency ?? 16, signal, hostOf: (h) => h.name, onSettled: (o, p) => emit({ type: 'progress', ...p, message: o.item.name }) },
    );
    return {
      proxy: proxy.name,
      url: proxy.url,
      hosts: outcomes.map((o) => (o.ok ? o.value : { host: o.item.name, ok: false, endpoints: [], error: o.error })),
    };
  },
  'proxy.apply': async (input: CommandInput<'proxy.apply'>, { store, signal, emit }: HandlerContext) => {
    const proxy = requireProxy(store, input.name);
    const hosts = store.hosts.select(input.hosts);
    const plans = hosts.map((h) => ({ host: h, ...proxyStepsFor(h, proxy) }));
    // Everything a step needs is checked before the first host changes.
    if (plans.some((p) => p.steps.some((s) => s.id === 'provider'))) {
      const who = plans.filter((p) => p.steps.some((s) => s.id === 'provider')).map((p) => p.host.name);
      if (!input.vaultCredentialsFile)
        fail('usage', `Re-registering the Provider with the proxy needs the vault credentials (registration key) file (${who.join(', ')}).`, {
          remedy: 'Download it from the Recovery Services vault (valid for five days) and give --vault-credentials FILE.',
        });
      try {
        accessSync(input.vaultCredentialsFile, constants.R_OK);
        if (!statSync(input.vaultCredentialsFile).isFile()) throw new Error('not a file');
      } catch {
        fail('usage', `--vault-credentials ${input.vaultCredentialsFile}: not a readable file.`, {
          remedy: 'Give the path of the .VaultCredentials file downloaded from the vault.',
        });
      }
    }
    // The proxy account is read now, so a missing password is refused before a job exists.
    proxyAccount(store, proxy);
    const inputs: ProxyApplyInputs = {
      proxy: proxy.name,
      ...(input.vaultCredentialsFile ? { vaultCredentialsFile: input.vaultCredentialsFile } : {}),
      ...(input.drconfigurator ? { drconfigurator: input.drconfigurator } : {}),
    };
    // A journalled job (deploy/host-jobs.ts): jobs show / logs / resume / cancel and report work for it.
    const jobId = createOperationJob(
      store,
      proxyApplyOperation,
      inputs,
      plans.map((p) => ({ host: p.host, skip: p.skip })),
      input.concurrency ? { concurrency: input.concurrency } : {},
    );
    emit({ type: 'job', jobId, status: 'created' });
    const r = await runOperationJob(store, jobId, proxyApplyOperation, { signal, onEvent: emit });
    return { proxy: proxy.name, url: proxy.url, jobId, status: r.status, hosts: proxyApplyRows(store, jobId, proxy) };
  },
} satisfies HandlerPart<'proxy.set' | 'proxy.list' | 'proxy.test' | 'proxy.apply'>;
