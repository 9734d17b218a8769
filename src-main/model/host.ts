import { z } from 'zod';
import { FactsSchema } from './facts.ts';

export const OS_FAMILIES = ['linux', 'windows'] as const;
export const TRANSPORTS = ['ssh', 'winrm'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];
export type TransportKind = (typeof TRANSPORTS)[number];

export const DEFAULT_PORT: Record<TransportKind, number> = { ssh: 22, winrm: 5986 };

/** A tag is a short label: letters, digits and `-_.:=/`, so `tag:NAME` selectors stay unambiguous. */
export const TagSchema = z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}_.:=/-]{0,127}$/u, 'a tag is 1-128 letters, digits or - _ . : = /');

/**
 * Characters a terminal or a text view acts on instead of showing: C0/C1 controls (ESC starts a
 * terminal escape sequence), DEL, and the bidi controls that make text display in another order
 * than it runs. No host name or address may hold them: they are printed in every table and log.
 */
// eslint-disable-next-line no-control-regex
export const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u;

/** Host names as admins type them: DNS labels, NetBIOS names, or anything printable without separators. */
export const HostNameSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s,]+$/u, 'a host name has no spaces or commas')
  .refine((s) => !UNPRINTABLE.test(s), 'a host name has no control characters (terminal escapes) or bidi controls');

export const HostInputSchema = z.object({
  address: z
    .string()
    .min(1)
    .max(255)
    .refine((s) => !UNPRINTABLE.test(s), 'an address has no control or bidi characters'),
  name: HostNameSchema.optional(),
  os: z.enum(OS_FAMILIES).optional(),
  transport: z.enum(TRANSPORTS).optional(),
  port: z.coerce.number().int().min(1).max(65535).optional(),
  credential: z.string().min(1).max(128).optional(),
  tags: z.array(TagSchema).default([]),
  /** Where the host came from: manual, import, network, vcenter, vmm, hyperv. */
  source: z.string().default('manual'),
  /** vCenter instance UUID or another stable identity, used to merge re-discoveries. */
  uuid: z.string().optional(),
  evidence: z.record(z.string(), z.unknown()).optional(),
});
export type HostInput = z.input<typeof HostInputSchema>;

/** Where an inventory row may say it came from; a label only, never a reason to trust it more. */
export const HOST_SOURCES = ['manual', 'import', 'network', 'vcenter', 'vmm', 'hyperv'] as const;

/**
 * What a person or a file may say about a host (`hosts add`, a host file row, the wizard): the
 * columns of cli.md and nothing else. Ids, identities (uuid), evidence and every connection-security
 * setting (WinRM authentication, HTTP instead of HTTPS) are not in it: unknown fields are refused,
 * and the security settings are the operator's own command (`hosts winrm`), never imported data.
 */
export const HostEntrySchema = HostInputSchema.pick({ address: true, name: true, os: true, transport: true, port: true, credential: true, tags: true })
  .extend({
    /** A label (HOST_SOURCES and the like), never a reason to trust a host more. */
    source: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a source is a short lower-case label')
      .default('manual'),
  })
  .strict()
  .superRefine((h, ctx) => {
    const d = resolveHostDefaults(h);
    if (d.transport === 'winrm' && h.port === WINRM_HTTP_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['port'],
        message: `${WINRM_HTTP_PORT} is WinRM over HTTP, which only the operator can choose for a host (\`asr-deploy hosts winrm HOST --http\`); imported or added hosts use HTTPS 5986`,
      });
    }
  });
export type HostEntry = z.input<typeof HostEntrySchema>;

export const WINRM_HTTP_PORT = 5985;

/** The JSON shape of `hosts list` (cli.md): a contract. */
export const HostSchema = z.object({
  id: z.string(),
  name: z.string(),
  address: z.string(),
  os: z.enum(OS_FAMILIES).nullable(),
  transport: z.enum(TRANSPORTS).nullable(),
  port: z.number().int().nullable(),
  credential: z.string().nullable(),
  tags: z.array(z.string()),
  source: z.string(),
  uuid: z.string().nullable(),
  evidence: z.record(z.string(), z.unknown()).nullable(),
  facts: FactsSchema.nullable(),
});
export type Host = z.infer<typeof HostSchema>;

/** Transport follows the OS unless chosen; the port follows the transport unless chosen. */
export function resolveHostDefaults(input: { os?: OsFamily | null; transport?: TransportKind | null; port?: number | null }) {
  const os = input.os ?? (input.transport === 'winrm' ? 'windows' : input.transport === 'ssh' ? 'linux' : null);
  const transport = input.transport ?? (os === 'windows' ? 'winrm' : os === 'linux' ? 'ssh' : null);
  const port = input.port ?? (transport ? DEFAULT_PORT[transport] : null);
  return { os, transport, port };
}

/** A host conflict (store/hosts.ts): a discovery that disagrees with what a person set or facts verified. */
export const HostConflictSchema = z.object({
  id: z.string(),
  hostId: z.string(),
  host: z.string(),
  field: z.enum(['name', 'os', 'transport', 'credential']),
  current: z.string().nullable(),
  discovered: z.string().nullable(),
  source: z.string(),
  keptBecause: z.enum(['set by a person', 'verified by facts']),
  detectedAt: z.string(),
});
