import { z } from 'zod';
import { AsrErrorSchema } from './errors.ts';
import { HOST_STATUSES, JOB_STATUSES } from './status.ts';

/** What happened to one step of one host: a step that will run again after a back-off is `retrying`. */
export const STEP_EVENT_STATUSES = ['started', 'succeeded', 'failed', 'skipped', 'retrying', 'cancelled'] as const;

/** A job event's status: `created` when the job is made (the journal says `pending`), then the journal's JobStatus. */
export const JOB_EVENT_STATUSES = ['created', ...JOB_STATUSES] as const;

/**
 * What long work tells whoever watches it: job progress, per-host steps, log lines, job status.
 * The engine (deploy/, updates/) emits these and every front end receives them, so they live
 * below both; the service contract re-exports them.
 */
export const EventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), jobId: z.string().optional(), done: z.number(), total: z.number(), message: z.string().optional() }),
  z.object({
    type: z.literal('host-step'),
    jobId: z.string(),
    host: z.string(),
    step: z.string(),
    status: z.enum(STEP_EVENT_STATUSES),
    bytes: z.number().optional(),
    totalBytes: z.number().optional(),
    elapsedMs: z.number().optional(),
    error: AsrErrorSchema.optional(),
  }),
  /** A host of a job changed status (running, then where it ended; hosts already done when a run starts are told once). */
  z.object({ type: z.literal('host'), jobId: z.string(), host: z.string(), status: z.enum(HOST_STATUSES) }),
  z.object({
    type: z.literal('log'),
    jobId: z.string().optional(),
    host: z.string().optional(),
    level: z.enum(['debug', 'info', 'warn', 'error']),
    message: z.string(),
  }),
  /** `created` (with the plan it runs, so the page that started it knows it from the first second), then the job's status (model/status.ts). */
  z.object({
    type: z.literal('job'),
    jobId: z.string(),
    status: z.enum(JOB_EVENT_STATUSES),
    planId: z.string().optional(),
    /** With `running`: how many hosts the job has. */ hosts: z.number().optional(),
  }),
]);
export type ServiceEvent = z.infer<typeof EventSchema>;
