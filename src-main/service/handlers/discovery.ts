import { writeReportFile } from '../../reports/write-report.ts';
import { randomBytes } from 'node:crypto';
import { registrationSettings, resolveRegistration } from '../../deploy/registration.ts';
import { documentVerdict, groupByCheck, toCheckRunDocument, type CheckRunDocument } from '../../checks/index.ts';
import { loadCatalog } from '../../components/catalog.ts';
import { hostSecrets, transportFor } from '../../deploy/connect.ts';
import { examineHost } from '../../deploy/examine.ts';
import { discoverNetwork, parseTargets } from '../../discovery/network/index.ts';
import { discoverVcenter, vmsToHostInputs } from '../../discovery/vcenter/index.ts';
import { discoverHyperVHost, discoverVmm, hyperVToHostInput, mergeDiscoveredHosts, vmmToHostInputs } from '../../discovery/hyperv/index.ts';
import { windowsScriptRunner } from './windows-runner.ts';
import { gatherFacts } from '../../facts/index.ts';
import { fail, toAsrError } from '../../model/errors.ts';
import { forEachHost, valuesOrThrow } from '../../model/for-each-host.ts';
import { renderCheckReport } from '../../reports/check-report.ts';
import { jobReport } from '../../reports/job.ts';
import { renderJobReport } from '../../reports/job-report.ts';
import { scanSshHostKey } from '../../remote/ssh/scan.ts';
import { normalizeFingerprint as normalizeSsh } from '../../remote/ssh/host-key.ts';
import { normalizeFingerprint as normalizeTls, scanTlsCertificate } from '../../remote/tls-scan.ts';
import { nowIso, transaction } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import type { CommandInput, CommandOutput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import { splitHostPort } from './inventory.ts';
import type { HandlerPart } from './types.ts';

type ScanRow = CommandOutput<'trust.scan'>[number];

/** HOST or HOST:PORT → what answers: without a port, SSH on 22 and TLS on 5986 are tried (cli.md). */
async function scanTarget(store: Store, spec: string, timeoutMs: number, signal: AbortSignal): Promise<ScanRow[]> {
  const [name, port] = splitHostPort(spec);
  const inv = store.hosts.get(name);
  const address = inv?.address ?? name;
  const attempts: ('ssh' | 'tls')[] = port === undefined ? ['ssh', 'tls'] : ['ssh', 'tls'];
  const rows: ScanRow[] = [];
  for (const kind of attempts) {
    const p = port ?? (kind === 'ssh' ? 22 : 5986);
    try {
      if (kind === 'ssh') {
        const r = await scanSshHostKey(address, p, { timeoutMs, signal, host: name });
        rows.push({ host: address, port: p, kind, fingerprint: r.fingerprint, keyType: r.keyType, banner: r.banner, pinned: store.trust.get(address, p, 'ssh')?.fingerprint ?? null });
      } else {
        const c = await scanTlsCertificate(address, p, { timeoutMs });
        rows.push({ host: address, port: p, kind, fingerprint: c.fingerprint, subject: c.subject, notAfter: c.notAfter, expired: c.expired, expiresSoon: c.expiresSoon, pinned: store.trust.get(address, p, 'tls')?.fingerprint ?? null });
      }
      if (port !== undefined) return rows; // with a port: whichever protocol answers there
    } catch (e) {
      if (port !== undefined && kind === 'ssh') continue;
      if (port !== undefined || kind === 'tls') {
        if (!rows.length) rows.push({ host: address, port: p, error: toAsrError(e, address) } as ScanRow);
      }
    }
  }
  return rows;
}

export const discoveryHandlers = {
  'trust.scan': async (input: CommandInput<'trust.scan'>, { store, signal }: HandlerContext) => {
    return valuesOrThrow(await forEachHost(input.targets, (t) => scanTarget(store, t, input.timeoutMs ?? 5000, signal), { concurrency: 16 })).flat();
  },
  'trust.approve': async (input: CommandInput<'trust.approve'>, { store, signal }: HandlerContext) => {
    // Serial on purpose: enrolment is the one place keys are accepted, one by one (peers: ansible#13318).
    // Every target is scanned and judged first; then all pins are written in one transaction, or none.
    const accepted: { row: ScanRow; previous: string | null }[] = [];
    for (const spec of input.targets) {
      const rows = (await scanTarget(store, spec, input.timeoutMs ?? 5000, signal)).filter((r) => r.fingerprint);
      if (!rows.length) fail('unreachable', `Nothing answered at ${spec} to approve; nothing was pinned.`, { host: spec, remedy: 'Check the address and port, or give --fingerprint to pin a known value.' });
      for (const r of rows) {
        const norm = (fp: string) => (r.kind === 'ssh' ? normalizeSsh(fp) : normalizeTls(fp));
        const seen = norm(r.fingerprint!);
        if (input.fingerprint) {
          const want = norm(input.fingerprint);
          if (!want || want !== seen) {
            fail(r.kind === 'ssh' ? 'host_key_mismatch' : 'tls_pin_mismatch', `${r.host}:${r.port} presents ${r.fingerprint}, not the fingerprint given (${input.fingerprint}); nothing was pinned.`, { host: r.host, retryable: false, remedy: 'Verify the fingerprint out of band (console, ssh-keygen -lf on the host) before approving.' });
          }
        }
        const previous = r.pinned ?? null;
        if (previous && norm(previous) !== seen && !input.replace) {
          const what = r.kind === 'ssh' ? 'SSH host key' : 'TLS certificate';
          fail(r.kind === 'ssh' ? 'host_key_mismatch' : 'tls_pin_mismatch', `${r.host}:${r.port} now presents the ${what} ${r.fingerprint}, but ${previous} is pinned; nothing was pinned.`, {
            host: r.host,
            retryable: false,
            remedy: `A changed key is expected only after a reinstall or a deliberate re-key; otherwise someone may be intercepting the connection. Confirm the new fingerprint with the host's owner, then run \`asr-deploy trust approve ${spec} --replace\` (old ${previous}, new ${r.fingerprint}).`,
            details: { pinned: previous, presented: r.fingerprint, kind: r.kind, port: r.port },
          });
        }
        accepted.push({ row: r, previous: previous && norm(previous) !== seen ? previous : null });
      }
    }
    return transaction(store.db, () =>
      accepted.map(({ row: r, previous }) => {
        const pin = store.trust.approve({ host: r.host, port: r.port, kind: r.kind!, fingerprint: r.fingerprint!, keyType: r.keyType ?? null, subject: r.subject ?? null, notAfter: r.notAfter ?? null });
        store.journal.event(null, null, previous ? 'trust-replaced' : 'trust-approved', { host: r.host, port: r.port, kind: r.kind, fingerprint: r.fingerprint, previous });
        return { ...pin, previous };
      }),
    );
  },
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
      const { host, conflicts } = store.hosts.upsert({ address: d.address, os: d.os, transport, tags: input.tags, source: 'network', ...(input.credential ? { credential: input.credential } : {}), evidence: { network: { open: d.open, ssh: d.ssh, winrm: d.winrm, at: nowIso() } } });
      return { ...d, hostId: host.id, ...(conflicts.length ? { conflicts } : {}) };
    });
  },
  'discover.vcenter': async (input: CommandInput<'discover.vcenter'>, { store, signal, emit }: HandlerContext) => {
    const cred = store.credentials.secret(input.credential);
    if (!cred.password) fail('validation', `The credential ${input.credential} has no password; vCenter needs a user name and password.`);
    const server = input.server;
    const pin = input.fingerprint ?? pinnedTls(store, server);
    const vms = await discoverVcenter({ server, user: cred.user, password: cred.password, signal, ...(pin ? { fingerprint: pin } : {}), ...(input.pageSize ? { pageSize: input.pageSize } : {}), onProgress: (p) => emit({ type: 'progress', done: p.vms, total: 0, message: `${p.vms} VMs` }) });
    if (!input.add) return vms;
    const inputs = vmsToHostInputs(vms, input.hostCredential ? { credential: input.hostCredential } : {});
    const byUuid = new Map<string, { hostId?: string; conflicts?: CommandOutput<'hosts.conflicts'>; warning?: string }>();
    // Two VMs with one address cannot both be that host: the first keeps it, the second is named in a warning and not added.
    const firstAt = new Map<string, (typeof inputs)[number]>();
    const knownUuids = new Set(store.hosts.list().map((x) => x.uuid).filter(Boolean));
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
      for (const c of conflicts) emit({ type: 'log', level: 'warn', message: `${c.host}: kept ${c.field} "${c.current}" (${c.keptBecause}); vCenter says "${c.discovered}" — accept with: asr-deploy hosts accept-conflict ${c.id}` });
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
    if (!store.credentials.info(input.credential)) fail('not_found', `No credential named "${input.credential}".`, { remedy: 'Add it with `asr-deploy credentials add NAME --user DOMAIN\\\\user --password-stdin`.' });
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
  'check.run': async (input: CommandInput<'check.run'>, { store, signal, emit }: HandlerContext) => {
    const catalog = loadCatalog();
    const registration = resolveRegistration({ cs: input.cs, ps: input.ps, appliance: input.appliance });
    const settings = registrationSettings(catalog, registration);
    const version = input.version ?? catalog.latest(input.component).version;
    const hosts = store.hosts.select(input.hosts);
    if (!hosts.length) fail('validation', 'No hosts are selected: there is nothing to check.', { remedy: 'Add hosts with `asr-deploy hosts add` or `discover … --add`, or check --hosts.' });
    // examineHost turns a host's failure into its checks' evidence; a throw here is a bug, and fails the run as before.
    const results = valuesOrThrow(
      await forEachHost(
        hosts,
        async (h) => {
          const ex = await examineHost(store, h, { component: input.component, version, settings, detect: false, signal });
          if (ex.error) {
            ex.checks.checks[0] = { ...ex.checks.checks[0]!, evidence: `${ex.error.code}: ${ex.error.message}`, remedy: ex.error.remedy ?? ex.checks.checks[0]!.remedy };
          }
          return { host: h.name, result: ex.checks, ...(ex.error ? { error: ex.error } : {}) };
        },
        { concurrency: input.concurrency ?? 16, hostOf: (h) => h.name, onSettled: (o, p) => o.ok && emit({ type: 'progress', ...p, message: `${o.item.name}: ${o.value.result.verdict}${o.value.error ? ` (${o.value.error.code})` : ''}` }) },
      ),
    );
    const doc = toCheckRunDocument(input.component, version, results);
    const runId = `c-${randomBytes(4).toString('hex')}`;
    store.checkRuns.add({ id: runId, createdAt: nowIso(), component: input.component, version }, doc);
    return { ...doc, runId, byCheck: groupByCheck(doc) };
  },
  'report.create': (input: CommandInput<'report.create'>, { store }: HandlerContext) => {
    const { kind, id } = resolveReportId(store, input.id);
    const content = kind === 'job' ? renderJobReport(jobReport(store, id), input.format) : renderCheckReport(checkRun(store, id), input.format);
    if (input.out) {
      writeReportFile(input.out, content);
      return { id, kind, format: input.format, out: input.out };
    }
    return { id, kind, format: input.format, out: null, content };
  },
  'hosts.discovered': (_i: CommandInput<'hosts.discovered'>, { store }: HandlerContext) => store.hosts.list().filter((h) => h.source !== 'manual'),
} satisfies HandlerPart<'trust.scan' | 'trust.approve' | 'discover.network' | 'discover.vcenter' | 'discover.vmm' | 'discover.hyperv' | 'facts.gather' | 'check.run' | 'report.create' | 'hosts.discovered'>;

function pinnedTls(store: Store, server: string): string | undefined {
  try {
    const u = new URL(/^https?:\/\//.test(server) ? server : `https://${server}`);
    return store.trust.get(u.hostname, Number(u.port || 443), 'tls')?.fingerprint;
  } catch {
    return undefined;
  }
}

function checkRun(store: Store, id: string): CheckRunDocument {
  const doc = store.checkRuns.get(id);
  if (doc === undefined) fail('not_found', `No check run ${id}.`);
  return doc as CheckRunDocument;
}

function resolveReportId(store: Store, id: string): { kind: 'job' | 'check'; id: string } {
  if (id === 'latest') {
    const job = store.journal.latest();
    const check = store.checkRuns.latest();
    if (!job && !check) fail('not_found', 'There is no job or check run to report on yet.', { remedy: 'Run `asr-deploy check` or `asr-deploy apply` first.' });
    if (job && (!check || job.createdAt >= check.createdAt)) return { kind: 'job', id: job.id };
    return { kind: 'check', id: check!.id };
  }
  if (store.journal.job(id)) return { kind: 'job', id };
  if (store.checkRuns.has(id)) return { kind: 'check', id };
  return fail('not_found', `No job or check run ${id}.`, { remedy: 'See `asr-deploy jobs list`.' });
}

export { documentVerdict };
