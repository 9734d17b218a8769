import { z } from 'zod';
import type { RunChecksResult } from './registry.ts';
import { VERDICTS, worstVerdict } from './types.ts';

/**
 * The JSON document of `check` (cli.md contract):
 * {component, version, hosts: [{host, verdict, checks: [{id, verdict, title, evidence, remedy}]}]}.
 * Fields may be added, never renamed.
 */
export const CheckRunHostCheckSchema = z.object({
  id: z.string(),
  verdict: z.enum(VERDICTS),
  title: z.string(),
  evidence: z.string(),
  remedy: z.string().nullable().optional(),
  asrErrorId: z.number().int().optional(),
});

export const CheckRunHostSchema = z.object({
  host: z.string(),
  verdict: z.enum(VERDICTS),
  installerOsId: z.string().nullable().optional(),
  checks: z.array(CheckRunHostCheckSchema),
  /** Why the host could not be examined (unreachable, key not pinned, …): its checks are then unknown. */
  error: z.object({ code: z.string(), message: z.string(), remedy: z.string().optional() }).optional(),
});

export const CheckRunDocumentSchema = z.object({
  component: z.string(),
  version: z.string().nullable(),
  generatedAt: z.string().optional(),
  /** Matrix file used, when one was found. */
  matrix: z.string().nullable().optional(),
  hosts: z.array(CheckRunHostSchema),
});
export type CheckRunDocument = z.infer<typeof CheckRunDocumentSchema>;
export type CheckRunHost = z.infer<typeof CheckRunHostSchema>;

/** Assemble the `check` document from per-host results of runChecks. */
export function toCheckRunDocument(
  component: string,
  version: string | null,
  hosts: readonly { host: string; result: RunChecksResult; error?: { code: string; message: string; remedy?: string } }[],
  generatedAt: string = new Date().toISOString(),
): CheckRunDocument {
  const matrix = hosts.find((h) => h.result.matrix)?.result.matrix?.file ?? null;
  return {
    component,
    version,
    generatedAt,
    matrix,
    hosts: hosts.map(({ host, result, error }) => ({
      host,
      verdict: result.verdict,
      installerOsId: result.installerOsId,
      checks: result.checks.map((c) => ({
        id: c.id,
        verdict: c.verdict,
        title: c.title,
        evidence: c.evidence,
        remedy: c.remedy ?? null,
        ...(c.asrErrorId ? { asrErrorId: c.asrErrorId } : {}),
      })),
      ...(error ? { error: { code: error.code, message: error.message, ...(error.remedy ? { remedy: error.remedy } : {}) } } : {}),
    })),
  };
}

/** Overall verdict of a document (worst host). */
export function documentVerdict(doc: CheckRunDocument) {
  return worstVerdict(doc.hosts.map((h) => h.verdict));
}

/** One check's failures across hosts: the remedy once, the hosts listed (the 500-host view leads with these). */
export const CheckGroupSchema = z.object({
  id: z.string(),
  title: z.string(),
  verdict: z.enum(VERDICTS),
  /** Distinct remedies, the most common first, each with how many of the hosts it was given for. */
  remedies: z.array(z.object({ text: z.string(), hosts: z.number().int() })),
  asrErrorId: z.number().int().optional(),
  hosts: z.array(z.string()),
});
export type CheckGroup = z.infer<typeof CheckGroupSchema>;

const SEVERITY: Record<string, number> = { fail: 0, unknown: 1, warn: 2, pass: 3 };

/** Every (check, verdict) that is not a pass, with its hosts: fail first, then unknown, then warn; the most hosts first. */
export function groupByCheck(doc: Pick<CheckRunDocument, 'hosts'>): CheckGroup[] {
  const groups = new Map<
    string,
    { id: string; title: string; verdict: CheckGroup['verdict']; remedies: Map<string, number>; asrErrorId?: number; hosts: string[] }
  >();
  for (const h of doc.hosts) {
    for (const c of h.checks) {
      if (c.verdict === 'pass') continue;
      const key = `${c.verdict}\u0000${c.id}`;
      let g = groups.get(key);
      if (!g)
        groups.set(
          key,
          (g = { id: c.id, title: c.title, verdict: c.verdict, remedies: new Map(), hosts: [], ...(c.asrErrorId ? { asrErrorId: c.asrErrorId } : {}) }),
        );
      g.hosts.push(h.host);
      if (c.remedy) g.remedies.set(c.remedy, (g.remedies.get(c.remedy) ?? 0) + 1);
    }
  }
  return [...groups.values()]
    .map((g) => ({ ...g, remedies: [...g.remedies].sort((a, b) => b[1] - a[1]).map(([text, hosts]) => ({ text, hosts })) }))
    .sort((a, b) => SEVERITY[a.verdict]! - SEVERITY[b.verdict]! || b.hosts.length - a.hosts.length || a.id.localeCompare(b.id));
}
