import { z } from 'zod';
import { AsrErrorSchema } from '../../model/errors.ts';
import { TrustPinSchema } from './inventory.ts';

const ScanResultSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  kind: z.enum(['ssh', 'tls']),
  fingerprint: z.string(),
  keyType: z.string().optional(),
  subject: z.string().optional(),
  notAfter: z.string().optional(),
  expired: z.boolean().optional(),
  expiresSoon: z.boolean().optional(),
  banner: z.string().optional(),
  /** What the store pins for this endpoint now, to review a change before approving it. */
  pinned: z.string().nullable().optional(),
});

/** Trust enrolment: what an endpoint presents, and pinning it (cli.md "Trust"). */
export const trustCommands = {
  'trust.scan': {
    summary: 'Read SSH host keys / TLS certificates (no login, nothing stored).',
    input: z.object({ targets: z.array(z.string().min(1)).min(1), timeoutMs: z.number().int().min(100).default(5000) }),
    output: z.array(ScanResultSchema.extend({ error: AsrErrorSchema.optional() }).partial({ fingerprint: true, kind: true })),
  },
  'trust.approve': {
    summary:
      'Pin what a fresh scan sees (or the given fingerprint): the only way a key becomes trusted. All targets are verified first, then all pinned at once or none; a changed key needs replace.',
    input: z.object({
      targets: z.array(z.string().min(1)).min(1),
      fingerprint: z.string().optional(),
      /** A target whose pinned key or certificate differs is refused unless this is set (cli.md). */
      replace: z.boolean().default(false),
      timeoutMs: z.number().int().min(100).default(5000),
    }),
    /** `previous`: the fingerprint this pin replaced (null when new or unchanged). */
    output: z.array(TrustPinSchema.extend({ previous: z.string().nullable().optional() })),
  },
} as const;
