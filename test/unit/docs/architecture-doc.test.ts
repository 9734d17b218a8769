import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/ARCHITECTURE.md stays true to the tree: every file or folder it names exists, its layer
 * picture names every folder of src-main/ and resources/, and no link leaves the repository.
 */

const root = resolve(import.meta.dirname, '../../..');
const doc = readFileSync(join(root, 'docs/ARCHITECTURE.md'), 'utf8');
const fence = /^```[^\n]*\n([\s\S]*?)^```/m;
const picture = fence.exec(doc)?.[1] ?? '';
const prose = doc.replace(new RegExp(fence.source, 'gm'), '');

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}
const dirsUnder = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);

/** Code spans of the prose, split into words: `a/b.ts`, `resources/matrix/`, `tcp-probe.sh`. */
const words = [...prose.matchAll(/`([^`]+)`/g)].flatMap((m) => m[1]!.split(/[\s,()]+/)).map((w) => w.replace(/[.:;]+$/, ''));
const EXT = /\.(ts|js|mjs|svelte|sh|ps1|json|yml|md)$/;
/** Placeholders (`<component>.json`, `proxy-apply-*.ps1`, `html|json`) and remote or external names are not paths of ours. */
const placeholder = (w: string) => /[<>*|…%\\]/.test(w) || /^(https?:|\/)/.test(w);
const isPath = (w: string) =>
  !placeholder(w) &&
  !w.startsWith('.') &&
  (EXT.test(w) || /^[\w.-]+(\/[\w.-]+)*\/$/.test(w) || /^(src-main|src-renderer|resources|test|scripts|bench|bin|docs)\//.test(w));
const SEARCHED = ['src-main', 'src-renderer', 'resources', 'test', 'scripts', 'bench', 'bin'];
const everyFile = SEARCHED.flatMap(filesUnder);

/** A path as the doc writes it: from the root, from src-main/ (the doc's default), or a file name found in the tree. */
function exists(w: string): boolean {
  const p = w.replace(/\/$/, '');
  if (existsSync(join(root, p)) || existsSync(join(root, 'src-main', p))) return true;
  if (w.endsWith('/')) return everyFile.some((f) => `/${f}`.includes(`/${p}/`));
  if (p.includes('/')) return everyFile.some((f) => f.endsWith(`/${p}`));
  return everyFile.some((f) => basename(f) === p);
}

describe('docs/ARCHITECTURE.md', () => {
  it('names only files and folders that exist', () => {
    // Backticks pair up, so every code span is read as one (an odd one would shift all that follow).
    expect((prose.match(/`/g) ?? []).length % 2).toBe(0);
    const named = [...new Set(words.filter(isPath))];
    // A Microsoft document cited by name, and what the code writes (the Ansible export, a repository's index, the data directory, the build).
    const notOurs = new Set(['service-updates-how-to.md', 'inventory.yml', 'playbook.yml', 'index.json', 'logs/', 'dist/']);
    expect(named.length).toBeGreaterThan(100);
    expect(
      named.filter((w) => !notOurs.has(w) && !exists(w)),
      'docs/ARCHITECTURE.md names these, but the tree has no such file or folder: say what the code is now',
    ).toEqual([]);
  });

  it('its layer picture names every folder of src-main/ and of resources/', () => {
    expect(picture).not.toBe('');
    const top = dirsUnder('src-main').filter((d) => !new RegExp(`\\b${d}/`).test(picture));
    expect(top, 'folders of src-main/ missing from the layer picture').toEqual([]);
    const discovery = dirsUnder('src-main/discovery').filter((d) => !new RegExp(`\\b${d}\\b`).test(picture));
    expect(discovery).toEqual([]);
    const remote = dirsUnder('src-main/remote').filter((d) => !new RegExp(`\\b${d}/`).test(picture));
    expect(remote).toEqual([]);
    const resources = dirsUnder('resources').filter((d) => !new RegExp(`\\b${d}\\b`).test(picture));
    expect(resources).toEqual([]);
    // Every deeper folder is named somewhere in the page.
    const deeper = dirsUnder('src-main').flatMap((d) => dirsUnder(`src-main/${d}`).map((s) => `${d}/${s}`));
    expect(
      deeper.filter((d) => !doc.includes(`${d}/`)),
      'folders of src-main/ the page never names: say where they sit',
    ).toEqual([]);
  });

  it('names the feature folders the lint rule knows, and the rule the page describes is the one in eslint.config.js', () => {
    const config = readFileSync(join(root, 'eslint.config.js'), 'utf8');
    const features = [...(/const FEATURES = \[([^\]]+)\]/.exec(config)?.[1] ?? '').matchAll(/'([\w-]+)'/g)].map((m) => m[1]!);
    expect(features.length).toBeGreaterThan(3);
    expect(features.filter((f) => !picture.includes(`${f}/`))).toEqual([]);
    for (const rule of ['boundaries/dependencies', 'boundaries/no-unknown-files']) {
      expect(config).toContain(rule);
      expect(doc).toContain(rule.startsWith('boundaries/no') ? rule : 'eslint-plugin-boundaries');
    }
  });

  it('links nothing outside the repository', () => {
    const links = [...doc.matchAll(/\]\(([^)\s]+)\)|<(https?:[^>\s]+)>/g)].map((m) => m[1] ?? m[2]!);
    const outside = links.filter((l) => {
      if (/^[a-z][a-z0-9+.-]*:/i.test(l)) return true;
      const target = resolve(root, 'docs', l.split('#')[0]!);
      return relative(root, target).startsWith('..') || !existsSync(target);
    });
    expect(outside).toEqual([]);
    // No path that climbs out of the repository, linked or not (../shared/… is not shipped with it).
    expect(doc.match(/(^|[\s`(])\.\.\/[\w.-]+/gm) ?? []).toEqual([]);
  });

  it('has the sections the code refers to (docs/ARCHITECTURE.md, "Section")', () => {
    const headings = [...doc.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!);
    const sources = [...['src-main', 'src-renderer'].flatMap(filesUnder), 'eslint.config.js', 'README.md'];
    const refs = sources.flatMap((f) =>
      [
        ...readFileSync(join(root, f), 'utf8')
          .replace(/\n\s*(\*|\/\/)\s*/g, ' ')
          .matchAll(/ARCHITECTURE\.md, "([^"]+)"/g),
      ].map((m) => `${f}: ${m[1]}`),
    );
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.filter((r) => !headings.some((h) => h.startsWith(r.slice(r.indexOf(': ') + 2))))).toEqual([]);
  });

  it('has no merge-history headings', () => {
    expect(doc.match(/^#+ .*\b(issue|item)s? \d+/gim) ?? []).toEqual([]);
  });
});
