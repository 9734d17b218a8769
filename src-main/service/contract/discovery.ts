import { z } from 'zod';
import { AsrErrorSchema } from '../../model/errors.ts';
import { FactsSchema } from '../../model/facts.ts';
import { HostConflictSchema, HostSchema } from '../../model/host.ts';
import { HostSelector } from './inventory.ts';

const DiscoveredHostSchema = z.object({
  address: z.string(),
  open: z.array(z.number().int()),
  ssh: z.object({ banner: z.string() }).optional(),
  winrm: z
    .object({
      https: z.boolean(),
      certificate: z
        .object({
          subject: z.string(),
          fingerprint: z.string(),
          notAfter: z.string(),
          expired: z.boolean().optional(),
          expiresSoon: z.boolean().optional(),
          selfSigned: z.boolean().optional(),
        })
        .optional(),
      authentication: z.array(z.string()).optional(),
      productVersion: z.string().optional(),
    })
    .optional(),
  os: z.enum(['linux', 'windows']).optional(),
  osEvidence: z.string().optional(),
});

const VmSchema = z.object({
  name: z.string(),
  uuid: z.string().nullable(),
  guestOs: z.string().nullable(),
  family: z.enum(['linux', 'windows', 'other']),
  powerState: z.string().nullable(),
  toolsStatus: z.string().nullable(),
  addresses: z.array(z.string()),
  hostName: z.string().nullable(),
  disks: z.number(),
  datacenter: z.string().nullable(),
  cluster: z.string().nullable(),
  esxHost: z.string().nullable(),
  guestFullName: z.string().nullable().optional(),
  diskSizesGB: z.array(z.number()).optional(),
  vcenter: z.string().optional(),
});

const VmmHostSchema = z.object({
  name: z.string(),
  address: z.string(),
  computerName: z.string().nullable(),
  hostGroup: z.string().nullable(),
  cluster: z.string().nullable(),
  clouds: z.array(z.string()),
  platform: z.string().nullable(),
  os: z.string().nullable(),
  state: z.string().nullable(),
  vms: z.number().int(),
  hostId: z.string().optional(),
});

const VmmDiscoverySchema = z.object({
  server: z.object({
    name: z.string(),
    address: z.string(),
    fqdn: z.string().nullable(),
    version: z.string().nullable(),
    port: z.number().nullable(),
    hostId: z.string().optional(),
  }),
  hostGroups: z.array(z.object({ name: z.string(), path: z.string(), parent: z.string().nullable() })),
  clouds: z.array(z.object({ name: z.string(), id: z.string().nullable(), hostGroups: z.array(z.string()) })),
  hosts: z.array(VmmHostSchema),
  vms: z.array(
    z.object({
      name: z.string(),
      id: z.string().nullable(),
      host: z.string().nullable(),
      cloud: z.string().nullable(),
      state: z.string().nullable(),
      os: z.string().nullable(),
    }),
  ),
});

const HyperVDiscoverySchema = z.object({
  address: z.string(),
  ok: z.boolean(),
  computer: z.string().optional(),
  fqdn: z.string().nullable().optional(),
  os: z.object({ caption: z.string().nullable(), version: z.string().nullable(), build: z.string().nullable() }).optional(),
  hyperv: z
    .object({
      installed: z.boolean(),
      version: z.string().nullable(),
      logicalProcessors: z.number().nullable(),
      memoryBytes: z.number().nullable(),
      vmPath: z.string().nullable(),
    })
    .optional(),
  cluster: z.string().nullable().optional(),
  vms: z
    .array(
      z.object({
        name: z.string(),
        id: z.string().nullable(),
        state: z.string().nullable(),
        generation: z.number().nullable(),
        version: z.string().nullable(),
        replicationState: z.string().nullable().optional(),
      }),
    )
    .optional(),
  hostId: z.string().optional(),
  error: AsrErrorSchema.optional(),
});

/** Discovery (network, vCenter, VMM, Hyper-V) and facts (issues 3-4). Trust, checks and reports have their own files. */
export const discoveryCommands = {
  'discover.network': {
    summary: 'TCP probes of addresses, CIDR blocks and ranges; identifies SSH and WinRM.',
    input: z.object({
      targets: z.array(z.string().min(1)).min(1),
      ports: z.array(z.number().int().min(1).max(65535)).optional(),
      concurrency: z.number().int().min(1).max(4096).optional(),
      timeoutMs: z.number().int().min(50).max(60_000).optional(),
      force: z.boolean().default(false),
      /** All targets together; a /16 (65,536) unless raised explicitly. */
      maxAddresses: z.number().int().min(1).max(16_777_216).optional(),
      add: z.boolean().default(false),
      credential: z.string().optional(),
      tags: z.array(z.string()).default([]),
    }),
    output: z.array(DiscoveredHostSchema.extend({ hostId: z.string().optional(), conflicts: z.array(HostConflictSchema).optional() })),
  },
  'discover.vcenter': {
    summary: 'Inventory of a vCenter over vim25 SOAP; --add turns powered-on VMs with addresses into hosts.',
    input: z.object({
      server: z.string().min(1),
      credential: z.string().min(1),
      fingerprint: z.string().optional(),
      add: z.boolean().default(false),
      hostCredential: z.string().optional(),
      pageSize: z.number().int().min(1).max(10_000).optional(),
    }),
    /** `conflicts`: what the inventory kept against this discovery; `warning`: e.g. two VMs with one address (the second is not added). */
    output: z.array(VmSchema.extend({ hostId: z.string().optional(), conflicts: z.array(HostConflictSchema).optional(), warning: z.string().optional() })),
  },
  'discover.vmm': {
    summary:
      'Inventory of a VMM server (host groups, clouds, Hyper-V hosts, VMs) over PowerShell; --add stores the server and its hosts with role/cloud/hostgroup/cluster tags.',
    input: z.object({ server: z.string().min(1), credential: z.string().min(1), add: z.boolean().default(false) }),
    output: VmmDiscoverySchema,
  },
  'discover.hyperv': {
    summary: 'Hyper-V role, version, cluster and VMs of each host over PowerShell; --add stores them as role:hyperv-host.',
    input: z.object({
      hosts: z.array(z.string().min(1)).min(1),
      credential: z.string().min(1),
      add: z.boolean().default(false),
      concurrency: z.number().int().min(1).max(64).optional(),
    }),
    output: z.array(HyperVDiscoverySchema),
  },
  'facts.gather': {
    summary: 'Gather facts over each host’s transport and store them.',
    input: z.object({ hosts: HostSelector, concurrency: z.number().int().min(1).max(512).optional() }),
    output: z.array(z.object({ host: z.string(), ok: z.boolean(), facts: FactsSchema.optional(), error: AsrErrorSchema.optional() })),
  },
  'hosts.discovered': {
    summary: 'Hosts that discovery added or updated (for the UI).',
    input: z.object({}),
    output: z.array(HostSchema),
  },
} as const;
