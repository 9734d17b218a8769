import { z } from 'zod';

/**
 * Verdict of one prerequisite check, and of a host (the worst of its checks).
 * Ranking, worst first: fail > unknown > warn > pass. `unknown` ranks above `warn` because a fact
 * we could not read may hide a failure: a host with an unknown is never reported as passing, and
 * the plan treats it as "not proven installable" rather than "installable with a caveat".
 */
export const VERDICTS = ['pass', 'warn', 'unknown', 'fail'] as const;
export type Verdict = (typeof VERDICTS)[number];

const RANK: Record<Verdict, number> = { pass: 0, warn: 1, unknown: 2, fail: 3 };

/** The worst verdict of a list; an empty list is `unknown` (nothing was proven). */
export function worstVerdict(verdicts: Iterable<Verdict>): Verdict {
  let worst: Verdict | null = null;
  for (const v of verdicts) if (worst === null || RANK[v] > RANK[worst]) worst = v;
  return worst ?? 'unknown';
}

export function verdictRank(v: Verdict): number {
  return RANK[v];
}

export const CheckResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  verdict: z.enum(VERDICTS),
  /** What was found, with the numbers/names an admin needs to act (never empty). */
  evidence: z.string(),
  /** What to do about a fail/warn/unknown; commands where the docs give them. */
  remedy: z.string().optional(),
  /** The ASR push-install error ID this check prevents (95105, 95108, 95320, ...). */
  asrErrorId: z.number().int().optional(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

/** Components the support matrices cover (ids as in `components list`). */
export const MATRIX_COMPONENTS = ['mobility-service', 'provider', 'mars-agent'] as const;
export type MatrixComponentId = (typeof MATRIX_COMPONENTS)[number];

/**
 * What the run knows besides the host's facts: the installer being pushed, the credential kind,
 * the ASR servers and the proxy. Every field is optional; a check that needs a missing one says so.
 */
export const CheckSettingsSchema = z.object({
  /** Size of the installer file to be staged, in bytes (from the installer source). */
  installerBytes: z.number().int().nonnegative().nullable().optional(),
  /** Where the installer is copied and extracted on the host; default from the matrix. */
  stagingDir: z.string().min(1).nullable().optional(),
  /** Install directory on the host; default from the matrix. */
  installDir: z.string().min(1).nullable().optional(),
  /** Kind of the push credential: a local account needs LocalAccountTokenFilterPolicy=1 on Windows. */
  accountKind: z.enum(['local', 'domain']).nullable().optional(),
  /** Proxy the component will use (Provider: HTTP only). */
  proxyUrl: z.string().nullable().optional(),
  /** Configuration server address (--cs). */
  configurationServer: z.string().min(1).nullable().optional(),
  /** Process server address (--ps); defaults to the configuration server (its built-in PS). */
  processServer: z.string().min(1).nullable().optional(),
  /** Modernized replication appliance address (--appliance): control (443) and data (9443) from the host. */
  appliance: z.string().min(1).nullable().optional(),
  /** Classic (configuration server + passphrase) retirement, from the catalog's data: a `warn` when --cs is used. */
  classicRetired: z.object({ date: z.string(), source: z.string() }).nullable().optional(),
  /** Process server data port when changed from the matrix default (9443 is configurable). */
  processServerPort: z.number().int().min(1).max(65535).nullable().optional(),
  /** Master target size planned for this server's replicas (2015 generation). */
  masterTargetSize: z.enum(['A4', 'D14']).nullable().optional(),
  /** Process server cache directory (default C:\ per the 2015 docs). */
  processServerCacheDir: z.string().min(1).nullable().optional(),
});
export type CheckSettings = z.infer<typeof CheckSettingsSchema>;

/** A TCP connection the engine should attempt from the host (over its own transport). */
export interface ReachabilityTarget {
  role: 'configuration-server' | 'process-server' | 'appliance-control' | 'appliance-data';
  target: string;
  port: number;
}

/** The outcome of one attempt, as gathered by the engine and handed to `runChecks`. */
export const ReachabilityProbeSchema = z.object({
  target: z.string(),
  port: z.number().int(),
  ok: z.boolean(),
  error: z.string().optional(),
});
export type ReachabilityProbe = z.infer<typeof ReachabilityProbeSchema>;
