import { fail, toAsrError } from '../../model/errors.ts';
import { forEachHost, valuesOrThrow } from '../../model/for-each-host.ts';
import { scanSshHostKey } from '../../remote/ssh/scan.ts';
import { normalizeFingerprint as normalizeSsh } from '../../remote/ssh/host-key.ts';
import { normalizeFingerprint as normalizeTls, scanTlsCertificate } from '../../remote/tls-scan.ts';
import { transaction } from '../../store/db.ts';
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
        rows.push({
          host: address,
          port: p,
          kind,
          fingerprint: r.fingerprint,
          keyType: r.keyType,
          banner: r.banner,
          pinned: store.trust.get(address, p, 'ssh')?.fingerprint ?? null,
        });
      } else {
        const c = await scanTlsCertificate(address, p, { timeoutMs });
        rows.push({
          host: address,
          port: p,
          kind,
          fingerprint: c.fingerprint,
          subject: c.subject,
          notAfter: c.notAfter,
          expired: c.expired,
          expiresSoon: c.expiresSoon,
          pinned: store.trust.get(address, p, 'tls')?.fingerprint ?? null,
        });
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

/** Trust enrolment: `trust scan` reads what endpoints present, `trust approve` pins it (the only way a key becomes trusted). */
export const trustHandlers = {
  'trust.scan': async (input: CommandInput<'trust.scan'>, { store, signal }: HandlerContext) => {
    return valuesOrThrow(await forEachHost(input.targets, (t) => scanTarget(store, t, input.timeoutMs ?? 5000, signal), { concurrency: 16 })).flat();
  },
  'trust.approve': async (input: CommandInput<'trust.approve'>, { store, signal }: HandlerContext) => {
    // Serial on purpose: enrolment is the one place keys are accepted, one by one (peers: ansible#13318).
    // Every target is scanned and judged first; then all pins are written in one transaction, or none.
    const accepted: { row: ScanRow; previous: string | null }[] = [];
    for (const spec of input.targets) {
      const rows = (await scanTarget(store, spec, input.timeoutMs ?? 5000, signal)).filter((r) => r.fingerprint);
      if (!rows.length)
        fail('unreachable', `Nothing answered at ${spec} to approve; nothing was pinned.`, {
          host: spec,
          remedy: 'Check the address and port, or give --fingerprint to pin a known value.',
        });
      for (const r of rows) {
        const norm = (fp: string) => (r.kind === 'ssh' ? normalizeSsh(fp) : normalizeTls(fp));
        const seen = norm(r.fingerprint!);
        if (input.fingerprint) {
          const want = norm(input.fingerprint);
          if (!want || want !== seen) {
            fail(
              r.kind === 'ssh' ? 'host_key_mismatch' : 'tls_pin_mismatch',
              `${r.host}:${r.port} presents ${r.fingerprint}, not the fingerprint given (${input.fingerprint}); nothing was pinned.`,
              { host: r.host, retryable: false, remedy: 'Verify the fingerprint out of band (console, ssh-keygen -lf on the host) before approving.' },
            );
          }
        }
        const previous = r.pinned ?? null;
        if (previous && norm(previous) !== seen && !input.replace) {
          const what = r.kind === 'ssh' ? 'SSH host key' : 'TLS certificate';
          fail(
            r.kind === 'ssh' ? 'host_key_mismatch' : 'tls_pin_mismatch',
            `${r.host}:${r.port} now presents the ${what} ${r.fingerprint}, but ${previous} is pinned; nothing was pinned.`,
            {
              host: r.host,
              retryable: false,
              remedy: `A changed key is expected only after a reinstall or a deliberate re-key; otherwise someone may be intercepting the connection. Confirm the new fingerprint with the host's owner, then run \`asr-deploy trust approve ${spec} --replace\` (old ${previous}, new ${r.fingerprint}).`,
              details: { pinned: previous, presented: r.fingerprint, kind: r.kind, port: r.port },
            },
          );
        }
        accepted.push({ row: r, previous: previous && norm(previous) !== seen ? previous : null });
      }
    }
    return transaction(store.db, () =>
      accepted.map(({ row: r, previous }) => {
        const pin = store.trust.approve({
          host: r.host,
          port: r.port,
          kind: r.kind!,
          fingerprint: r.fingerprint!,
          keyType: r.keyType ?? null,
          subject: r.subject ?? null,
          notAfter: r.notAfter ?? null,
        });
        store.journal.event(null, null, previous ? 'trust-replaced' : 'trust-approved', {
          host: r.host,
          port: r.port,
          kind: r.kind,
          fingerprint: r.fingerprint,
          previous,
        });
        return { ...pin, previous };
      }),
    );
  },
} satisfies HandlerPart<'trust.scan' | 'trust.approve'>;
