import { z } from 'zod';

/**
 * The JSON documents printed by resources/scripts/windows/discover-vmm.ps1 and
 * discover-hyperv.ps1. ConvertTo-Json writes `null` for absent values and a one-element
 * pipeline result as an array (the scripts wrap every list in `@()`), so lists are arrays here.
 */
const str = z.string().nullable();
const list = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item));

export const MissingDocumentSchema = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z.enum(['vmm_module_missing', 'hyperv_role_missing', 'hyperv_module_missing']),
    message: z.string(),
    computer: z.string().nullable().optional(),
    module: z.string().optional(),
    psVersion: z.string().nullable().optional(),
  }),
});

export const VmmDocumentSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    server: z.object({ name: z.string(), fqdn: str, version: str, port: z.number().nullable() }),
    hostGroups: list(z.object({ name: z.string(), path: z.string(), parent: str })),
    clouds: list(z.object({ name: z.string(), id: str, hostGroups: list(z.string()) })),
    hosts: list(z.object({ name: z.string(), computerName: str, fqdn: str.optional(), hostGroup: str, cluster: str, platform: str, os: str, state: str })),
    vms: list(z.object({ name: z.string(), id: str, host: str, cloud: str, state: str, os: str })),
  }),
  MissingDocumentSchema,
]);
export type VmmDocument = z.infer<typeof VmmDocumentSchema>;

export const HyperVDocumentSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    computer: z.string(),
    fqdn: str,
    os: z.object({ caption: str, version: str, build: str }),
    hyperv: z.object({ installed: z.boolean(), version: str, logicalProcessors: z.number().nullable(), memoryBytes: z.number().nullable(), vmPath: str }),
    cluster: str,
    vms: list(z.object({ name: z.string(), id: str, state: str, generation: z.number().nullable(), version: str, replicationState: str.optional() })),
  }),
  MissingDocumentSchema,
]);
export type HyperVDocument = z.infer<typeof HyperVDocumentSchema>;
