import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fail } from '../model/errors.ts';
import { resourcePath } from '../model/resources.ts';
import { compareVersions, isVersion, parseVersion } from './version.ts';

export const COMPONENT_IDS = ['mobility-service', 'provider', 'mars-agent'] as const;
export type ComponentId = (typeof COMPONENT_IDS)[number];
export type Platform = 'linux' | 'windows';

const Argv = z.array(z.string().min(1)).min(1);
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** Documented optional switches, appended to one line when the plan has the matching setting. */
const ExtraArgsSchema = z.object({
  /** proxy: a proxy is set; proxyAuth: it needs credentials; vmmServer: the host is a VMM server. */
  when: z.enum(['proxy', 'proxyAuth', 'vmmServer']),
  line: z.enum(['install', 'upgrade', 'configure']),
  args: Argv,
});

/** How a Windows recipe tells what is installed (resources/scripts/windows/component-detect.ps1). */
const WindowsDetectSchema = z.object({
  /** Any of these registry keys present → installed (e.g. the Provider's DRAdapter key on VMM). */
  registryKeys: z.array(z.string()).default([]),
  /** MSI product code: its Uninstall key present → installed, its DisplayVersion the version. */
  productCode: z
    .string()
    .regex(/^\{[0-9A-Fa-f-]{36}\}$/)
    .optional(),
  /** Where the install directory is recorded: a registry value, else installDir. */
  installDirValue: z.object({ key: z.string(), value: z.string() }).optional(),
  /** The version is this file's FileVersion; relative to the install directory (or `{vmmBin}\…`). */
  versionFiles: z.array(z.string()).default([]),
  /** Registered/configured: this registry key exists, or its value equals `equals`. */
  configured: z.object({ key: z.string(), value: z.string().optional(), equals: z.string().optional() }).optional(),
  /** Services that run when the component is healthy (short names). */
  services: z.array(z.string()).min(1),
});

const CommandLinesSchema = z.object({
  extract: Argv.optional(),
  install: Argv,
  upgrade: Argv,
  configure: Argv.nullable(),
  uninstall: Argv.nullable(),
  installDir: z.string(),
  csPort: z.number().int(),
  extras: z.array(ExtraArgsSchema).optional(),
  detect: WindowsDetectSchema.optional(),
  /**
   * Provider on a VMM server: the VMM service is stopped before setup and started after; the
   * configurator is in VMM's bin folder (the directory of the service's program, else binDir).
   */
  vmm: z.object({ service: z.string(), binDir: z.string(), marker: z.string() }).optional(),
  /**
   * Windows: the setup program in the extracted package, `{setupProgram}` in the lines. Microsoft's
   * documents name it UnifiedAgentInstaller.exe and UnifiedAgent.exe; the first one present runs.
   */
  setupPrograms: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Modernized appliance: where the machine's "Agent Config Input" string comes from: the install
   * output after `marker`, else `command`'s output after `commandMarker` (re-read on resume).
   */
  configRequest: z.object({ marker: z.string().min(1), command: Argv.nullable(), commandMarker: z.string().min(1).nullable() }).optional(),
});
export type CommandLines = z.infer<typeof CommandLinesSchema>;

const VersionSchema = z.object({
  version: z.string().refine(isVersion, 'a version is 2-4 dot-separated numbers'),
  released: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .nullable(),
  rollup: z.string().nullable(),
  generation: z.string(),
  /** The generation used when the plan registers with a modernized replication appliance (--appliance). */
  applianceGeneration: z.string().optional(),
  osIds: z.array(z.string()),
  downloads: z.record(z.string(), z.url()),
  /** Known SHA-256 per installer file name or OS id; a mismatch refuses to stage. */
  sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  /**
   * The document the sha256 entries come from, or, with none, the documents that publish the
   * package without a hash: its installers then run only once pinned (`sources trust`).
   */
  sha256Source: z.string().min(1).optional(),
  /** Where the entry comes from, or what kind of build it is (e.g. a later kernel build). */
  note: z.string().optional(),
});
export type CatalogVersion = z.infer<typeof VersionSchema>;

export const ComponentCatalogSchema = z
  .object({
    $comment: z.string().optional(),
    id: z.enum(COMPONENT_IDS),
    name: z.string(),
    platforms: z.array(z.enum(['linux', 'windows'])).min(1),
    installerPattern: z.partialRecord(z.enum(['linux', 'windows']), z.string()),
    generations: z.record(
      z.string(),
      z.object({
        source: z.string(),
        registration: z.enum(['cs', 'appliance']).default('cs'),
        linux: CommandLinesSchema.optional(),
        windows: CommandLinesSchema.optional(),
      }),
    ),
    /** Registration architectures with their dates and ports (Mobility service). */
    architectures: z
      .object({
        classic: z.object({ registration: z.literal('cs'), newDeploymentsStopped: IsoDate, discontinued: IsoDate, retired: IsoDate, source: z.string() }),
        modernized: z.object({
          registration: z.literal('appliance'),
          ports: z.object({ control: z.number().int().min(1).max(65535), data: z.number().int().min(1).max(65535) }),
          source: z.string(),
        }),
      })
      .optional(),
    exitCodes: z.object({
      success: z.array(z.number().int()),
      successWithWarnings: z.array(z.number().int()),
      successRebootRequired: z.array(z.number().int()),
      retryLater: z.array(z.number().int()),
    }),
    logs: z.partialRecord(z.enum(['linux', 'windows']), z.array(z.string())),
    versions: z.array(VersionSchema).min(1),
  })
  .superRefine((c, ctx) => {
    c.versions.forEach((v, i) => {
      if (!c.generations[v.generation]) ctx.addIssue({ code: 'custom', path: ['versions', i, 'generation'], message: `unknown generation "${v.generation}"` });
      if (v.applianceGeneration && c.generations[v.applianceGeneration]?.registration !== 'appliance')
        ctx.addIssue({
          code: 'custom',
          path: ['versions', i, 'applianceGeneration'],
          message: `"${v.applianceGeneration}" is not a generation with registration "appliance"`,
        });
    });
    for (const [p, re] of Object.entries(c.installerPattern)) {
      try {
        new RegExp(re);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['installerPattern', p], message: (e as Error).message });
      }
    }
  });
export type ComponentCatalog = z.infer<typeof ComponentCatalogSchema>;

export interface Catalog {
  components: ComponentCatalog[];
  component(id: string): ComponentCatalog;
  /** Versions newest first. */
  versions(id: ComponentId): CatalogVersion[];
  latest(id: ComponentId): CatalogVersion;
  find(id: ComponentId, version: string): CatalogVersion | undefined;
  /** The newest version with a package for this OS id (Windows, RHEL8-64, ...). */
  newestFor(id: ComponentId, osId: string): CatalogVersion | undefined;
  /** Whether a version is listed, newer than the catalog, or between listed ones, and whose rules apply. */
  standing(id: ComponentId, version: string): VersionStanding;
  /** `registration: 'appliance'` selects the version's modernized (CSPrime) generation. */
  commandLines(id: ComponentId, version: string, platform: Platform, registration?: Registration): CommandLines;
  /** Whether the version has command lines for a registration target (unknown newer versions: the newest known's). */
  supportsRegistration(id: ComponentId, version: string, registration: Registration): boolean;
}

/** Where a Mobility service registers: a classic configuration server, or a modernized replication appliance. */
export type Registration = 'cs' | 'appliance';

/** Parses catalog documents; one invalid document rejects the whole catalog (nothing half-loaded). */
export function parseCatalog(docs: { file: string; data: unknown }[]): Catalog {
  const components = docs.map(({ file, data }) => {
    const r = ComponentCatalogSchema.safeParse(data);
    if (!r.success) {
      fail('validation', `The catalog file ${file} is invalid: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
        remedy: 'Fix the file or load a catalog that passes validation; nothing from it was used.',
      });
    }
    return r.data;
  });
  const ids = components.map((c) => c.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) fail('validation', `The catalog declares the component ${dup} twice.`);
  const catalog: Catalog = {
    components,
    component(id) {
      const c = components.find((x) => x.id === id);
      if (!c) fail('not_found', `Unknown component "${id}".`, { remedy: `Components are: ${ids.join(', ')}.` });
      return c;
    },
    versions(id) {
      return [...catalog.component(id).versions].sort((a, b) => compareVersions(b.version, a.version));
    },
    latest(id) {
      return catalog.versions(id)[0]!;
    },
    find(id, version) {
      return catalog.component(id).versions.find((v) => compareVersions(v.version, version) === 0);
    },
    newestFor(id, osId) {
      return catalog.versions(id).find((v) => v.osIds.includes(osId));
    },
    standing(id, version) {
      const name = catalog.component(id).name;
      const listed = catalog.find(id, version);
      if (listed) return { standing: 'listed', rulesOf: listed, warning: null };
      const all = catalog.versions(id);
      const newest = all[0]!;
      if (compareVersions(version, newest.version) > 0) {
        return {
          standing: 'newer-than-catalog',
          rulesOf: newest,
          warning: `${name} ${version} is not in the catalog: rules of the newest known version (${newest.version}) apply`,
        };
      }
      const below = all.find((v) => compareVersions(v.version, version) < 0);
      if (!below)
        return {
          standing: 'older-than-catalog',
          rulesOf: null,
          warning: `${name} ${version} is older than every version the catalog knows (oldest: ${all.at(-1)!.version})`,
        };
      return {
        standing: 'unlisted',
        rulesOf: below,
        warning: `${name} ${version} is not in the catalog: rules of the nearest older known version (${below.version}) apply`,
      };
    },
    commandLines(id, version, platform, registration = 'cs') {
      const c = catalog.component(id);
      // A version the catalog does not list uses the generation of the version whose rules apply.
      const v = catalog.standing(id, version).rulesOf ?? catalog.latest(id);
      const genId = registration === 'appliance' ? v.applianceGeneration : v.generation;
      if (!genId) {
        fail('unsupported', `${c.name} ${version} has no command lines for the modernized replication appliance in the catalog.`, {
          remedy: 'Use a version the catalog marks for the appliance (9.60 and later), or register with a classic configuration server (--cs).',
          details: { reason: 'no_appliance_generation' },
        });
      }
      const lines = c.generations[genId]![platform];
      if (!lines) fail('unsupported', `${c.name} ${version} has no ${platform} command lines in the catalog.`);
      return lines;
    },
    supportsRegistration(id, version, registration) {
      const v = catalog.standing(id, version).rulesOf ?? catalog.latest(id);
      return registration === 'cs' ? true : !!v.applianceGeneration;
    },
  };
  return catalog;
}

/** How the catalog treats a version (an installer's file name may carry one the catalog does not list). */
export type VersionStanding =
  | { standing: 'listed'; rulesOf: CatalogVersion; warning: null }
  | { standing: 'newer-than-catalog' | 'unlisted'; rulesOf: CatalogVersion; warning: string }
  | { standing: 'older-than-catalog'; rulesOf: null; warning: string };

let bundled: Catalog | undefined;
let override: Catalog | undefined;

/** A catalog loaded by the user (catalog update) replaces the bundled one for this process. */
export function useCatalog(c: Catalog | undefined): void {
  override = c;
}

/** The catalog in use: a user-loaded one, else the one shipped in resources/catalog. */
export function loadCatalog(dir = resourcePath('catalog')): Catalog {
  if (dir === resourcePath('catalog') && override) return override;
  if (dir === resourcePath('catalog') && bundled) return bundled;
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        fail('validation', `The catalog file ${file} is not JSON: ${(e as Error).message}`);
      }
      return { file, data };
    });
  const c = parseCatalog(docs);
  if (dir === resourcePath('catalog')) bundled = c;
  return c;
}

/**
 * N-4 support rule (service-updates-how-to.md): with every new version N, versions below N-4 are
 * out of support. A release is counted by its update rollup (UR74 → N-4 is UR70); Mobility
 * service 9.x releases step the minor number once per rollup (9.62 → 9.58), which covers
 * versions the catalog does not list.
 */
export function supportStatus(
  catalog: Catalog,
  id: ComponentId,
  installed: string | null,
  latestVersion?: string,
): 'current' | 'supported' | 'out-of-support' | 'unknown' {
  if (!installed || !isVersion(installed)) return 'unknown';
  const latest = latestVersion ?? catalog.latest(id).version;
  if (compareVersions(installed, latest) >= 0) return 'current';
  const [iMajor, iMinor] = parseVersion(installed)!;
  const [lMajor, lMinor] = parseVersion(latest)!;
  if (id === 'mobility-service') {
    if (iMajor !== lMajor) return 'out-of-support';
    return lMinor! - iMinor! <= 4 ? 'supported' : 'out-of-support';
  }
  const rollupOf = (v: string): number | null => {
    const known = catalog.versions(id).find((c) => compareVersions(c.version, v) <= 0);
    const m = known?.rollup ? /^UR(\d+)$/.exec(known.rollup) : null;
    return m ? Number(m[1]) : null;
  };
  const ri = rollupOf(installed);
  const rl = rollupOf(latest);
  if (ri === null || rl === null) return 'unknown';
  return rl - ri <= 4 ? 'supported' : 'out-of-support';
}
