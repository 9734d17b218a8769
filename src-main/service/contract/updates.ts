import { z } from 'zod';
import { PlanDocumentSchema, PlanItemSchema } from '../../deploy/plan.ts';
import { ApplyResultSchema } from './deploy.ts';
import { HostSelector } from './inventory.ts';

const RetrySchema = z.object({ hostId: z.string(), host: z.string(), since: z.string(), lastError: z.string() });
const ScheduleSchema = z.object({
  name: z.string(),
  every: z.string(),
  cron: z.string(),
  sweepArgs: z.array(z.string()),
  home: z.string(),
  vaultKeyFile: z.string().nullable(),
  backend: z.enum(['cron', 'systemd', 'schtasks']),
  files: z.array(z.string()),
  createdAt: z.string(),
  nextRun: z.string().nullable(),
  installed: z.boolean().optional(),
});

/** Update sweeps and their schedules (issue 8). */
export const updatesCommands = {
  'sweep.run': {
    summary: 'Inventory → plan upgrades → apply in the documented order; check: plan only.',
    input: z.object({
      hosts: HostSelector,
      source: z.string().optional(),
      check: z.boolean().default(false),
      version: z.string().optional(),
      concurrency: z.number().int().min(1).max(512).optional(),
      schedule: z.string().optional(),
      webhook: z.url().optional(),
      maxFailures: z.number().int().min(0).optional(),
      stepTimeoutMs: z.number().int().min(1000).optional(),
    }),
    output: z.object({
      planId: z.string(),
      component: z.string(),
      version: z.string(),
      items: z.array(PlanItemSchema),
      plans: z.array(PlanDocumentSchema),
      outdated: z.array(z.string()),
      retry: z.array(RetrySchema),
      jobId: z.string().optional(),
      status: z.string().optional(),
      hosts: ApplyResultSchema.shape.hosts.optional(),
      report: z.string().nullable().optional(),
    }),
  },
  'schedule.add': {
    summary: 'A real OS scheduled task (cron, systemd timer, Task Scheduler) that runs `asr-deploy sweep` unattended.',
    input: z.object({
      name: z.string().min(1),
      every: z.string().min(1),
      at: z.string().optional(),
      sweepArgs: z.array(z.string()).default([]),
      vaultKeyFile: z.string().optional(),
    }),
    output: ScheduleSchema,
  },
  'catalog.update': {
    summary: 'Load a newer catalog (file or HTTPS URL), trusted only when it matches the pinned SHA-256; validated whole.',
    input: z.object({ source: z.string().min(1), sha256: z.string().min(1) }),
    output: z.object({
      source: z.string(),
      sha256: z.string().nullable(),
      loadedAt: z.string().nullable(),
      components: z.array(z.object({ id: z.string(), versions: z.number(), latest: z.string() })),
    }),
  },
  'catalog.info': {
    summary: 'Which catalog is in use.',
    input: z.object({}),
    output: z.object({
      source: z.string(),
      sha256: z.string().nullable(),
      loadedAt: z.string().nullable(),
      components: z.array(z.object({ id: z.string(), versions: z.number(), latest: z.string() })),
    }),
  },
  'schedule.list': { summary: 'Schedules and their next run.', input: z.object({}), output: z.array(ScheduleSchema) },
  'schedule.remove': { summary: 'Remove a schedule and its OS task.', input: z.object({ name: z.string().min(1) }), output: ScheduleSchema },
} as const;
