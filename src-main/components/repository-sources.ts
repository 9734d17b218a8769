import type { InstallerPinRepository } from '../store/installer-hashes.ts';
import type { TrustRepository } from '../store/trust.ts';
import type { Catalog } from './catalog.ts';
import { connectRepository, isRepositoryUrl, listRepository, parseRepositoryUrl, type RepositoryRef } from './repository-client.ts';
import { expectedInstallerHash, identifyInstaller, type InstallerFile } from './sources.ts';

export { isRepositoryUrl };

export interface RepositorySource {
  ref: RepositoryRef;
  files: InstallerFile[];
  warnings: string[];
}

/**
 * `--source https://…/` (or http://): the installers a repository holds, read from the workstation
 * through its index or listing (a few KB; no installer byte crosses the workstation). Each file's
 * `sha256` is the one the workstation trusts, the catalog's or an admin's `sources trust` pin, never
 * the repository's claim: an untrusted file is `unknown` (blocked at plan time), and a file whose
 * index claims another hash than the trusted one is `mismatch`. The certificate pin is the trust
 * store's for HOST:PORT (`trust approve HOST:PORT --fingerprint FP`).
 */
export async function scanRepository(
  catalog: Catalog,
  source: string,
  stores: { trust: TrustRepository; pins: InstallerPinRepository },
  signal?: AbortSignal,
): Promise<RepositorySource> {
  const p = parseRepositoryUrl(source);
  const pin = p.scheme === 'https' ? (stores.trust.get(p.host, p.port, 'tls')?.fingerprint ?? null) : null;
  const { ref, warnings } = await connectRepository(source, { pin, ...(signal ? { signal } : {}) });
  const listing = await listRepository(ref, (name) => identifyInstaller(catalog, name) !== null, signal ? { signal } : {});
  const files: InstallerFile[] = [];
  for (const f of listing.files) {
    const id = identifyInstaller(catalog, f.name)!;
    const expected = expectedInstallerHash(catalog, stores.pins, id, f.url);
    const claimed = f.claimedSha256;
    const base = { ...id, path: f.url, url: f.url, size: f.size ?? 0 };
    if (expected.sha256 === null) files.push({ ...base, sha256: claimed ?? '', hashStatus: 'unknown', trusted: false });
    else if (claimed && claimed !== expected.sha256)
      files.push({
        ...base,
        sha256: claimed,
        hashStatus: 'mismatch',
        trusted: false,
        expectedSha256: expected.sha256,
        ...(expected.basis === 'pin' ? { pinnedBy: expected.pinnedBy, pinnedAt: expected.pinnedAt } : {}),
      });
    else
      files.push({
        ...base,
        sha256: expected.sha256,
        hashStatus: expected.basis === 'pin' ? 'pinned' : 'verified',
        trusted: true,
        expectedSha256: expected.sha256,
        ...(expected.basis === 'pin' ? { pinnedBy: expected.pinnedBy, pinnedAt: expected.pinnedAt } : {}),
      });
  }
  return { ref, files, warnings: [...warnings, ...listing.warnings] };
}
