/**
 * The one redactor: every output (the journal, reports, `jobs show` and every other service
 * answer, events to the browser and the desktop window, host logs) passes through it. It removes
 * (1) the values of fields named like secrets and (2) every secret value this process has seen,
 * registered by the secret store when a secret is stored or read, wherever such a value appears
 * (an installer echoing a passphrase, an error quoting a command line).
 */
export const REDACTED = '[redacted]';

/** Field names whose values are secrets: never logged, never echoed back, redacted in journals. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'privateKey',
  'passphrase',
  'sudoPassword',
  'proxyPassword',
  'vaultCredentials',
  'token',
]);

/** Shorter values are not searched for: they would blank out ordinary words. */
const MIN_SECRET = 4;
const known = new Set<string>();
let sorted: string[] = [];

/** Remember a secret value (and its lines, for multi-line secrets such as keys) so no output carries it. */
export function registerSecret(value: string | null | undefined): void {
  if (!value) return;
  const parts = [value, ...value.split(/\r?\n/).map((l) => l.trim())];
  let added = false;
  for (const p of parts) {
    if (p.length >= MIN_SECRET && !known.has(p) && !/^-----(BEGIN|END) [A-Z ]+-----$/.test(p)) {
      known.add(p);
      added = true;
    }
  }
  // Longest first, so a secret that contains another is replaced whole.
  if (added) sorted = [...known].sort((a, b) => b.length - a.length);
}

export function redactText(text: string): string {
  let out = text;
  for (const s of sorted) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** A deep copy with secret fields and known secret values redacted; null/absent secret fields stay as they are. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map(redactValue) as T;
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) && v !== null && v !== undefined && v !== false ? REDACTED : redactValue(v)]),
    ) as T;
  }
  return value;
}
