import { readFileSync } from 'node:fs';
import { parseHostFile } from '../../discovery/import/host-file.ts';
import { fail } from '../../model/errors.ts';
import { DEFAULT_PORT, WINRM_HTTP_PORT } from '../../model/host.ts';
import { transaction } from '../../store/db.ts';
import { winrmWarnings } from '../../model/winrm.ts';
import { setWinrmSettings, winrmSettings } from '../../store/winrm-settings.ts';
import type { CommandInput, CommandOutput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

export function hostsAdd(input: CommandInput<'hosts.add'>, { store }: HandlerContext): CommandOutput<'hosts.add'> {
  if (input.credential && !store.credentials.info(input.credential)) {
    fail('not_found', `No credential named "${input.credential}".`, { remedy: 'Add it first with `asr-deploy credentials add`.' });
  }
  return store.hosts.upsert(input).host;
}

export function hostsList(input: CommandInput<'hosts.list'>, { store }: HandlerContext): CommandOutput<'hosts.list'> {
  return store.hosts.select(input.hosts);
}

export function hostsConflicts(input: CommandInput<'hosts.conflicts'>, { store }: HandlerContext): CommandOutput<'hosts.conflicts'> {
  const ids = input.hosts && input.hosts !== 'all' ? store.hosts.select(input.hosts).map((h) => h.id) : undefined;
  return store.hosts.conflicts(ids);
}

export function hostsAcceptConflict(input: CommandInput<'hosts.acceptConflict'>, { store }: HandlerContext): CommandOutput<'hosts.acceptConflict'> {
  const open = new Set(store.hosts.conflicts().map((c) => c.id));
  const unknown = input.ids.filter((id) => !open.has(id));
  if (unknown.length) fail('not_found', `No open conflict ${unknown.join(', ')}; nothing was changed.`, { remedy: 'See `asr-deploy hosts conflicts`.' });
  return transaction(store.db, () =>
    input.ids.map((id) => {
      const host = store.hosts.acceptConflict(id);
      store.journal.event(null, host.id, 'conflict-accepted', { id, host: host.name, by: process.env.USER ?? null });
      return host;
    }),
  );
}

export function hostsRemove(input: CommandInput<'hosts.remove'>, { store }: HandlerContext): CommandOutput<'hosts.remove'> {
  const hosts = store.hosts.select(input.hosts);
  store.hosts.remove(hosts.map((h) => h.id));
  return { removed: hosts.map((h) => h.name) };
}

/** All rows are validated before the first write, and written in one transaction: a bad file changes nothing. */
export function hostsImport(input: CommandInput<'hosts.import'>, ctx: HandlerContext): CommandOutput<'hosts.import'> {
  let text: string;
  try {
    text = readFileSync(input.file, 'utf8');
  } catch (e) {
    return fail('not_found', `Cannot read the host file ${input.file} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, {
      remedy: 'Check the path and that the file is readable.',
    });
  }
  return importHostText(input.file, text, input.skipInvalid ?? false, ctx);
}

/** The import itself, from text (a file read by the CLI, or text the window sent). Errors name lines and fields, never quote the file. */
export function importHostText(name: string, text: string, skipInvalid: boolean, { store }: HandlerContext): CommandOutput<'hosts.import'> {
  const { rows, errors } = parseHostFile(name, text);
  const unknownCreds = rows.filter((r) => r.host.credential && !store.credentials.info(r.host.credential));
  for (const r of unknownCreds) errors.push({ line: r.line, message: `credential "${r.host.credential}" does not exist` });
  errors.sort((a, b) => a.line - b.line);
  if (errors.length && !skipInvalid) {
    const shown = errors
      .slice(0, 20)
      .map((e) => `line ${e.line}: ${e.message}`)
      .join('\n  ');
    fail(
      'validation',
      `${errors.length} invalid row(s) in ${name}; nothing was imported.\n  ${shown}${errors.length > 20 ? `\n  … and ${errors.length - 20} more` : ''}`,
      {
        remedy: 'Fix the rows named above, or pass --skip-invalid to import only the valid ones.',
        details: { errors },
      },
    );
  }
  const bad = new Set(errors.map((e) => e.line));
  const counts = { added: 0, updated: 0, unchanged: 0 };
  const hosts = transaction(store.db, () =>
    rows
      .filter((r) => !bad.has(r.line))
      .map((r) => {
        const { host, outcome } = store.hosts.upsert(r.host);
        counts[outcome]++;
        return host;
      }),
  );
  return { file: name, rows: rows.length + errors.length - unknownCreds.length, ...counts, skipped: errors, hosts };
}

export function credentialsAdd(input: CommandInput<'credentials.add'>, { store }: HandlerContext): CommandOutput<'credentials.add'> {
  return store.credentials.add(input);
}
export function credentialsList(_input: CommandInput<'credentials.list'>, { store }: HandlerContext): CommandOutput<'credentials.list'> {
  return store.credentials.list();
}
export function credentialsRemove(input: CommandInput<'credentials.remove'>, { store }: HandlerContext): CommandOutput<'credentials.remove'> {
  store.credentials.remove(input.name);
  return { removed: input.name };
}

/** Only here do WinRM authentication and HTTP change; Basic over HTTP is refused (the password would be cleartext). */
export function hostsWinrm(input: CommandInput<'hosts.winrm'>, { store }: HandlerContext): CommandOutput<'hosts.winrm'> {
  const hosts = store.hosts.select(input.hosts);
  const notWinrm = hosts.filter((h) => h.transport !== 'winrm');
  if (notWinrm.length)
    fail('validation', `Not reached over WinRM: ${notWinrm.map((h) => h.name).join(', ')}; nothing was changed.`, {
      remedy: 'Select Windows hosts whose transport is winrm.',
    });
  const planned = hosts.map((h) => {
    const now = winrmSettings(store.settings, h);
    const next = { auth: input.auth ?? now.auth, useSsl: input.http === undefined ? now.useSsl : !input.http };
    if (next.auth === 'Basic' && !next.useSsl)
      fail('validation', `${h.name}: Basic authentication over HTTP would send the password in clear text; nothing was changed.`, {
        remedy: 'Use Negotiate or Kerberos over HTTP, or Basic over HTTPS.',
      });
    return { h, next };
  });
  return transaction(store.db, () =>
    planned.map(({ h, next }) => {
      const port = next.useSsl
        ? h.port === WINRM_HTTP_PORT
          ? DEFAULT_PORT.winrm
          : (h.port ?? DEFAULT_PORT.winrm)
        : h.port === DEFAULT_PORT.winrm || h.port === null
          ? WINRM_HTTP_PORT
          : h.port;
      if (port !== h.port) store.hosts.upsert({ address: h.address, port });
      setWinrmSettings(store.settings, h, next);
      const warnings = winrmWarnings(next);
      store.journal.event(null, null, 'winrm-settings', { host: h.name, auth: next.auth, useSsl: next.useSsl, port, warnings });
      return { host: h.name, auth: next.auth, useSsl: next.useSsl, port, warnings };
    }),
  );
}

export function trustList(_input: CommandInput<'trust.list'>, { store }: HandlerContext): CommandOutput<'trust.list'> {
  return store.trust.list();
}
export function trustRevoke(input: CommandInput<'trust.revoke'>, { store }: HandlerContext): CommandOutput<'trust.revoke'> {
  let revoked = 0;
  for (const spec of input.hosts) {
    const [host, port] = splitHostPort(spec);
    revoked += store.trust.revoke(host, port);
    const inv = store.hosts.get(host);
    if (inv && inv.address !== host) revoked += store.trust.revoke(inv.address, port);
  }
  return { revoked };
}

/** HOST, HOST:PORT, [v6]:PORT. */
export function splitHostPort(spec: string): [string, number | undefined] {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  if (v6) return [v6[1]!, v6[2] ? Number(v6[2]) : undefined];
  const m = /^([^:]+):(\d+)$/.exec(spec);
  if (m) return [m[1]!, Number(m[2])];
  return [spec, undefined];
}

export const inventoryHandlers = {
  'hosts.add': hostsAdd,
  'hosts.list': hostsList,
  'hosts.remove': hostsRemove,
  'hosts.conflicts': hostsConflicts,
  'hosts.acceptConflict': hostsAcceptConflict,
  'hosts.import': hostsImport,
  'hosts.winrm': hostsWinrm,
  'credentials.add': credentialsAdd,
  'credentials.list': credentialsList,
  'credentials.remove': credentialsRemove,
  'trust.list': trustList,
  'trust.revoke': trustRevoke,
} satisfies HandlerPart<
  | 'hosts.add'
  | 'hosts.list'
  | 'hosts.remove'
  | 'hosts.conflicts'
  | 'hosts.acceptConflict'
  | 'hosts.import'
  | 'hosts.winrm'
  | 'credentials.add'
  | 'credentials.list'
  | 'credentials.remove'
  | 'trust.list'
  | 'trust.revoke'
>;
