import { z } from 'zod';

/** Reports of jobs and check runs (cli.md "Reports and the UI"). */
export const reportCommands = {
  'report.create': {
    summary: 'A report of a job or a check run (latest = the newest of either) as HTML, CSV or JSON.',
    input: z.object({ id: z.string().min(1), format: z.enum(['html', 'csv', 'json']), out: z.string().optional() }),
    output: z.object({ id: z.string(), kind: z.enum(['job', 'check']), format: z.string(), out: z.string().nullable(), content: z.string().optional() }),
  },
} as const;
