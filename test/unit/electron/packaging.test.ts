/**
 * Packs the app offline with electron-builder (`--dir`, a stub Electron from test-lab.md) and
 * reads what went into app.asar: the built main/preload/renderer, no sources, tests or .env,
 * resources beside it (every script, matrix and catalog file the code names), the update feed, and
 * the fuses flipped in the executable.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { namedResources } from '../../helpers/resource-names.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const builderCli = join(ROOT, 'node_modules/electron-builder/cli.js');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** A fake `electron` executable carrying the fuse sentinel, so electron-builder can flip (and we can read) the fuses. */
function stubElectron(): string {
  const dir = mkdtempSync(join(tmpdir(), 'asr-electron-stub-'));
  // Fuse wire v1, 8 fuses, all '1' (enabled) as an unfused binary has them, except cookie encryption.
  const body = Buffer.concat([Buffer.from(`#!/bin/sh\necho stub electron\nexit 0\n# ${SENTINEL}`), Buffer.from([1, 8]), Buffer.from('10111111')]);
  writeFileSync(join(dir, 'electron'), body);
  chmodSync(join(dir, 'electron'), 0o755);
  writeFileSync(join(dir, 'version'), 'v45.4.1');
  return dir;
}

/** The renderer when it was never built; the main process always (esbuild takes a second, and a stale bundle would test old code). */
async function ensureBuilt(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/renderer/index.html'))) {
    await run(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'], {
      cwd: ROOT,
    });
  }
  await run(process.execPath, [join(ROOT, 'scripts/build-main.ts')], { cwd: ROOT });
}

describe('packaging (electron-builder --dir, offline)', () => {
  it('packs app.asar with only the built app, ships resources, and flips the fuses', async (ctx) => {
    if (!existsSync(builderCli)) return ctx.skip('electron-builder is not installed');
    await ensureBuilt();
    const out = mkdtempSync(join(tmpdir(), 'asr-pack-'));
    mkdirSync(out, { recursive: true });
    const t0 = Date.now();
    try {
      await run(process.execPath, [builderCli, '--dir', '--linux', '--x64', `-c.electronDist=${stubElectron()}`, `-c.directories.output=${out}`], {
        cwd: ROOT,
        env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
        timeout: 120_000,
        maxBuffer: 16 << 20,
      });
    } catch (e) {
      const msg = String((e as { stderr?: string }).stderr ?? e);
      if (/ENOTFOUND|getaddrinfo|download/i.test(msg))
        return ctx.skip(`electron-builder could not pack offline: ${msg.split('\n').find((l) => /ENOTFOUND|download/i.test(l))}`);
      throw e;
    }
    console.log(`[packaging] electron-builder --dir took ${Date.now() - t0} ms`);
    const unpacked = join(out, 'linux-unpacked');
    const asarPath = join(unpacked, 'resources/app.asar');
    expect(existsSync(asarPath)).toBe(true);

    const { listPackage, extractFile } = await import('@electron/asar');
    const files = listPackage(asarPath, { isPack: false }).map((f) => f.replace(/\\/g, '/'));
    for (const f of ['/package.json', '/dist/electron/main.js', '/dist/electron/preload.cjs', '/dist/renderer/index.html']) expect(files, f).toContain(f);
    expect(files.some((f) => /^\/dist\/renderer\/assets\/.+\.js$/.test(f))).toBe(true);
    const own = files.filter((f) => !f.startsWith('/node_modules/'));
    expect(own.filter((f) => /^\/(src-main|src-renderer|test|scripts|bench|docs)(\/|$)/.test(f))).toEqual([]);
    expect(files.filter((f) => /\/\.env(\.|$)/.test(f))).toEqual([]);
    expect(own.filter((f) => /\.(ts|map)$/.test(f))).toEqual([]);
    expect(own).not.toContain('/dist/cli/main.js');
    const pkg = JSON.parse(extractFile(asarPath, 'package.json').toString()) as { main: string; devDependencies?: unknown };
    expect(pkg.main).toBe('dist/electron/main.js');
    // The CSP travels with the renderer.
    expect(extractFile(asarPath, 'dist/renderer/index.html').toString()).toMatch(/Content-Security-Policy/);

    // Data the app reads at run time sits next to app.asar; icons are build input only.
    const res = join(unpacked, 'resources/resources');
    expect(existsSync(join(res, 'matrix'))).toBe(true);
    expect(existsSync(join(res, 'icons'))).toBe(false);
    // Every remote script, matrix and catalog file the code names, where resourcePath() looks in a packaged app.
    const named = namedResources();
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((f) => !existsSync(join(res, f)))).toEqual([]);
    // ...and the bundled main process finds none of them relative to itself (that would point inside app.asar).
    const main = extractFile(asarPath, 'dist/electron/main.js').toString();
    expect(main.match(/new URL\(\s*["'`][^"'`]*resources\/[^)]*import\.meta\.url/g) ?? []).toEqual([]);
    // electron-updater's feed.
    expect(readFileSync(join(unpacked, 'resources/app-update.yml'), 'utf8')).toMatch(/provider: generic[\s\S]*url: https:\/\//);

    // Fuses, as electron-builder's electronFuses flipped them in the executable.
    const { getCurrentFuseWire, FuseV1Options } = await import('@electron/fuses');
    const FuseState = { DISABLE: '0'.charCodeAt(0), ENABLE: '1'.charCodeAt(0) };
    const wire = (await getCurrentFuseWire(join(unpacked, 'asr-deploy'))) as unknown as Record<number, number>;
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE);
  }, 180_000);

  it('declares the Windows and Linux targets admins deploy with', () => {
    const yml = readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8');
    expect(yml).toMatch(/^appId: com\.asrdeploy\.app$/m);
    expect(yml).toMatch(/^productName: ASR Deploy$/m);
    for (const t of ['nsis', 'msi', 'AppImage', 'deb']) expect(yml).toMatch(new RegExp(`target: ${t}\\b`));
    expect(yml).toMatch(/nsis:\n(?: {2}.*\n)*? {2}perMachine: true/);
    expect(yml).toMatch(/nsis:\n(?: {2}.*\n)*? {2}oneClick: false/);
    expect(yml).toMatch(/nsis:\n(?: {2}.*\n)*? {2}allowElevation: true/);
    expect(yml).toMatch(/publisherName: \S/);
    expect(yml).toMatch(/^asar: true$/m);
  });
});
