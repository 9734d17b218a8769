import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { z } from 'zod';
import { AsrFailure } from '../model/errors.ts';
import { resourcePath } from '../model/resources.ts';
import { MATRIX_COMPONENTS, type MatrixComponentId } from './types.ts';

/**
 * Support matrices as data: one JSON file per component and version range in resources/matrix/.
 * Adding an ASR version is adding or editing a file; every row names the document it came from.
 */

const Source = z.string().min(3, 'every matrix entry names its source document');

const SemverRange = z.string().refine((r) => semver.validRange(r) !== null, { message: 'not a valid semver range' });

/**
 * A distribution version as the matrix states it: "6" (any 6.x), "6.4" (6.4 and 6.4.y),
 * or an inclusive range "6.4-6.6" compared on as many components as the bounds have.
 */
const VersionSpec = z.string().regex(/^\d+(\.\d+)*(-\d+(\.\d+)*)?$/, 'a version is "6", "6.4" or a range "6.4-6.6"');

/** Installer OS ids as they appear in Microsoft-ASR_UA_<ver>_<OSID>_GA_<date>_release.*. */
const InstallerOsId = z.string().regex(/^(Windows|[A-Z]+[0-9A-Z.-]*-64)$/, 'an installer OS id looks like RHEL7-64, SLES11-SP3-64, UBUNTU-22.04-64 or Windows');

const LinuxOsEntrySchema = z.strictObject({
  family: z.literal('linux'),
  /** facts.os.id values this row covers (centos, rhel, ol, sles, ubuntu, debian). */
  ids: z.array(z.string().min(1)).min(1),
  versions: z.array(VersionSpec).min(1),
  /** Oracle Linux: allowed kernels; a `release` is a prefix of `uname -r` (UEK3 = 3.8.13). Absent = any. */
  kernels: z
    .array(z.strictObject({ flavor: z.string().min(1), release: z.string().optional(), name: z.string().min(1) }))
    .min(1)
    .optional(),
  installerOsId: InstallerOsId,
  /** First agent version that supports this row, when the docs say so. */
  sinceVersion: z.string().optional(),
  note: z.string().optional(),
  source: Source,
});

const WindowsOsEntrySchema = z.strictObject({
  family: z.literal('windows'),
  /** Normalised release names, e.g. "Windows Server 2012 R2", "Windows 10" (see os.ts). */
  releases: z.array(z.string().min(1)).min(1),
  minServicePack: z.number().int().min(0).optional(),
  installerOsId: InstallerOsId,
  sinceVersion: z.string().optional(),
  note: z.string().optional(),
  source: Source,
});

export const OsEntrySchema = z.discriminatedUnion('family', [LinuxOsEntrySchema, WindowsOsEntrySchema]);
export type OsEntry = z.infer<typeof OsEntrySchema>;
export type LinuxOsEntry = z.infer<typeof LinuxOsEntrySchema>;
export type WindowsOsEntry = z.infer<typeof WindowsOsEntrySchema>;

const StorageSchema = z.strictObject({
  /** Linux file system types (lower case, as in /proc/mounts). */
  fileSystems: z.array(z.string().min(1)).min(1),
  /** File systems supported only from an agent version: {btrfs: "9.22"}. */
  fileSystemsSince: z.record(z.string(), z.string()).optional(),
  lvm: z.boolean(),
  multipath: z.boolean(),
  cciss: z.boolean(),
  /** none: every disk basic; data-only: the OS disk basic, data disks may be dynamic; any. */
  dynamicDisks: z.enum(['none', 'data-only', 'any']),
  /** Drive the Windows OS must be on, when the matrix says so ("C:"). */
  systemDrive: z
    .string()
    .regex(/^[A-Za-z]:$/)
    .optional(),
  source: Source,
});

const PortsSchema = z.strictObject({
  configurationServer: z.number().int().min(1).max(65535),
  processServer: z.number().int().min(1).max(65535),
  source: Source,
});

const InstallSchema = z.strictObject({
  linuxDir: z.string().optional(),
  windowsDir: z.string().optional(),
  linuxStaging: z.string().default('/tmp'),
  windowsStaging: z.string().default('C:\\Temp'),
  /** Free space needed on the install directory's volume (ASR 95524: at least 100 MB). */
  minFreeMb: z.number().positive(),
  /** Linux: free space needed on / (9.x matrices: 2 GB). */
  rootMinFreeMb: z.number().positive().optional(),
  /** Staging holds the installer and its extracted copy: installer size × this factor. */
  stagingFactor: z.number().min(1).default(2),
  source: Source,
});

const HostRoleSchema = z.strictObject({
  /** The host must have one of these: hyperv (role installed), vmm (VMM server). */
  anyOf: z.array(z.enum(['hyperv', 'vmm'])).min(1),
  /** Supported VMM releases; `version` is a prefix of the VMM product version. */
  vmmVersions: z.array(z.strictObject({ name: z.string().min(1), version: z.string().min(1) })).optional(),
  source: Source,
});

const ProxySchema = z.strictObject({
  schemes: z.array(z.enum(['http', 'https', 'socks', 'socks5'])).min(1),
  source: Source,
});

const CapacitySchema = z.strictObject({
  masterTarget: z.strictObject({
    sizes: z.array(z.strictObject({ name: z.string().min(1), dataDisks: z.number().int().positive(), reservedForRetention: z.number().int().min(0) })).min(1),
    maxDataDiskGb: z.number().positive(),
  }),
  processServer: z.strictObject({ cacheGbRecommended: z.number().positive(), cacheDir: z.string().min(1), deployment: z.string() }),
  source: Source,
});

export const MatrixSchema = z.strictObject({
  component: z.enum(MATRIX_COMPONENTS),
  /** Agent versions this matrix covers (semver range; 4-part ASR versions are coerced). */
  versions: SemverRange,
  generation: z.string().min(1),
  title: z.string().min(1),
  sources: z.array(Source).min(1),
  os: z.array(OsEntrySchema).min(1),
  /** Normalised architectures (x86_64). */
  architectures: z.array(z.string().min(1)).min(1),
  storage: StorageSchema.optional(),
  ports: PortsSchema.optional(),
  install: InstallSchema,
  hostRole: HostRoleSchema.optional(),
  proxy: ProxySchema.optional(),
  capacity: CapacitySchema.optional(),
});
export type Matrix = z.infer<typeof MatrixSchema>;
export type MatrixCapacity = z.infer<typeof CapacitySchema>;

/** A matrix with the file it came from (for messages). */
export type LoadedMatrix = Matrix & { file: string };

/** resources/matrix of the source tree, the built tree or the packaged app (see model/resources.ts). */
export function defaultMatrixDir(): string {
  return resourcePath('matrix');
}

/** Parse one matrix document; errors name the file and the JSON path of every problem. */
export function parseMatrix(json: unknown, file: string): LoadedMatrix {
  const parsed = MatrixSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${file}: ${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`);
    throw new AsrFailure('validation', `invalid support matrix ${file}\n${lines.join('\n')}`, { details: { file, issues: lines } });
  }
  return { ...parsed.data, file };
}

const cache = new Map<string, readonly LoadedMatrix[]>();

/**
 * Read and validate every *.json in `dir` (default resources/matrix). Throws AsrFailure
 * `validation` naming the file and path when one is broken, or when two files of one component
 * claim overlapping version ranges. Results for a directory are cached; pass `fresh` to re-read.
 */
export function loadMatrices(dir: string = defaultMatrixDir(), opts: { fresh?: boolean } = {}): readonly LoadedMatrix[] {
  const hit = cache.get(dir);
  if (hit && !opts.fresh) return hit;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const matrices = files.map((f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new AsrFailure('validation', `invalid support matrix ${f}: not JSON (${(e as Error).message})`, { details: { file: f } });
    }
    return parseMatrix(json, f);
  });
  assertNoOverlap(matrices);
  const frozen = Object.freeze(matrices);
  cache.set(dir, frozen);
  return frozen;
}

function assertNoOverlap(matrices: readonly LoadedMatrix[]): void {
  for (let i = 0; i < matrices.length; i++) {
    for (let j = i + 1; j < matrices.length; j++) {
      const a = matrices[i]!;
      const b = matrices[j]!;
      if (a.component === b.component && semver.intersects(a.versions, b.versions)) {
        throw new AsrFailure('validation', `support matrices ${a.file} and ${b.file} both cover ${a.component} versions (${a.versions} / ${b.versions})`, {
          details: { files: [a.file, b.file] },
        });
      }
    }
  }
}

/** ASR versions have four parts (9.62.7096.1); semver compares the first three. */
export function coerceVersion(version: string): string | null {
  // Parsed by hand: semver.coerce rejects Provider versions with a zero-padded part (5.24.0614.1).
  const m = /^\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version);
  if (!m) return null;
  return [m[1], m[2] ?? '0', m[3] ?? '0'].map((p) => String(Number(p))).join('.');
}

/**
 * The matrix for a component version. Without a version, the newest matrix of the component
 * (the one whose range starts highest). Null when none covers it.
 */
export function matrixFor(componentId: string, version?: string | null, matrices: readonly LoadedMatrix[] = loadMatrices()): LoadedMatrix | null {
  const mine = matrices.filter((m) => m.component === componentId);
  if (version == null || version === '') {
    return [...mine].sort((a, b) => semver.compare(semver.minVersion(b.versions) ?? '0.0.0', semver.minVersion(a.versions) ?? '0.0.0'))[0] ?? null;
  }
  const v = coerceVersion(version);
  if (!v) return null;
  return mine.find((m) => semver.satisfies(v, m.versions)) ?? null;
}

/** True when an agent version is at least `since` (4-part aware). Unknown versions count as new enough. */
export function versionAtLeast(version: string | null | undefined, since: string | undefined): boolean {
  if (!since || !version) return true;
  const v = coerceVersion(version);
  const s = coerceVersion(since);
  return !v || !s || semver.gte(v, s);
}

export type { MatrixComponentId };
