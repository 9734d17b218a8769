import { z } from 'zod';
import { AsrErrorSchema } from '../../model/errors.ts';
import { COMPONENT_IDS } from '../../components/catalog.ts';
import { AcceptanceSchema, PlanDocumentSchema } from '../../deploy/plan.ts';
import { HOST_RESULT_STATUSES, HOST_STATUSES, JOB_STATUSES } from '../../model/status.ts';
import { HostSelector } from './inventory.ts';
import { StagingSummarySchema } from '../../reports/job-report.ts';

/** installed / upgraded / skipped / blocked / failed of a job's hosts (model/status.ts outcomeCounts). */
export const OutcomeCountsSchema = z.object({
  installed: z.number(),
  upgraded: z.number(),
  awaitingConfig: z.number(),
  skipped: z.number(),
  blocked: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  pending: z.number(),
  /** Hosts an operation job (proxy apply, components uninstall) changed. */
  changed: z.number().optional(),
});

const HostResultSchema = z.object({
  host: z.string(),
  status: z.enum(HOST_RESULT_STATUSES),
  /** The plan's action for the host (install / upgrade / skip / blocked). */
  action: z.string().nullable().optional(),
  version: z.string().nullable(),
  error: z.object({ code: z.string(), message: z.string(), remedy: z.string().optional() }).optional(),
  warning: z.string().optional(),
});
/** A clean-up a target needed when this run started (staging folder, passphrase / config / vault file), and whether the run did it. */
export const CleanupSchema = z.object({
  host: z.string(),
  kind: z.enum(['staging', 'secret']),
  path: z.string(),
  since: z.string(),
  done: z.boolean().optional(),
});
export const ApplyResultSchema = z.object({
  jobId: z.string(),
  planId: z.string().nullable(),
  status: z.enum(JOB_STATUSES),
  outcome: OutcomeCountsSchema,
  hosts: z.array(HostResultSchema),
  cleanups: z.array(CleanupSchema).optional(),
});

const RunOptionsSchema = z.object({
  concurrency: z.number().int().min(1).max(512).optional(),
  maxFailures: z.number().int().min(0).optional(),
  retries: z.number().int().min(1).max(20).optional(),
  retryBaseMs: z.number().int().min(0).optional(),
  stepTimeoutMs: z.number().int().min(1000).optional(),
  connectTimeoutMs: z.number().int().min(100).optional(),
  handshakeTimeoutMs: z.number().int().min(100).optional(),
  uploadMethod: z.enum(['sftp', 'exec-cat', 'tar-stream']).optional(),
});

const JobSummarySchema = z.object({
  id: z.string(),
  kind: z.string(),
  planId: z.string().nullable(),
  status: z.enum(JOB_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** Hosts per journal status. */
  counts: z.partialRecord(z.enum(HOST_STATUSES), z.number()),
  outcome: OutcomeCountsSchema,
});

export const InstallerFileSchema = z.object({
  file: z.string(),
  path: z.string(),
  component: z.enum(COMPONENT_IDS),
  platform: z.enum(['linux', 'windows']),
  osId: z.string().nullable(),
  version: z.string().nullable(),
  sha256: z.string(),
  size: z.number(),
  /** verified: the catalog's hash; pinned: the admin's pin (`sources trust`); unknown: neither (blocked at plan time); mismatch: differs (refused). */
  hashStatus: z.enum(['verified', 'pinned', 'unknown', 'mismatch']),
  trusted: z.boolean().optional(),
  expectedSha256: z.string().optional(),
  pinnedBy: z.string().nullable().optional(),
  pinnedAt: z.string().optional(),
});

export const HostVersionsSchema = z.object({
  host: z.string(),
  ok: z.boolean(),
  collectedAt: z.string(),
  components: z.array(
    z.object({
      id: z.string(),
      version: z.string().nullable(),
      configured: z.boolean().nullable(),
      service: z.string().nullable(),
      support: z.enum(['current', 'supported', 'out-of-support', 'unknown']).optional(),
      /** Mobility service: N-4 standing against the catalog's newest version, upgrade hops, reboot rule. */
      n4: z
        .object({
          latest: z.string(),
          behind: z.number().nullable(),
          directUpgrade: z.boolean(),
          hops: z.array(z.object({ version: z.string().nullable(), upTo: z.string(), rebootBefore: z.boolean() })),
          lastReboot: z.object({ version: z.string(), basis: z.enum(['installed', 'journal']) }),
          rebootDue: z.boolean(),
        })
        .optional(),
    }),
  ),
  error: AsrErrorSchema.optional(),
});

/** Components, installers, plan/apply and the journal (issue 3). */
export const deployCommands = {
  'components.list': {
    summary: 'Components the catalog knows, with their platforms and versions.',
    input: z.object({}),
    output: z.array(z.object({ id: z.string(), name: z.string(), platforms: z.array(z.string()), versions: z.array(z.string()), latest: z.string() })),
  },
  'sources.scan': {
    summary: 'Identify installers in a folder by name pattern and SHA-256.',
    input: z.object({ dir: z.string().min(1) }),
    output: z.array(InstallerFileSchema),
  },
  'sources.trust': {
    summary: 'Pin installers whose SHA-256 no document gives (recorded with who and when); unpinned unknown installers are blocked at plan time.',
    input: z.object({
      dir: z.string().min(1),
      files: z
        .array(
          z
            .string()
            .min(1)
            .max(255)
            .regex(/^[^/\\\0]+$/, 'a file name in the folder, not a path')
            .refine((f) => f !== '.' && f !== '..', 'a file name'),
        )
        .min(1),
    }),
    output: z.array(InstallerFileSchema),
  },
  'plan.create': {
    summary: 'Check mode: install / upgrade / skip / blocked per host; changes nothing.',
    input: z.object({
      component: z.enum(COMPONENT_IDS),
      version: z.string().optional(),
      source: z.string().min(1),
      hosts: HostSelector,
      cs: z.string().optional(),
      /** Modernized replication appliance (CSPrime); excludes cs. */
      appliance: z.string().optional(),
      passphraseFile: z.string().optional(),
      /** Provider registration key (stored encrypted with the plan). */
      vaultCredentialsFile: z.string().optional(),
      friendlyName: z.string().optional(),
      proxy: z.string().optional(),
      accept: z.array(z.string()).default([]),
      concurrency: z.number().int().min(1).max(512).optional(),
    }),
    output: PlanDocumentSchema,
  },
  'plan.show': {
    summary: 'A stored plan: its items, its counts per action (what apply would do), the overrides accepted (who, when).',
    input: z.object({ planId: z.string().min(1) }),
    output: PlanDocumentSchema,
  },
  'apply.start': {
    summary: 'Run a plan: a job with per-host steps, journalled and resumable.',
    input: RunOptionsSchema.extend({ planId: z.string().min(1) }),
    output: ApplyResultSchema,
  },
  'jobs.list': {
    summary: 'Recent jobs.',
    input: z.object({ limit: z.number().int().min(1).max(1000).default(50) }),
    output: z.array(JobSummarySchema),
  },
  'jobs.show': {
    summary: 'One job with its hosts and steps.',
    input: z.object({ jobId: z.string().min(1) }),
    output: JobSummarySchema.extend({
      /** Failing checks accepted in the job's plan (`--accept`): who, when, on which hosts. */
      acceptances: z.array(AcceptanceSchema),
      /** What targets still need removed after a crash or a lost connection; `jobs resume` does it. */
      pendingCleanups: z.array(CleanupSchema.omit({ done: true })).optional(),
      // The journal's own host states: a host not started yet is `pending`, one in flight `running`.
      hosts: z.array(
        HostResultSchema.extend({
          status: z.enum(HOST_STATUSES),
          attempts: z.number(),
          action: z.string().nullable(),
          /** How the installer reached the host (the stage step's record); `fellBack` says why a planned pull was pushed. */
          staging: StagingSummarySchema.optional(),
          steps: z.array(
            z.object({ step: z.string(), status: z.string(), attempt: z.number(), startedAt: z.string().nullable(), endedAt: z.string().nullable() }),
          ),
        }),
      ),
    }),
  },
  'jobs.logs': {
    summary: 'The per-host logs of a job (secrets redacted).',
    input: z.object({ jobId: z.string().min(1), host: z.string().optional() }),
    output: z.array(z.object({ host: z.string(), path: z.string(), text: z.string() })),
  },
  'jobs.cancel': {
    summary: 'Ask a running job to stop (hosts in flight stop their remote step).',
    input: z.object({ jobId: z.string().min(1) }),
    output: z.object({ jobId: z.string(), status: z.string() }),
  },
  'jobs.resume': {
    summary: 'Finish an interrupted job; hosts already done are not touched again.',
    input: RunOptionsSchema.extend({ jobId: z.string().min(1), retryFailed: z.boolean().default(false) }),
    output: ApplyResultSchema,
  },
  'jobs.configRequests': {
    summary: 'The Agent Config Input string of every host awaiting its replication appliance config file; with `out`, written as <host>.txt + requests.csv.',
    input: z.object({ jobId: z.string().min(1), out: z.string().min(1).optional() }),
    output: z.object({
      jobId: z.string(),
      dir: z.string().nullable(),
      requests: z.array(z.object({ host: z.string(), address: z.string(), file: z.string(), request: z.string() })),
    }),
  },
  'jobs.configure': {
    summary: 'Configure the awaiting hosts with the appliance’s config files (<host>.json in one folder); all files are checked before anything changes.',
    /** `from`: the folder of <host>.json files (the wizard uploads them into one folder and passes its handle). */
    input: RunOptionsSchema.extend({ jobId: z.string().min(1), from: z.string().min(1) }),
    output: ApplyResultSchema.extend({
      configFiles: z.object({
        matched: z.array(z.object({ name: z.string(), host: z.string(), matchedBy: z.enum(['identity', 'name-only']) })),
        ignored: z.array(z.object({ name: z.string(), why: z.string() })),
        waiting: z.array(z.string()),
      }),
    }),
  },
  'components.uninstall': {
    summary: 'Remove a component from hosts with its documented uninstall command.',
    input: z.object({ component: z.enum(COMPONENT_IDS), hosts: HostSelector, concurrency: z.number().int().min(1).max(512).optional() }),
    output: z.array(z.object({ host: z.string(), status: z.enum(['removed', 'absent', 'failed']), error: AsrErrorSchema.optional() })),
  },
  'versions.query': {
    summary: 'Installed component versions, configuration and service state, queried live.',
    input: z.object({ hosts: HostSelector, concurrency: z.number().int().min(1).max(512).optional() }),
    output: z.array(HostVersionsSchema),
  },
} as const;
