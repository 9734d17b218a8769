import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useCatalog } from '../../../src-main/components/catalog.ts';
import { resourcePath } from '../../../src-main/model/resources.ts';
import { runCli, tempHome } from '../../helpers/cli.ts';

const bundled = () =>
  readdirSync(resourcePath('catalog'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(resourcePath('catalog', f), 'utf8')) as { id: string; versions: { version: string }[] });
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('catalog update', () => {
  afterEach(() => useCatalog(undefined));

  function bundle(mutate: (c: ReturnType<typeof bundled>) => void = () => {}) {
    const components = bundled();
    mutate(components);
    return JSON.stringify({ format: 'asr-deploy-catalog/1', components });
  }

  it('loads a hash-pinned bundle into the data directory; later runs use it', async () => {
    const home = tempHome();
    const text = bundle((cs) => {
      const m = cs.find((c) => c.id === 'mobility-service')!;
      m.versions.push({ ...m.versions.at(-1)!, version: '9.67.0.0' });
    });
    const f = join(home, 'bundle.json');
    writeFileSync(f, text);
    const r = await runCli(['--json', 'catalog', 'update', f, '--sha256', sha(text).toUpperCase()], { home });
    expect(r.code, r.stderr).toBe(0);
    const list = (await runCli(['--json', 'components', 'list'], { home })).json() as { id: string; versions: string[] }[];
    expect(list.find((c) => c.id === 'mobility-service')!.versions[0]).toBe('9.67.0.0');
    expect(((await runCli(['--json', 'catalog', 'show'], { home })).json() as { sha256: string }).sha256).toBe(sha(text));
  });

  it('refuses a bundle whose hash differs from the pin, an invalid bundle (whole), and plain http; nothing changes', async () => {
    const home = tempHome();
    const good = bundle();
    const f = join(home, 'b.json');
    writeFileSync(f, good);
    const wrong = await runCli(['catalog', 'update', f, '--sha256', '0'.repeat(64)], { home });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/hash_mismatch.*nothing was changed/);
    const invalid = bundle((cs) => {
      (cs[0]!.versions[0] as { generation?: string }).generation = 'no-such';
    });
    writeFileSync(f, invalid);
    const inv = await runCli(['catalog', 'update', f, '--sha256', sha(invalid)], { home });
    expect(inv.code).toBe(2);
    expect(inv.stderr).toMatch(/unknown generation/);
    expect((await runCli(['catalog', 'update', 'http://127.0.0.1:9/c.json', '--sha256', sha(good)], { home })).code).toBe(2);
    expect(((await runCli(['--json', 'catalog', 'show'], { home })).json() as { source: string }).source).toMatch(/bundled/);
  });
});
