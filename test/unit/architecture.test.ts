import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layer rule of docs/ARCHITECTURE.md as the tools see it: ESLint's boundary rule refuses an
 * uphill import, nothing in src-main imports itself in a circle, and the Svelte components (which
 * ESLint does not read) import only the renderer and the contract's types.
 */

const root = resolve(import.meta.dirname, '../..');

function filesUnder(dir: string, ending: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, ending));
    else if (ending.test(e.name)) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm;

function importsOf(file: string): { source: string; typeOnly: boolean; target: string }[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => ({ source: m[3]!, typeOnly: Boolean(m[2]), target: relative(root, resolve(root, dirname(file), m[3]!)) }));
}

describe('layers', () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (filePath: string, code: string) =>
    (await eslint.lintText(code, { filePath: join(root, filePath) }))[0]!.messages.map((m) => `${m.ruleId}: ${m.message}`);

  it.each([
    ['src-main/model/uphill.ts', "import type { Store } from '../store/store.ts';\nexport type S = Store;\n", 'model may not import store'],
    [
      'src-main/deploy/uphill.ts',
      "import { createService } from '../service/service.ts';\nexport const s = createService;\n",
      'feature may not import service',
    ],
    ['src-main/service/uphill.ts', "import { startServer } from '../server/server.ts';\nexport const s = startServer;\n", 'service may not import server'],
    ['src-main/electron/uphill.ts', "import { startServer } from '../server/server.ts';\nexport const s = startServer;\n", 'electron may not import server'],
    ['src-main/store/uphill.ts', "import { shQuote } from '../remote/quote-posix.ts';\nexport const q = shQuote;\n", 'store may not import remote'],
    ['src-main/remote/powershell/for-host.ts', "import type { Store } from '../../store/store.ts';\nexport type S = Store;\n", 'remote may not import store'],
    [
      'src-main/remote/uphill.ts',
      "import type { CredentialSecret } from '../store/credentials.ts';\nexport type C = CredentialSecret;\n",
      'remote may not import store',
    ],
    ['src-main/checks/uphill.ts', "import type { Transport } from '../remote/transport.ts';\nexport type T = Transport;\n", 'checks may not import remote'],
    [
      'src-renderer/lib/uphill.ts',
      "import { commands } from '../../src-main/service/contract.ts';\nexport const c = commands;\n",
      'renderer may not import service',
    ],
  ])('refuses an uphill import in %s', async (file, code, why) => {
    expect((await lint(file, code)).join('\n')).toContain(why);
  });

  it('lets a layer import the layers below it, and the renderer the contract as types', async () => {
    expect(
      await lint(
        'src-main/deploy/downhill.ts',
        "import type { Store } from '../store/store.ts';\nimport { fail } from '../model/errors.ts';\nexport type S = Store;\nexport const f = fail;\n",
      ),
    ).toEqual([]);
    expect(
      await lint('src-renderer/lib/downhill.ts', "import type { CommandName } from '../../src-main/service/contract.ts';\nexport type C = CommandName;\n"),
    ).toEqual([]);
  });

  it('no module of src-main imports itself through others', () => {
    const graph = new Map(
      filesUnder('src-main', /\.ts$/).map((f) => [
        f,
        importsOf(f)
          .filter((i) => i.source.startsWith('.'))
          .map((i) => i.target),
      ]),
    );
    const cycles: string[][] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      path.push(f);
      for (const t of graph.get(f) ?? []) {
        if (!graph.has(t)) continue;
        if (state.get(t) === 'open') cycles.push([...path.slice(path.indexOf(t)), t]);
        else if (!state.has(t)) visit(t);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('Svelte components import only the renderer, svelte, and types from the contract', () => {
    const outside = filesUnder('src-renderer', /\.svelte$/).flatMap((f) =>
      importsOf(f)
        .filter((i) => !(i.source === 'svelte' || i.source.startsWith('svelte/') || (i.source.startsWith('.') && i.target.startsWith('src-renderer/'))))
        .filter((i) => !(i.typeOnly && /^src-main\/service\/contract(\.ts|\/)/.test(i.target)))
        .map((i) => `${f}: ${i.source}`),
    );
    expect(outside).toEqual([]);
  });
});

/**
 * Tests mirror the source tree: test/unit/<folder>/<module>[.<aspect>].test.ts tests
 * src-main/<folder>/<module>.ts (test/unit/renderer/… tests src-renderer/…). Folders that test
 * the repository's own files mirror those: docs/, resources/; the two whole-tree checks are named.
 */
describe('tests mirror the source tree', () => {
  const WHOLE_TREE: Record<string, string> = {
    'test/unit/architecture.test.ts': 'eslint.config.js and every import of src-main/src-renderer',
    'test/unit/electron/packaging.test.ts': 'electron-builder.yml and the packaged app',
  };
  const REPO_FOLDERS = ['docs', 'resources'];

  it('every unit test names the module it tests', () => {
    const misplaced: string[] = [];
    for (const file of filesUnder('test/unit', /\.test\.ts$/)) {
      if (file in WHOLE_TREE) continue;
      const rel = relative('test/unit', file);
      const folder = dirname(rel);
      if (REPO_FOLDERS.some((f) => folder === f || folder.startsWith(`${f}/`))) continue;
      const mod = rel.split('/').at(-1)!.split('.')[0]!;
      const base = folder.startsWith('renderer') ? join('src-renderer', folder.slice('renderer'.length), mod) : join('src-main', folder, mod);
      const found = ['.ts', '.svelte', '.svelte.ts'].some((ext) => {
        try {
          readFileSync(join(root, base + ext));
          return true;
        } catch {
          return false;
        }
      });
      if (!found) misplaced.push(`${file}: no ${base}.ts (name it after the module it tests, <module>.<aspect>.test.ts for one aspect)`);
    }
    expect(misplaced).toEqual([]);
  });
});
