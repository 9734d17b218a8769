import { readFile } from 'node:fs/promises';
import { fail, toAsrError } from '../model/errors.ts';
import { resourcePath } from '../model/resources.ts';
import { type Facts, FactsSchema } from '../model/facts.ts';
import type { Transport } from '../remote/transport.ts';

/** resources/scripts/linux/facts.sh, wherever resources/ is (source tree, dist/, or next to app.asar). */
export const LINUX_FACTS_SCRIPT = resourcePath('scripts', 'linux', 'facts.sh');

export interface GatherOptions {
  /** Another location of the script (a packaged app keeps resources elsewhere). */
  scriptPath?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

let cachedScript: { path: string; text: string } | null = null;

async function loadScript(path: string): Promise<string> {
  if (cachedScript?.path !== path) cachedScript = { path, text: await readFile(path, 'utf8') };
  return cachedScript.text;
}

/**
 * Run the facts script on a Linux host (`sh -s`, the script on stdin: nothing is written to the
 * host) and return the validated facts document.
 */
export async function gatherLinuxFacts(transport: Transport, opts: GatherOptions = {}): Promise<Facts> {
  const script = await loadScript(opts.scriptPath ?? LINUX_FACTS_SCRIPT);
  const result = await transport.exec(['sh', '-s'], {
    stdin: script,
    timeoutMs: opts.timeoutMs ?? 120_000,
    allowNonZero: true,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const facts = parseFactsOutput(result.stdout, result.stderr, transport.host, result.exitCode);
  return withSudoPasswordProbe(transport, facts, opts);
}

/**
 * A push account that is not root and has no NOPASSWD rule can still install when its credential
 * carries a sudo password: the transport elevates with `sudo -S` (the password on stdin, never in
 * argv). Whether sudo accepts it is a fact, so it is tried here once (`true` as root).
 */
async function withSudoPasswordProbe(transport: Transport, facts: Facts, opts: GatherOptions): Promise<Facts> {
  const a = facts.access;
  if (!a || a.isRoot !== false || a.sudoNoPassword === true || !transport.sudoWithPassword) return facts;
  let ok: boolean;
  let note: string | null = null;
  try {
    const r = await transport.exec(['id', '-u'], { elevate: true, timeoutMs: 30_000, allowNonZero: true, ...(opts.signal ? { signal: opts.signal } : {}) });
    ok = r.exitCode === 0 && r.stdout.trim() === '0';
    if (!ok) note = `access: sudo -S ran, but not as root (uid ${r.stdout.trim() || '?'})`;
  } catch (e) {
    const err = toAsrError(e, transport.host);
    if (err.code !== 'permission_denied') throw e;
    ok = false;
    note = `access: ${err.message}`;
  }
  return { ...facts, access: { ...a, sudoWithPassword: ok }, ...(note ? { notes: [...(facts.notes ?? []), note] } : {}) };
}

/** Find the facts document in the script's output and validate it against FactsSchema. */
export function parseFactsOutput(stdout: string, stderr: string, host: string, exitCode = 0): Facts {
  // Login scripts on the host may print banners: the document is the line that starts it.
  const line = stdout.split('\n').find((l) => l.startsWith('{"schema":'));
  const evidence = () => {
    const head = [...stdout.split('\n').slice(0, 5), ...stderr.split('\n').slice(0, 5)].filter((l) => l.trim()).map((l) => l.slice(0, 200));
    return head.length ? head.join(' | ') : '(no output)';
  };
  if (!line) {
    fail('command_failed', `the facts script printed no facts document (exit ${exitCode}): ${evidence()}`, {
      host,
      remedy: 'check that the account has a POSIX sh and that its login scripts do not fail',
      details: { exitCode, stdout: stdout.slice(0, 2000), stderr: stderr.slice(0, 2000) },
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (e) {
    fail('command_failed', `the facts script printed malformed JSON (${(e as Error).message}): ${line.slice(0, 200)}`, {
      host,
      details: { stdout: stdout.slice(0, 2000) },
    });
  }
  const parsed = FactsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    fail('command_failed', `the facts document does not match the schema: ${issues.join('; ')}`, { host, details: { issues, stdout: line.slice(0, 2000) } });
  }
  return parsed.data;
}
