import { hostSecrets, transportFor } from '../../deploy/connect.ts';
import { discoverNetwork, parseTargets } from '../../discovery/network/index.ts';
import { discoverVcenter, vmsToHostInputs } from '../../discovery/vcenter/index.ts';
import { discoverHyperVHost, discoverVmm, hyperVToHostInput, mergeDiscoveredHosts, vmmToHostInputs } from '../../discovery/hyperv/index.ts';
import { windowsScriptRunner } from './windows-runner.ts';
import { gatherFacts } from '../../facts/index.ts';
import { fail } from '../../model/errors.ts';
import { forEachHost } from '../../model/for-each-host.ts';
import { nowIso } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import type { CommandInput, CommandOutput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

export const discoveryHandlers = {
  'discover.network': async (input: CommandInput<'discover.network'>, { store, signal, emit }: HandlerContext) => {
    // Every target is validated before the first probe: a bad CIDR is a usage error and nothing is stored.
    const targets = parseTargets(input.targets, { force: input.force, ...(input.maxAddresses ? { maxAddresses: input.maxAddresses } : {}) });
    if (input.credential && !store.credentials.info(input.credential)) fail('not_found', `No credential named "${input.credential}".`);
    const found = await discoverNetwork(targets, {
      signal,
      ...(input.ports ? { ports: input.ports } : {}),
      ...(input.concurrency ? { concurrency: input.concurrency } : {}),
      ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
      onProgress: (p) => emit({ type: 'progress', done: (p as { done?: number }).done ?? 0, total: (p as { total?: number }).total ?? 0, message: 'probing' }),
    });
    if (!input.add) return found;
    return found.map((d) => {
      if (!d.os) return d;
      const transport = d.os === 'windows' ? 'winrm' : 'ssh';
      const { host, conflicts } = store.hosts.upsert({
        address: d.address,
        os: d.os,
        transport,
        tags: input.tags,
        source: 'network',
        ...(input.credential ? { credential: input.credential } : {}),
        evidence: { network: { open: d.open, ssh: d.ssh, winrm: d.winrm, at: nowIso() } },
      });
      return { ...d, hostId: host.id, ...(conflicts.length ? { conflicts } : {}) };
    });
  },
  'discover.vcenter': async (input: CommandInput<'discover.vcenter'>, { store, signal, emit }: HandlerContext) => {
    const cred = store.credentials.secret(input.credential);
    if (!cred.password) fail('validation', `The credential ${input.credential} has no password; vCenter needs a user name and password.`);
    const server = input.server;
    const pin = input.fingerprint ?? pinnedTls(store, server);
    const vms = await discoverVcenter({
      server,
      user: cred.user,
      password: cred.password,
      signal,
      ...(pin ? { fingerprint: pin } : {}),
      ...(input.pageSize ? { pageSize: input.pageSize } : {}),
      onProgress: (p) => emit({ type: 'progress', done: p.vms, total: 0, message: `${p.vms} VMs` }),
    });
    if (!input.add) return vms;
    const inputs = vmsToHostInputs(vms, input.hostCredential ? { credential: input.hostCredential } : {});
    const byUuid = new Map<string, { hostId?: string; conflicts?: CommandOutput<'hosts.conflicts'>; warning?: string }>();
    // Two VMs with one address cannot both be that host: the first keeps it, the second is named in a warning and not added.
    const firstAt = new Map<string, (typeof inputs)[number]>();
    const knownUuids = new Set(
      store.hosts
        .list()
        .map((x) => x.uuid)
        .filter(Boolean),
    );
    for (const h of inputs) {
      const first = firstAt.get(h.address);
      const known = store.hosts.get(h.address);
      const warning = first
        ? `${h.address} is the address of two VMs, ${first.name} (${first.uuid ?? 'no uuid'}) and ${h.name} (${h.uuid ?? 'no uuid'}); ${h.name} was not added (fix the guest address in vCenter, or add it by hand)`
        : known?.uuid && h.uuid && known.uuid !== h.uuid && !knownUuids.has(h.uuid)
          ? `${h.address} belongs to ${known.name} in the inventory (VM ${known.uuid}), not to VM ${h.name} (${h.uuid}); ${h.name} was not added`
          : undefined;
      if (warning) {
        emit({ type: 'log', level: 'warn', message: warning });
        if (h.uuid) byUuid.set(h.uuid, { warning });
        continue;
      }
      firstAt.set(h.address, h);
      const { host, conflicts } = store.hosts.upsert(h);
      for (const c of conflicts)
        emit({
          type: 'log',
          level: 'warn',
          message: `${c.host}: kept ${c.field} "${c.current}" (${c.keptBecause}); vCenter says "${c.discovered}" — accept with: asr-deploy hosts accept-conflict ${c.id}`,
        });
      if (h.uuid) byUuid.set(h.uuid, { hostId: host.id, ...(conflicts.length ? { conflicts } : {}) });
    }
    return vms.map((v) => (v.uuid && byUuid.has(v.uuid) ? { ...v, ...byUuid.get(v.uuid)! } : v));
  },
  'discover.vmm': async (input: CommandInput<'discover.vmm'>, { store, signal }: HandlerContext) => {
    const runner = windowsScriptRunner(store, input.server, input.credential);
    try {
      await runner.connect({ signal });
      const inv = await discoverVmm(runner, { server: input.server, signal });
      if (!input.add) return inv;
      const merged = mergeDiscoveredHosts(store.hosts, vmmToHostInputs(inv, { credential: input.credential }));
      return { ...inv, server: { ...inv.server, hostId: merged[0]!.hostId }, hosts: inv.hosts.map((h, i) => ({ ...h, hostId: merged[i + 1]?.hostId })) };
    } finally {
      await runner.close().catch(() => undefined);
    }
  },
  'discover.hyperv': async (input: CommandInput<'discover.hyperv'>, { store, signal, emit }: HandlerContext) => {
    if (!store.credentials.info(input.credential))
      fail('not_found', `No credential named "${input.credential}".`, {
        remedy: 'Add it with `asr-deploy credentials add NAME --user DOMAIN\\\\user --password-stdin`.',
      });
    const outcomes = await forEachHost(
      input.hosts,
      async (address) => {
        const runner = windowsScriptRunner(store, address, input.credential);
        try {
          await runner.connect({ signal });
          const inv = await discoverHyperVHost(runner, { address, signal });
          const row = { ok: true, ...inv };
          if (!input.add) return row;
          const [m] = mergeDiscoveredHosts(store.hosts, [hyperVToHostInput(inv, { credential: input.credential })]);
          return { ...row, hostId: m!.hostId };
        } finally {
          await runner.close().catch(() => undefined);
        }
      },
      { concurrency: input.concurrency ?? 8, signal, hostOf: (address) => address, onSettled: (o, p) => emit({ type: 'progress', ...p, message: o.item }) },
    );
    return outcomes.map((o) => (o.ok ? o.value : { address: o.item, ok: false, error: o.error }));
  },
  'facts.gather': async (input: CommandInput<'facts.gather'>, { store, signal, emit }: HandlerContext) => {
    const hosts = store.hosts.select(input.hosts);
    const outcomes = await forEachHost(
      hosts,
      async (h) => {
        let t;
        try {
          if (!h.os) fail('validation', `The OS family of ${h.name} is unknown.`, { remedy: `asr-deploy hosts add ${h.address} --os linux|windows` });
          t = transportFor(store, h, hostSecrets(store, h));
          await t.connect({ signal });
          const facts = await gatherFacts(h.os, t, { signal });
          store.hosts.setFacts(h.id, facts);
          return { host: h.name, ok: true, facts };
        } finally {
          await t?.close().catch(() => undefined);
        }
      },
      { concurrency: input.concurrency ?? 16, signal, hostOf: (h) => h.name, onSettled: (o, p) => emit({ type: 'progress', ...p, message: o.item.name }) },
    );
    return outcomes.map((o) => (o.ok ? o.value : { host: o.item.name, ok: false, error: o.error }));
  },
  'hosts.discovered': (_i: CommandInput<'hosts.discovered'>, { store }: HandlerContext) => store.hosts.list().filter((h) => h.source !== 'manual'),
} satisfies HandlerPart<'discover.network' | 'discover.vcenter' | 'discover.vmm' | 'discover.hyperv' | 'facts.gather' | 'hosts.discovered'>;

function pinnedTls(store: Store, server: string): string | undefined {
  try {
    const u = new URL(/^https?:\/\//.test(server) ? server : `https://${server}`);
    return store.trust.get(u.hostname, Number(u.port || 443), 'tls')?.fingerprint;
  } catch {
    return undefined;
  }
}
