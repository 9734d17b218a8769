import { z } from 'zod';
import { AsrErrorSchema, type AsrError } from '../model/errors.ts';
import { HostInputSchema, HostSchema, OS_FAMILIES, TRANSPORTS, TagSchema } from '../model/host.ts';

/**
 * The one contract between the front ends (CLI, Electron IPC, loopback WebSocket) and the
 * service: every command with its input and output schema, every event. Front ends validate
 * against it at their boundary; the renderer imports only types from here.
 */

const HostSelector = z.string().default('all');

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

export const commands = {
  'hosts.add': {
    summary: 'Add a host to the inventory (or update the one with that address).',
    input: HostInputSchema.extend({ os: z.enum(OS_FAMILIES).optional(), transport: z.enum(TRANSPORTS).optional(), tags: z.array(TagSchema).default([]) }),
    output: HostSchema,
  },
  'hosts.list': {
    summary: 'List hosts.',
    input: z.object({ hosts: HostSelector }),
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

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;
export type CommandOutput<N extends CommandName> = z.output<Commands[N]['output']>;

/** Result envelope: errors are data across every boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AsrError };
export const resultSchema = <T extends z.ZodType>(value: T) =>
  z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), value }), z.object({ ok: z.literal(false), error: AsrErrorSchema })]);

export const EventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), jobId: z.string().optional(), done: z.number(), total: z.number(), message: z.string().optional() }),
  z.object({
    type: z.literal('host-step'),
    jobId: z.string(),
    host: z.string(),
    step: z.string(),
    status: z.enum(['started', 'succeeded', 'failed', 'skipped', 'retrying', 'cancelled']),
    bytes: z.number().optional(),
    totalBytes: z.number().optional(),
    elapsedMs: z.number().optional(),
    error: AsrErrorSchema.optional(),
  }),
  z.object({ type: z.literal('log'), jobId: z.string().optional(), host: z.string().optional(), level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
  z.object({ type: z.literal('job'), jobId: z.string(), status: z.string() }),
]);
export type ServiceEvent = z.infer<typeof EventSchema>;

export interface CallOptions {
  signal?: AbortSignal;
  onEvent?: (e: ServiceEvent) => void;
}

/** What every front end holds: one function, typed by the contract. */
export interface ServiceApi {
  call<N extends CommandName>(name: N, input: CommandInput<N>, opts?: CallOptions): Promise<Result<CommandOutput<N>>>;
}

/** Field names whose values are secrets: never logged, never echoed back, redacted in journals. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(['password', 'privateKey', 'passphrase', 'sudoPassword', 'proxyPassword', 'vaultCredentials', 'token']);

export function redact<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redact) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELDS.has(k) ? '[redacted]' : redact(v)])) as T;
  }
  return value;
}
