import { z } from 'zod';
import { HostConflictSchema, HostEntrySchema, HostSchema } from '../../model/host.ts';
import { WINRM_AUTH } from '../../model/winrm.ts';

/** Inventory, credentials and trust: the foundation's commands. */
export const HostSelector = z.string().default('all');

export const CredentialInfoSchema = z.object({
  name: z.string(),
  user: z.string(),
  kind: z.enum(['password', 'key']),
  keyFile: z.string().nullable(),
  hasPassphrase: z.boolean(),
  hasSudoPassword: z.boolean(),
  createdAt: z.string(),
});

export const ImportReportSchema = z.object({
  file: z.string(),
  rows: z.number().int(),
  added: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  skipped: z.array(z.object({ line: z.number().int(), message: z.string() })),
  hosts: z.array(HostSchema),
});

export const TrustPinSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  kind: z.enum(['ssh', 'tls']),
  fingerprint: z.string(),
  keyType: z.string().nullable(),
  subject: z.string().nullable(),
  notAfter: z.string().nullable(),
  approvedAt: z.string(),
});

export const inventoryCommands = {
  'hosts.add': {
    summary: 'Add a host to the inventory (or update the one with that address).',
    // The columns of cli.md only: no ids, evidence or WinRM security settings (see HostEntrySchema).
    input: HostEntrySchema,
    output: HostSchema,
  },
  'hosts.winrm': {
    summary:
      "The operator's WinRM settings for Windows hosts: authentication (Negotiate by default; Basic and CredSSP only here) and HTTP 5985 instead of HTTPS 5986; each weaker choice comes with a warning.",
    input: z.object({ hosts: z.string().min(1), auth: z.enum(WINRM_AUTH).optional(), http: z.boolean().optional() }),
    output: z.array(z.object({ host: z.string(), auth: z.enum(WINRM_AUTH), useSsl: z.boolean(), port: z.number().int(), warnings: z.array(z.string()) })),
  },
  'hosts.list': {
    summary: 'List hosts.',
    input: z.object({ hosts: HostSelector }),
    output: z.array(HostSchema),
  },
  'hosts.conflicts': {
    summary: 'Differences discovery found with what a person set or facts verified (kept until accepted one by one).',
    input: z.object({ hosts: z.string().default('all') }),
    output: z.array(HostConflictSchema),
  },
  'hosts.acceptConflict': {
    summary: "Take a discovery's value for one conflict (it is then the operator's choice).",
    input: z.object({ ids: z.array(z.string().min(1)).min(1) }),
    output: z.array(HostSchema),
  },
  'hosts.remove': {
    summary: 'Remove hosts.',
    input: z.object({ hosts: z.string().min(1) }),
    output: z.object({ removed: z.array(z.string()) }),
  },
  'hosts.import': {
    summary: 'Import hosts from a CSV (header row) or JSON array file; all-or-nothing unless skipInvalid.',
    input: z.object({ file: z.string().min(1), skipInvalid: z.boolean().default(false) }),
    output: ImportReportSchema,
  },
  'credentials.add': {
    summary: 'Store a credential; secrets go to the secret store only.',
    input: z
      .object({
        name: z.string().min(1),
        user: z.string().min(1),
        password: z.string().optional(),
        privateKey: z.string().optional(),
        keyFile: z.string().optional(),
        passphrase: z.string().optional(),
        sudoPassword: z.string().optional(),
      })
      .refine((c) => (c.password !== undefined) !== (c.privateKey !== undefined), { message: 'give exactly one of a password or a private key' }),
    output: CredentialInfoSchema,
  },
  'credentials.list': {
    summary: 'List credentials (never a secret).',
    input: z.object({}),
    output: z.array(CredentialInfoSchema),
  },
  'credentials.remove': {
    summary: 'Remove a credential and its secrets.',
    input: z.object({ name: z.string().min(1) }),
    output: z.object({ removed: z.string() }),
  },
  'trust.list': {
    summary: 'List pinned host keys and certificates.',
    input: z.object({}),
    output: z.array(TrustPinSchema),
  },
  'trust.revoke': {
    summary: 'Forget the pins of hosts.',
    input: z.object({ hosts: z.array(z.string().min(1)).min(1) }),
    output: z.object({ revoked: z.number().int() }),
  },
} as const;
