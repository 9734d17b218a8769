import type { Catalog, ComponentId, Platform } from './catalog.ts';
import { chooseInstaller, type InstallerFile } from './sources.ts';
import { compareVersions } from './version.ts';

export type VersionSource = 'explicit' | 'source' | 'catalog';

/**
 * Which version a host gets: --version when given; else the newest version the installer source
 * holds a package of for the host's OS id (so a folder of 9.62 installers upgrades to 9.62, not to
 * the catalog's newest); else, with no source (check only), the catalog's newest for that OS id.
 */
export function defaultVersion(
  catalog: Catalog,
  sources: readonly InstallerFile[],
  want: { component: ComponentId; platform: Platform; osId: string | null; explicit?: string | undefined; sourceDir?: string | undefined },
): { version: string; versionSource: VersionSource } | { blocked: string } {
  if (want.explicit) return { version: want.explicit, versionSource: 'explicit' };
  const name = catalog.component(want.component).name;
  if (want.sourceDir) {
    if (!want.osId) return { blocked: 'no installer OS id matches this host’s OS in the support matrix' };
    const newest = chooseInstaller(sources, { component: want.component, platform: want.platform, osId: want.osId });
    if (!newest?.version) {
      const held = [...new Set(sources.filter((f) => f.component === want.component).map((f) => `${f.version} ${f.osId ?? f.platform}`))];
      return { blocked: `no ${name} installer for ${want.osId} in ${want.sourceDir}${held.length ? ` (it holds ${held.join(', ')})` : ''}` };
    }
    return { version: newest.version, versionSource: 'source' };
  }
  const newest = (want.osId ? catalog.newestFor(want.component, want.osId) : undefined) ?? catalog.latest(want.component);
  return { version: newest.version, versionSource: 'catalog' };
}

/**
 * What the admin should know about the chosen version, none of it blocking: a version the catalog
 * does not list (an installer newer than the catalog is accepted: "rules of the newest known
 * version apply"), and a newer version the catalog knows for this OS id than the source holds.
 */
export function versionWarnings(
  catalog: Catalog,
  want: { component: ComponentId; version: string; versionSource: VersionSource; osId: string | null; sourceDir?: string | undefined },
): { warnings: string[]; blocked?: string } {
  const standing = catalog.standing(want.component, want.version);
  if (standing.standing === 'older-than-catalog') return { warnings: [], blocked: standing.warning };
  const warnings = standing.warning ? [standing.warning] : [];
  const newer = want.osId ? catalog.newestFor(want.component, want.osId) : undefined;
  if (want.versionSource === 'source' && newer && compareVersions(newer.version, want.version) > 0) {
    const link = want.osId ? newer.downloads[want.osId] : undefined;
    warnings.push(
      `the catalog knows a newer ${catalog.component(want.component).name} for ${want.osId}: ${newer.version} (${link ?? 'no download link published'}); ${want.sourceDir} holds ${want.version}`,
    );
  }
  return { warnings };
}
