import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { namedResources, ROOT, selfRelativeResourceLookups } from '../../helpers/resource-names.ts';

describe('resourcePath', () => {
  it('every script, matrix and catalog file the code names is in resources/', () => {
    const named = namedResources();
    expect(named.filter((f) => f.startsWith('scripts/linux/')).length).toBeGreaterThan(0);
    expect(named.filter((f) => f.startsWith('scripts/windows/')).length).toBeGreaterThan(0);
    expect(named.filter((f) => !existsSync(join(ROOT, 'resources', f)))).toEqual([]);
  });

  it('no module but model/resources.ts locates resources/ relative to itself', () => {
    expect(selfRelativeResourceLookups()).toEqual([]);
  });

  it("finds the packaged app's resources next to app.asar (process.resourcesPath), facts scripts included", () => {
    // A stand-in for <app>/resources: resources/ with a catalog folder, as electron-builder lays it out.
    const packaged = mkdtempSync(join(tmpdir(), 'asr-resources-'));
    mkdirSync(join(packaged, 'resources/catalog'), { recursive: true });
    writeFileSync(join(packaged, 'resources/catalog/.keep'), '');
    const code = `process.resourcesPath = ${JSON.stringify(packaged)};
      const { resourcePath } = await import('./src-main/model/resources.ts');
      const { LINUX_FACTS_SCRIPT, WINDOWS_FACTS_SCRIPT } = await import('./src-main/facts/index.ts');
      console.log(JSON.stringify([resourcePath('matrix'), LINUX_FACTS_SCRIPT, WINDOWS_FACTS_SCRIPT]));`;
    const env = { ...process.env };
    delete env.ASR_DEPLOY_RESOURCES;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, env, encoding: 'utf8' })) as string[];
    expect(out).toEqual([
      join(packaged, 'resources/matrix'),
      join(packaged, 'resources/scripts/linux/facts.sh'),
      join(packaged, 'resources/scripts/windows/facts.ps1'),
    ]);
  });
});
