import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The resource files the code names: every remote script spelled out in src-main (a `.sh` is a
 * Linux script, a `.ps1` a Windows one, both under resources/scripts/), and every support matrix
 * and catalog file (read by listing their folders, so each file in them counts).
 */

export const ROOT = join(import.meta.dirname, '../..');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** `scripts/linux/x.sh`, `scripts/windows/y.ps1`, `matrix/z.json`, `catalog/c.json`, relative to resources/. */
export function namedResources(): string[] {
  const scripts = new Set<string>();
  for (const file of walk(join(ROOT, 'src-main')).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`]([A-Za-z0-9_.-]+\.(sh|ps1))['"`]/g))
      scripts.add(`scripts/${m[2] === 'sh' ? 'linux' : 'windows'}/${m[1]}`);
  }
  const data = ['matrix', 'catalog'].flatMap((d) => walk(join(ROOT, 'resources', d)).map((f) => relative(join(ROOT, 'resources'), f)));
  return [...[...scripts].sort(), ...data.sort()];
}

/** src-main modules that find resources/ relative to themselves (only model/resources.ts may). */
export function selfRelativeResourceLookups(): string[] {
  return walk(join(ROOT, 'src-main'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith(join('model', 'resources.ts')))
    .flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${relative(ROOT, f)}:${i + 1}`, line })),
    )
    .filter(({ line }) => /(import\.meta|__dirname|new URL\()/.test(line) && /\bresources\b/.test(line))
    .map(({ where }) => where);
}
