import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Facts } from '../../../src-main/model/facts.ts';

export const FACTS_DIR = fileURLToPath(new URL('../../fixtures/facts/', import.meta.url));

export function fixtureNames(): string[] {
  return readdirSync(FACTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

/** A fresh copy of a facts fixture (tests may mutate it). */
export function loadFacts(name: string): Facts {
  return JSON.parse(readFileSync(`${FACTS_DIR}${name}${name.endsWith('.json') ? '' : '.json'}`, 'utf8')) as Facts;
}

/** Remove (or null) the fact at a dotted path of a copy. */
export function stripFact(facts: Facts, path: string, mode: 'delete' | 'null' = 'delete'): Facts {
  const copy = structuredClone(facts) as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let cur: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (next == null || typeof next !== 'object') return copy as unknown as Facts;
    cur = next as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (mode === 'delete') delete cur[last];
  else cur[last] = null;
  return copy as unknown as Facts;
}
