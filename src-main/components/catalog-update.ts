import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../model/errors.ts';
import { normalizeFingerprint } from '../remote/tls-scan.ts';
import { parseCatalog, useCatalog, type Catalog } from './catalog.ts';

export const BUNDLE_FORMAT = 'asr-deploy-catalog/1';
const catalogFile = (home: string) => join(home, 'catalog', 'catalog.json');

export interface CatalogInfo {
  source: string;
  sha256: string | null;
  loadedAt: string | null;
  components: { id: string; versions: number; latest: string }[];
}

/**
 * Loads a newer catalog bundle from a file or an HTTPS URL. It is trusted only when its SHA-256
 * equals the hash the user pinned (published next to the bundle, checked out of band), and it is
 * validated whole before it replaces anything.
 */
export async function updateCatalog(home: string, source: string, pinnedSha256: string): Promise<Catalog> {
  const pin = normalizeFingerprint(pinnedSha256);
  if (!pin) fail('usage', '--sha256 must be the 64-hex SHA-256 of the catalog bundle.');
  const bytes = await readSource(source);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== pin) {
    fail('hash_mismatch', `The catalog at ${source} has SHA-256 ${actual}, not the pinned ${pin}; nothing was changed.`, {
      remedy: 'Check the hash published with the catalog, and where the file came from.',
    });
  }
  let doc: { format?: unknown; components?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch (e) {
    return fail('validation', `The catalog at ${source} is not JSON: ${(e as Error).message}; nothing was changed.`);
  }
  if (doc.format !== BUNDLE_FORMAT || !Array.isArray(doc.components))
    fail('validation', `The catalog at ${source} is not an ${BUNDLE_FORMAT} bundle; nothing was changed.`);
  const catalog = parseCatalog((doc.components as unknown[]).map((data, i) => ({ file: `${source}#components[${i}]`, data })));
  const file = catalogFile(home);
  mkdirSync(join(home, 'catalog'), { recursive: true, mode: 0o700 });
  // Write then rename: a crash leaves the old catalog or the new one, never half of one.
  writeFileSync(`${file}.tmp`, JSON.stringify({ ...doc, source, sha256: actual, loadedAt: new Date().toISOString() }));
  renameSync(`${file}.tmp`, file);
  useCatalog(catalog);
  return catalog;
}

/** At start-up: a catalog loaded earlier into this data directory replaces the bundled one. */
export function useStoredCatalog(home: string): void {
  const file = catalogFile(home);
  if (!existsSync(file)) return;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { components: unknown[] };
  useCatalog(parseCatalog(doc.components.map((data, i) => ({ file: `${file}#components[${i}]`, data }))));
}

export function catalogInfo(home: string, catalog: Catalog): CatalogInfo {
  const file = catalogFile(home);
  const meta = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { source: string; sha256: string; loadedAt: string }) : null;
  return {
    source: meta?.source ?? 'bundled (resources/catalog)',
    sha256: meta?.sha256 ?? null,
    loadedAt: meta?.loadedAt ?? null,
    components: catalog.components.map((c) => ({ id: c.id, versions: c.versions.length, latest: catalog.latest(c.id).version })),
  };
}

async function readSource(source: string): Promise<Buffer> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
    const u = new URL(source);
    if (u.protocol !== 'https:') fail('usage', `A catalog is fetched over HTTPS only, not ${u.protocol}.`);
    let r: Response;
    try {
      r = await fetch(u, { signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      return fail(
        'unreachable',
        `Cannot fetch the catalog from ${source}: ${(e as Error).cause ? String((e as Error & { cause: unknown }).cause) : (e as Error).message}`,
        { remedy: 'Check the URL, the proxy and that its certificate is valid.' },
      );
    }
    if (!r.ok) fail('unreachable', `Fetching the catalog from ${source} answered HTTP ${r.status}.`);
    return Buffer.from(await r.arrayBuffer());
  }
  try {
    return readFileSync(source);
  } catch (e) {
    return fail('validation', `Cannot read the catalog file ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
