import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The resources/ folder (scripts, matrices, catalog), found from the source tree, the built
 * dist/ tree, or Electron's process.resourcesPath when packaged.
 */
export function resourcePath(...parts: string[]): string {
  return join(resourcesRoot(), ...parts);
}

let root: string | undefined;
function resourcesRoot(): string {
  if (root) return root;
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    process.env.ASR_DEPLOY_RESOURCES,
    packaged ? join(packaged, 'resources') : undefined,
    join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'resources'),
    join(dirname(fileURLToPath(import.meta.url)), '..', 'resources'),
  ].filter((c): c is string => !!c);
  root = candidates.find((c) => existsSync(join(c, 'catalog'))) ?? candidates.at(-1)!;
  return root;
}
