import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fail } from '../model/errors.ts';
import type { InstallerHashRepository, InstallerPin, InstallerPinRepository } from '../store/installer-hashes.ts';
import type { Catalog, ComponentId, Platform } from './catalog.ts';
import { sha256File } from '../remote/local-file.ts';

/**
 * How an installer's bytes are trusted before they run as root/SYSTEM:
 * verified: equal to the SHA-256 the catalog has from a document; pinned: equal to a hash the admin
 * pinned (`sources trust`); unknown: no document gives one and nobody pinned it (blocked at plan
 * time); mismatch: differs from the catalog's or the pinned hash (refused).
 */
export type HashStatus = 'verified' | 'pinned' | 'unknown' | 'mismatch';

/** One installer found in a source folder (cli.md `sources scan`, plus the hash verdict). */
export interface InstallerFile {
  file: string;
  path: string;
  component: ComponentId;
  platform: Platform;
  osId: string | null;
  version: string | null;
  sha256: string;
  size: number;
  /** A repository's file (pull staging): its URL; `path` is then the same URL. */
  url?: string;
  hashStatus: HashStatus;
  /** verified or pinned: the installer may be staged and run. */
  trusted?: boolean;
  /** The catalog's hash, or the pinned one, that the file was compared with. */
  expectedSha256?: string;
  /** pinned (or mismatch against a pin): who pinned it and when. */
  pinnedBy?: string | null;
  pinnedAt?: string;
}

/** What an installer is, from its file name (no bytes needed): enough to look its expected hash up. */
export interface InstallerIdentity {
  file: string;
  component: ComponentId;
  platform?: Platform;
  version: string | null;
  osId: string | null;
}

/**
 * The SHA-256 an installer must have before it runs: the catalog's (from a document), else the
 * admin's pin, else why there is none. Pull staging verifies the downloaded file against this on
 * the target; push staging against the workstation's copy.
 */
export type ExpectedInstallerHash =
  | { sha256: string; basis: 'catalog'; source: string }
  | { sha256: string; basis: 'pin'; pinnedBy: string | null; pinnedAt: string }
  | { sha256: null; reason: 'no_known_hash'; message: string; remedy: string };

const trustRemedy = (path: string) =>
  `Check the file against Microsoft's download (same file name from download.microsoft.com), then pin it: \`asr-deploy sources trust ${path}\` (records its SHA-256, who and when), and plan again.`;

/** Where the catalog's hashes for a version come from, or the document that publishes the package without one. */
function catalogHashSource(catalog: Catalog, id: InstallerIdentity): string | null {
  const v = id.version ? catalog.find(id.component, id.version) : undefined;
  return v?.sha256Source ?? null;
}

function catalogHash(catalog: Catalog, id: InstallerIdentity): string | undefined {
  const known = id.version ? catalog.find(id.component, id.version) : undefined;
  return known?.sha256[id.file] ?? (id.osId ? known?.sha256[id.osId] : undefined);
}

const sameIdentity = (p: InstallerPin, id: InstallerIdentity) =>
  p.component === id.component && (p.version ?? null) === (id.version ?? null) && (p.osId ?? null) === (id.osId ?? null);

/** The expected SHA-256 of an installer, by identity (file name, component, version, OS id). */
export function expectedInstallerHash(
  catalog: Catalog,
  pins: InstallerPinRepository | undefined,
  id: InstallerIdentity,
  path = id.file,
): ExpectedInstallerHash {
  const fromCatalog = catalogHash(catalog, id);
  if (fromCatalog) return { sha256: fromCatalog, basis: 'catalog', source: catalogHashSource(catalog, id) ?? 'the catalog' };
  const pin = pins?.byFile(id.file).find((p) => sameIdentity(p, id));
  if (pin) return { sha256: pin.sha256, basis: 'pin', pinnedBy: pin.pinnedBy, pinnedAt: pin.pinnedAt };
  const src = catalogHashSource(catalog, id);
  return {
    sha256: null,
    reason: 'no_known_hash',
    message: `No document gives the SHA-256 of ${id.file}${src ? ` (${src})` : ''}, and it is not pinned`,
    remedy: trustRemedy(path),
  };
}

/** The verdict on a file's actual bytes: catalog hash first, then a pin of these bytes, then a pin of this file name that no longer matches. */
export function judgeInstaller(
  catalog: Catalog,
  pins: InstallerPinRepository | undefined,
  id: InstallerIdentity,
  sha256: string,
): Pick<InstallerFile, 'hashStatus' | 'trusted' | 'expectedSha256' | 'pinnedBy' | 'pinnedAt'> {
  const fromCatalog = catalogHash(catalog, id);
  if (fromCatalog)
    return fromCatalog === sha256
      ? { hashStatus: 'verified', trusted: true, expectedSha256: fromCatalog }
      : { hashStatus: 'mismatch', trusted: false, expectedSha256: fromCatalog };
  const pin = pins?.byHash(sha256);
  if (pin && sameIdentity(pin, id)) return { hashStatus: 'pinned', trusted: true, expectedSha256: pin.sha256, pinnedBy: pin.pinnedBy, pinnedAt: pin.pinnedAt };
  const named = pins?.byFile(id.file).find((p) => sameIdentity(p, id));
  if (named) return { hashStatus: 'mismatch', trusted: false, expectedSha256: named.sha256, pinnedBy: named.pinnedBy, pinnedAt: named.pinnedAt };
  return { hashStatus: 'unknown', trusted: false };
}

/** Why a plan refuses this installer (blocked), or null when it may run. */
export function untrustedReason(catalog: Catalog, f: InstallerFile): { code: 'installer_untrusted' | 'hash_mismatch'; message: string; remedy: string } | null {
  if (f.hashStatus === 'verified' || f.hashStatus === 'pinned') return null;
  if (f.hashStatus === 'mismatch') {
    const against = f.pinnedAt ? `the SHA-256 pinned by ${f.pinnedBy ?? 'unknown'} at ${f.pinnedAt}` : 'the catalog';
    return {
      code: 'hash_mismatch',
      message: `hash_mismatch: ${f.file} has SHA-256 ${f.sha256}, ${against} is ${f.expectedSha256}; it will not be staged`,
      remedy: f.pinnedAt
        ? `The file changed since it was pinned: get the installer again from Microsoft; if the new file is the one you mean to install, pin it again: \`asr-deploy sources trust ${f.path}\`.`
        : 'The file is corrupt or not the published one: download it again.',
    };
  }
  const src = catalogHashSource(catalog, f);
  return {
    code: 'installer_untrusted',
    message: `installer_untrusted: no document gives the SHA-256 of ${f.file}${src ? ` (${src})` : ''}, and it is not pinned; it will not be staged (its SHA-256 is ${f.sha256})`,
    remedy: trustRemedy(f.path),
  };
}

/** Identifies a file by the catalog's documented file-name patterns. */
export function identifyInstaller(catalog: Catalog, file: string): Omit<InstallerFile, 'path' | 'sha256' | 'size' | 'hashStatus'> | null {
  for (const c of catalog.components) {
    for (const [platform, pattern] of Object.entries(c.installerPattern) as [Platform, string][]) {
      const m = new RegExp(pattern).exec(file);
      if (!m) continue;
      const g = m.groups ?? {};
      return { file, component: c.id, platform, osId: g.osId ?? (platform === 'windows' ? 'Windows' : null), version: g.version ?? null };
    }
  }
  return null;
}

/** SHA-256 of a file, streamed; cached by path+size+mtime so a 500 MB installer is hashed once. */
export async function installerSha256(path: string, hashes?: InstallerHashRepository): Promise<string> {
  const st = statSync(path);
  const cached = hashes?.get(path, st.size, st.mtimeMs);
  if (cached) return cached;
  const sha = await sha256File(path);
  hashes?.set(path, st.size, st.mtimeMs, sha);
  return sha;
}

/** SHA-256 of the bytes now on disk, with no cache (path/size/mtime can be kept by whoever swapped the file). */
export async function freshSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * At apply time, before anything reaches a host: the installer's bytes now must be the ones the plan
 * trusted (the catalog's hash or the admin's pin). `memo` hashes each file once per job.
 */
export async function verifyPlannedInstaller(installer: { path: string; file: string; sha256: string }, memo?: Map<string, Promise<string>>): Promise<void> {
  let p = memo?.get(installer.path);
  if (!p) {
    p = freshSha256(installer.path);
    memo?.set(installer.path, p);
  }
  let now: string;
  try {
    now = await p;
  } catch (e) {
    fail(
      'hash_mismatch',
      `${installer.file} cannot be read at ${installer.path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); nothing was run.`,
      { remedy: 'Put the installer back, or plan again with the source folder as it is now.', details: { file: installer.file, expected: installer.sha256 } },
    );
  }
  if (now !== installer.sha256) {
    fail(
      'hash_mismatch',
      `${installer.file} changed since it was planned and trusted: its SHA-256 is now ${now}, the plan trusted ${installer.sha256}; nothing was run.`,
      {
        remedy: `Get the installer again from Microsoft. If the new file is the one you mean to install, pin it (\`asr-deploy sources trust ${installer.path}\`) and plan again.`,
        details: { file: installer.file, actual: now, expected: installer.sha256 },
      },
    );
  }
}

/** Lists the installers in a folder (not recursive: a source folder is flat, like pushinstallsvc\repository). */
export async function scanSources(catalog: Catalog, dir: string, hashes?: InstallerHashRepository, pins?: InstallerPinRepository): Promise<InstallerFile[]> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch (e) {
    return fail('validation', `Cannot read the source folder ${root}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      remedy: 'Give a folder that holds the installers (for example a copy of the process server’s pushinstallsvc\\repository).',
    });
  }
  const out: InstallerFile[] = [];
  for (const name of names.sort()) {
    const id = identifyInstaller(catalog, name);
    if (!id) continue;
    const path = join(root, name);
    const st = statSync(path);
    if (!st.isFile()) continue;
    const sha256 = await installerSha256(path, hashes);
    out.push({ ...id, path, sha256, size: st.size, ...judgeInstaller(catalog, pins, id, sha256) });
  }
  return out;
}

/**
 * `sources trust FILE…`: pins each file's SHA-256 with what the scan says it is, who and when, all
 * in one transaction (a file that is not an installer, or whose catalog hash differs, pins none).
 */
export async function trustInstallers(
  catalog: Catalog,
  pins: InstallerPinRepository,
  paths: readonly string[],
  who: string | null,
  at: string,
): Promise<InstallerFile[]> {
  const files: InstallerFile[] = [];
  for (const p of paths) {
    const path = resolve(p);
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      fail('validation', `Cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. Nothing was pinned.`, {
        remedy: 'Give the path of an installer file.',
      });
    }
    if (!st.isFile()) fail('validation', `${path} is not a file. Nothing was pinned.`, { remedy: 'Give installer files (for a folder: DIR/*).' });
    const id = identifyInstaller(catalog, basename(path));
    if (!id)
      fail('validation', `${basename(path)} is not named like an installer the catalog knows (in ${dirname(path)}). Nothing was pinned.`, {
        remedy: 'Keep the file name Microsoft gives the download (for example Microsoft-ASR_UA_<version>_<OS>_GA_<date>_release.tar.gz).',
      });
    const sha256 = await freshSha256(path);
    const fromCatalog = catalogHash(catalog, id);
    if (fromCatalog && fromCatalog !== sha256)
      fail('hash_mismatch', `${id.file} has SHA-256 ${sha256}, but the catalog has ${fromCatalog} from a document; it was not pinned (nothing was).`, {
        remedy: 'The file is corrupt or not the published one: download it again.',
      });
    files.push({
      ...id,
      path,
      sha256,
      size: st.size,
      hashStatus: fromCatalog ? 'verified' : 'pinned',
      trusted: true,
      expectedSha256: sha256,
      ...(fromCatalog ? {} : { pinnedBy: who, pinnedAt: at }),
    });
  }
  const toPin = files.filter((f) => f.hashStatus === 'pinned');
  pins.add(
    toPin.map((f) => ({
      sha256: f.sha256,
      file: f.file,
      component: f.component,
      platform: f.platform,
      osId: f.osId,
      version: f.version,
      size: f.size,
      pinnedBy: who,
      pinnedAt: at,
    })),
  );
  return files;
}

/** The installer to push for a component, version and OS id; a hash mismatch refuses to stage. */
export function chooseInstaller(
  files: readonly InstallerFile[],
  want: { component: ComponentId; platform: Platform; osId: string | null; version?: string },
): InstallerFile | null {
  const candidates = files
    .filter((f) => f.component === want.component && f.platform === want.platform && (want.platform === 'windows' || f.osId === want.osId))
    .filter((f) => !want.version || f.version === want.version)
    .sort((a, b) => (b.version ?? '').localeCompare(a.version ?? '', undefined, { numeric: true }));
  return candidates[0] ?? null;
}
