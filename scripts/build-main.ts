/**
 * Bundles the main-process code with esbuild: the Electron main (ESM) and preload (CommonJS:
 * a sandboxed preload cannot load ES modules) into dist/electron/, and the CLI into
 * dist/cli/main.js. Run after the renderer build (`npm run build`).
 */
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const t0 = performance.now();

const builtins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
/** Packages with native or optional parts that must load from node_modules at run time (ssh2's crypto binding, cpu-features). */
const nativeOrOptional = ['ssh2', 'cpu-features', 'electron-updater'];

// ESM bundles that contain CommonJS dependencies need a `require` of their own.
const requireShim = "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  external: ['electron', ...builtins, ...nativeOrOptional],
};

await Promise.all([
  build({ ...common, entryPoints: ['src-main/electron/main.ts'], outfile: 'dist/electron/main.js', format: 'esm', banner: { js: requireShim } }),
  // The sandboxed preload gets only `electron` (contextBridge/ipcRenderer): nothing else is external.
  build({
    ...common,
    entryPoints: ['src-main/electron/preload.ts'],
    outfile: 'dist/electron/preload.cjs',
    format: 'cjs',
    external: ['electron'],
    platform: 'node',
  }),
  build({ ...common, entryPoints: ['src-main/cli/main.ts'], outfile: 'dist/cli/main.js', format: 'esm', banner: { js: requireShim } }),
]);

console.log(`main, preload and CLI bundled into dist/ in ${Math.round(performance.now() - t0)} ms`);
