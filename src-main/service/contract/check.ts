import { z } from 'zod';
import { CheckGroupSchema, CheckRunDocumentSchema } from '../../checks/index.ts';
import { COMPONENT_IDS } from '../../components/catalog.ts';
import { HostSelector } from './inventory.ts';

/** Prerequisite checks of a component version on hosts (cli.md "Prerequisites"). */
export const checkCommands = {
  'check.run': {
    summary: 'Prerequisite checks against the support matrix of a component version.',
    input: z.object({
      component: z.enum(COMPONENT_IDS),
      version: z.string().optional(),
      hosts: HostSelector,
      cs: z.string().optional(),
      ps: z.string().optional(),
      appliance: z.string().optional(),
      concurrency: z.number().int().min(1).max(512).optional(),
    }),
    /** `byCheck`: the failures grouped by check (groupByCheck), for views that lead with them. */
    output: CheckRunDocumentSchema.extend({ runId: z.string(), byCheck: z.array(CheckGroupSchema) }),
  },
} as const;
