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
      checks: result.checks.map((c) => ({ id: c.id, verdict: c.verdict, title: c.title, evidence: c.evidence, remedy: c.remedy ?? null, ...(c.asrErrorId ? { asrErrorId: c.asrErrorId } : {}) })),
      ...(error ? { error: { code: error.code, message: error.message, ...(error.remedy ? { remedy: error.remedy } : {}) } } : {}),
    })),
  };
}

/** Overall verdict of a document (worst host). */
export function documentVerdict(doc: CheckRunDocument) {
  return worstVerdict(doc.hosts.map((h) => h.verdict));
}
