import { z } from 'zod';

/**
 * The shared facts document: what the Linux script (resources/scripts/linux/facts.sh) and the
 * Windows script (resources/scripts/windows/facts.ps1) print about a host. A fact that could not
 * be read is null (or absent), so a check can say `unknown` instead of guessing `pass`.
 */
const n = <T extends z.ZodType>(t: T) => t.nullable().optional();

export const ComponentStateSchema = z.object({
  id: z.enum(['mobility-service', 'provider', 'mars-agent', 'configuration-server', 'process-server', 'master-target']),
  version: z.string().nullable(),
  /** Registered with the configuration server / vault (AGENT_CONFIGURATION_STATUS=Succeeded, registry marker). */
  configured: z.boolean().nullable(),
  service: z.enum(['running', 'stopped', 'absent']).nullable(),
  installDir: n(z.string()),
});
export type ComponentState = z.infer<typeof ComponentStateSchema>;

export const FactsSchema = z.object({
  schema: z.literal(1),
  family: z.enum(['linux', 'windows']),
  collectedAt: z.string(),
  os: z.object({
    /** Normalised distribution id: centos, rhel, ol, sles, ubuntu, debian, windows, ... */
    id: n(z.string()),
    version: n(z.string()),
    /** Human text as the host states it (PRETTY_NAME, release file line, Windows caption). */
    name: n(z.string()),
    /** Which file or API the OS was read from (os-release, redhat-release, SuSE-release, Win32_OperatingSystem). */
    source: n(z.string()),
    kernel: n(z.string()),
    /** uek | rhck for Oracle Linux; null elsewhere. */
    kernelFlavor: n(z.string()),
    architecture: n(z.string()),
    servicePack: n(z.string()),
    build: n(z.string()),
  }),
  hostName: n(z.string()),
  fqdn: n(z.string()),
  addresses: n(
    z.array(
      z.object({
        nic: z.string(),
        address: z.string(),
        family: z.union([z.literal(4), z.literal(6)]),
        /** Linux: whether /etc/hosts maps the host name to this address. */
        inEtcHosts: n(z.boolean()),
      }),
    ),
  ),
  fileSystems: n(z.array(z.object({ mount: z.string(), type: z.string(), device: z.string() }))),
  storage: n(
    z.object({
      lvm: n(z.boolean()),
      multipath: n(z.boolean()),
      cciss: n(z.boolean()),
      /** Windows: per disk, basic or dynamic. */
      disks: n(z.array(z.object({ number: z.number(), dynamic: z.boolean(), sizeBytes: n(z.number()), isSystem: n(z.boolean()) }))),
      deviceNames: n(z.array(z.string())),
    }),
  ),
  boot: n(
    z.object({
      rootDevice: n(z.string()),
      bootDevice: n(z.string()),
      /** true when every root=/disk reference in the GRUB config is UUID=/LABEL=/by-id; false lists offenders. */
      grubUsesUuid: n(z.boolean()),
      grubDeviceNames: n(z.array(z.string())),
      systemDrive: n(z.string()),
      systemRoot: n(z.string()),
    }),
  ),
  freeSpace: n(z.array(z.object({ path: z.string(), freeBytes: z.number(), totalBytes: n(z.number()) }))),
  access: n(
    z.object({
      user: n(z.string()),
      isRoot: n(z.boolean()),
      sudoNoPassword: n(z.boolean()),
      /**
       * The credential's sudo password was accepted by `sudo -S` (true), refused (false); null when
       * the credential has none or none was needed. Tried by the facts gatherer, not by facts.sh.
       */
      sudoWithPassword: n(z.boolean()).optional(),
      sftp: n(z.boolean()),
      isAdmin: n(z.boolean()),
    }),
  ),
  windows: n(
    z.object({
      firewallFileAndPrinterSharing: n(z.boolean()),
      firewallWmi: n(z.boolean()),
      localAccountTokenFilterPolicy: n(z.number()),
      domainJoined: n(z.boolean()),
      dotNetVersion: n(z.string()),
      powerShellVersion: n(z.string()),
      hyperV: n(z.boolean()),
      vmmServer: n(z.boolean()),
      vmmVersion: n(z.string()),
      winHttpProxy: n(z.string()),
      agentProxy: n(z.string()),
      installPaths: n(z.array(z.string())),
    }),
  ),
  pendingReboot: n(z.boolean()),
  /** When the running kernel booted, in seconds since the epoch (Linux: `btime` of /proc/stat); the reboot rule of Mobility service upgrades counts from it. */
  bootedAt: n(z.number()),
  components: n(z.array(ComponentStateSchema)),
  /** Anything a script could not read, with why (permission, missing tool): evidence for `unknown`. */
  notes: n(z.array(z.string())),
});
export type Facts = z.infer<typeof FactsSchema>;
