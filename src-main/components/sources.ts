import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fail } from '../model/errors.ts';
import type { InstallerHashRepository } from '../store/installer-hashes.ts';
import type { Catalog, ComponentId, Platform } from './catalog.ts';
import { sha256File } from '../remote/local-file.ts';

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
  /** verified: equals the catalog's hash; unknown: the catalog has none; mismatch: differs (refused). */
  hashStatus: 'verified' | 'unknown' | 'mismatch';
  expectedSha256?: string;
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

/** Lists the installers in a folder (not recursive: a source folder is flat, like pushinstallsvc\repository). */
export async function scanSources(catalog: Catalog, dir: string, hashes?: InstallerHashRepository): Promise<InstallerFile[]> {
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
    const known = id.version ? catalog.find(id.component, id.version) : undefined;
    const expected = known?.sha256[name] ?? (id.osId ? known?.sha256[id.osId] : undefined);
    out.push({ ...id, path, sha256, size: st.size, hashStatus: !expected ? 'unknown' : expected === sha256 ? 'verified' : 'mismatch', ...(expected ? { expectedSha256: expected } : {}) });
  }
  return out;
}

/** The installer to push for a component, version and OS id; a hash mismatch refuses to stage. */
export function chooseInstaller(files: readonly InstallerFile[], want: { component: ComponentId; platform: Platform; osId: string | null; version?: string }): InstallerFile | null {
  const candidates = files
    .filter((f) => f.component === want.component && f.platform === want.platform && (want.platform === 'windows' || f.osId === want.osId))
    .filter((f) => !want.version || f.version === want.version)
    .sort((a, b) => (b.version ?? '').localeCompare(a.version ?? '', undefined, { numeric: true }));
  return candidates[0] ?? null;
}
