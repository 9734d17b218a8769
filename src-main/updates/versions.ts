import { loadCatalog, supportStatus, type Catalog, type ComponentId } from '../components/catalog.ts';
import { upgradePath, type UpgradeHop } from '../components/upgrade-path.ts';
import { isVersion, parseVersion } from '../components/version.ts';
import { lastRebootVersion } from '../deploy/plan.ts';
import { recipeFor } from '../components/recipes.ts';
import { hostSecrets, transportFor } from '../deploy/connect.ts';
import { toAsrError, type AsrError } from '../model/errors.ts';
import { forEachHost, valuesOrThrow } from '../model/for-each-host.ts';
import type { Host } from '../model/host.ts';
import { nowIso } from '../store/db.ts';
import type { Store } from '../store/store.ts';

export interface HostVersions {
  host: string;
  ok: boolean;
  collectedAt: string;
  components: {
    id: string;
    version: string | null;
    configured: boolean | null;
    service: string | null;
    support?: 'current' | 'supported' | 'out-of-support' | 'unknown';
    n4?: N4Status;
  }[];
  error?: AsrError;
}

/** Where a Mobility service stands under N-4 (service-updates-how-to.md) and how it gets to the newest version. */
export interface N4Status {
  /** The catalog's newest version, and how many 9.x versions the host is behind it. */
  latest: string;
  behind: number | null;
  /** A direct upgrade to `latest` is supported (at most four versions). */
  directUpgrade: boolean;
  /** The documented hops when it is not (each at most four versions), with the reboots due before them. */
  hops: UpgradeHop[];
  /** The agent version the reboot rule counts from. */
  lastReboot: { version: string; basis: 'installed' | 'journal' };
  /** A reboot is due before the next upgrade. */
  rebootDue: boolean;
}

export function n4Status(store: Store, catalog: Catalog, host: Host, installed: string): N4Status {
  const latest = catalog.latest('mobility-service').version;
  const [iMajor, iMinor] = parseVersion(installed) ?? [];
  const [lMajor, lMinor] = parseVersion(latest) ?? [];
  const behind = iMajor !== undefined && iMajor === lMajor ? Math.max(0, (lMinor ?? 0) - (iMinor ?? 0)) : null;
  const lastReboot = lastRebootVersion(store, host.id, 'mobility-service', host.facts?.bootedAt ?? null, installed);
  const path = upgradePath(
    catalog.versions('mobility-service').map((v) => v.version),
    installed,
    latest,
    lastReboot.version,
  );
  return { latest, behind, directUpgrade: path.direct, hops: path.direct ? [] : path.hops, lastReboot, rebootDue: path.hops[0]?.rebootBefore ?? false };
}

const COMPONENTS_BY_OS: Record<'linux' | 'windows', ComponentId[]> = { linux: ['mobility-service'], windows: ['mobility-service', 'provider', 'mars-agent'] };

/**
 * Live query of what is installed on each host, stored with a timestamp so the UI can show the
 * estate without reconnecting; each component judged against the N-4 support rule.
 */
export async function queryVersions(
  store: Store,
  hosts: Host[],
  opts: { concurrency?: number; signal?: AbortSignal; onHost?: (v: HostVersions) => void } = {},
): Promise<HostVersions[]> {
  const catalog = loadCatalog();
  // queryHost answers a host's failure as data; a throw is a bug and fails the query as before.
  return valuesOrThrow(
    await forEachHost(
      hosts,
      async (h) => {
        const out = await queryHost(store, catalog, h, opts.signal);
        store.componentVersions.put(h.id, out.collectedAt, out);
        opts.onHost?.(out);
        return out;
      },
      { concurrency: opts.concurrency ?? 16, hostOf: (h) => h.name },
    ),
  );
}

async function queryHost(store: Store, catalog: ReturnType<typeof loadCatalog>, h: Host, signal?: AbortSignal): Promise<HostVersions> {
  const collectedAt = nowIso();
  const recipes = (h.os ? COMPONENTS_BY_OS[h.os] : []).map((c) => recipeFor(c, h.os!)).filter((r) => !!r);
  if (!recipes.length)
    return {
      host: h.name,
      ok: false,
      collectedAt,
      components: [],
      error: { code: 'unsupported', message: `No version detection for ${h.os ?? 'an unknown OS'} in this build.`, retryable: false },
    };
  let t;
  try {
    t = transportFor(store, h, hostSecrets(store, h));
    await t.connect(signal ? { signal } : {});
    const components = [];
    for (const r of recipes) {
      const s = await r.detect(t, signal);
      components.push({
        id: r.component,
        version: s.installed ? s.version : null,
        configured: s.configured,
        service: s.service,
        support: s.installed ? supportStatus(catalog, r.component, s.version) : ('unknown' as const),
        ...(r.component === 'mobility-service' && s.installed && s.version && isVersion(s.version) ? { n4: n4Status(store, catalog, h, s.version) } : {}),
      });
    }
    return { host: h.name, ok: true, collectedAt, components };
  } catch (e) {
    return { host: h.name, ok: false, collectedAt, components: [], error: toAsrError(e, h.name) };
  } finally {
    await t?.close().catch(() => undefined);
  }
}

/** The last stored inventory (no connection). */
export function storedVersions(store: Store): HostVersions[] {
  return store.componentVersions.all() as HostVersions[];
}
