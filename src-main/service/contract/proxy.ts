import { z } from 'zod';
import { AsrErrorSchema } from '../../model/errors.ts';
import { JOB_STATUSES } from '../../model/status.ts';
import { HostSelector } from './inventory.ts';

const ProxySchema = z.object({
  name: z.string(),
  url: z.string(),
  host: z.string(),
  port: z.number().int(),
  credential: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const EndpointResultSchema = z.object({
  endpoint: z.string(),
  kind: z.enum(['connect', 'http']),
  purpose: z.string(),
  outcome: z.enum(['ok', 'proxy_auth_failed', 'proxy_unreachable', 'refused_by_proxy']),
  status: z.string().nullable(),
  detail: z.string().nullable(),
  method: z.string(),
});

const ApplyStepSchema = z.object({
  id: z.enum(['provider', 'mars-agent', 'vmm-proxy-account']),
  status: z.enum(['planned', 'applied', 'not_installed', 'failed']),
  why: z.string(),
  detail: z.string().nullable(),
  exitCode: z.number().int().optional(),
});

/** Named HTTP proxies: stored, tested from each host, applied to the Provider, MARS agent and DRAProxyAccount. */
export const proxyCommands = {
  'proxy.set': {
    summary: 'Add or replace a named HTTP proxy (http://HOST:PORT) with an optional credential.',
    input: z.object({ name: z.string().min(1), url: z.string().min(1), credential: z.string().min(1).optional() }),
    output: ProxySchema,
  },
  'proxy.list': { summary: 'The named proxies (never a password).', input: z.object({}), output: z.array(ProxySchema) },
  'proxy.test': {
    summary: 'From each host, through the proxy, ask for the endpoints the Provider and MARS agent need.',
    input: z.object({
      name: z.string().min(1),
      hosts: HostSelector,
      endpoints: z.array(z.string().min(1)).optional(),
      timeoutSeconds: z.number().int().min(1).max(120).optional(),
      method: z.enum(['auto', 'curl', 'devtcp']).optional(),
      concurrency: z.number().int().min(1).max(256).optional(),
    }),
    output: z.object({
      proxy: z.string(),
      url: z.string(),
      hosts: z.array(z.object({ host: z.string(), ok: z.boolean(), endpoints: z.array(EndpointResultSchema), error: AsrErrorSchema.optional() })),
    }),
  },
  'proxy.apply': {
    summary: 'Set the proxy where each host needs it: Provider (re-registration), MARS agent, DRAProxyAccount on a VMM server.',
    input: z.object({
      name: z.string().min(1),
      hosts: HostSelector,
      vaultCredentialsFile: z.string().min(1).optional(),
      drconfigurator: z.string().min(1).optional(),
      concurrency: z.number().int().min(1).max(64).optional(),
    }),
    /** `jobId`/`status`: the journalled job it ran as (`jobs show|logs|resume ID`, `report ID`). */
    output: z.object({
      proxy: z.string(),
      url: z.string(),
      jobId: z.string().optional(),
      status: z.enum(JOB_STATUSES).optional(),
      hosts: z.array(
        z.object({
          host: z.string(),
          status: z.enum(['applied', 'skipped', 'failed']),
          reason: z.string().nullable(),
          roles: z.array(z.string()),
          steps: z.array(ApplyStepSchema),
          error: AsrErrorSchema.optional(),
        }),
      ),
    }),
  },
} as const;
