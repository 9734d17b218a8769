import type { Facts } from '../model/facts.ts';
import type { CheckResult, Verdict } from './types.ts';

/** Static part of a check: what the registry knows before it runs. */
export interface CheckMeta {
  id: string;
  title: string;
  asrErrorId?: number;
}

export function result(meta: CheckMeta, verdict: Verdict, evidence: string, remedy?: string): CheckResult {
  const r: CheckResult = { id: meta.id, title: meta.title, verdict, evidence };
  if (remedy && verdict !== 'pass') r.remedy = remedy;
  if (meta.asrErrorId !== undefined) r.asrErrorId = meta.asrErrorId;
  return r;
}

/** `unknown` because facts were not collected; names the facts so the admin knows what to fix. */
export function unknownFacts(meta: CheckMeta, missing: string[], facts: Facts | null): CheckResult {
  const notes = facts?.notes?.length ? ` Script notes: ${facts.notes.join('; ')}` : '';
  return result(
    meta,
    'unknown',
    `Not collected: ${missing.map((m) => `facts.${m}`).join(', ')}.${notes}`,
    'Collect the host facts again with an account that can read them (root/sudo on Linux, a local administrator on Windows), then re-run the check.',
  );
}

export const MB = 1024 * 1024;
export const GB = 1024 * MB;

export function mb(bytes: number): string {
  return `${Math.floor(bytes / MB).toLocaleString('en-US')} MB`;
}

export function gb(bytes: number): string {
  return `${(bytes / GB).toLocaleString('en-US', { maximumFractionDigits: 1 })} GB`;
}

/** Printable ASCII only: the "English characters only" rule of the ASR docs. */
export function isEnglish(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function normPath(p: string, windows: boolean): string {
  let s = windows ? p.replace(/\\/g, '/').toUpperCase() : p;
  if (s.length > 1) s = s.replace(/\/+$/, '');
  return s;
}

/**
 * The facts.freeSpace entry whose path is the longest prefix of `path` (the volume holding it).
 * Windows paths compare case-insensitively with either slash.
 */
export function volumeFor(facts: Facts, path: string): { path: string; freeBytes: number; totalBytes?: number | null } | null {
  const windows = facts.family === 'windows';
  const target = normPath(path, windows);
  let best: { path: string; freeBytes: number; totalBytes?: number | null } | null = null;
  let bestLen = -1;
  for (const fs of facts.freeSpace ?? []) {
    const p = normPath(fs.path, windows);
    const under = target === p || p === '/' || target.startsWith(p.endsWith('/') ? p : `${p}/`);
    if (under && p.length > bestLen) {
      best = fs;
      bestLen = p.length;
    }
  }
  return best;
}

/** Read a dotted path of a facts document (for tests and the registry's `needs`). */
export function factAt(facts: unknown, path: string): unknown {
  let cur: unknown = facts;
  for (const k of path.split('.')) {
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Which of the dotted paths are null/absent. */
export function missingFacts(facts: Facts, paths: readonly string[]): string[] {
  return paths.filter((p) => factAt(facts, p) == null);
}

export function list(items: readonly string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
