#!/usr/bin/env node
// Launcher: keeps the SQLite experimental warning off stderr (it is noise to an admin's script),
// then runs the CLI from source (Node 22 strips TypeScript types) or from the built dist/.
import { existsSync } from 'node:fs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(
    `asr-deploy needs Node.js 22.12 or newer; this is ${process.version}. Run it through npx/npm (which use the pinned node from node_modules) or install Node 22.\n`,
  );
  process.exit(2);
}
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'ExperimentalWarning') process.stderr.write(`${w.name}: ${w.message}\n`);
});

const source = new URL('../src-main/cli/main.ts', import.meta.url);
const built = new URL('../dist/cli/main.js', import.meta.url);
const { main } = await import(existsSync(source) ? source.href : built.href);
process.exitCode = await main(process.argv.slice(2));
