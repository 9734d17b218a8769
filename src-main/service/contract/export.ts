import { z } from 'zod';

/** `export ansible PLANID --out DIR` (cli.md): a plan handed to an administrator's own Ansible. */
export const exportCommands = {
  'export.ansible': {
    summary: 'Write a plan as an Ansible project: inventory, pinned known_hosts, playbook; no secret is written.',
    input: z.object({ planId: z.string().min(1), out: z.string().min(1), scanTimeoutMs: z.number().int().min(100).optional() }),
    output: z.object({
      planId: z.string(),
      dir: z.string(),
      files: z.array(z.string()),
      hosts: z.array(z.object({ host: z.string(), exported: z.boolean(), reason: z.string() })),
      passphraseVariable: z.string().nullable(),
    }),
  },
} as const;
