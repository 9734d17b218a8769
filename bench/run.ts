// `npm run bench -- push|discover|windows-copy|scale|all`: the project's benchmarks, each side by side with its peer in one run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const which = process.argv[2] ?? 'all';
const known: Record<string, string> = { push: 'push.ts', discover: 'discover.ts', 'windows-copy': 'windows-copy.ts', scale: 'scale.ts' };
// `all` leaves out scale (100 hosts, ~15 min): run it by name.
const chosen = which === 'all' ? Object.keys(known).filter((k) => k !== 'scale') : [which];
for (const name of chosen) {
  const file = known[name];
  if (!file) {
    process.stderr.write(`unknown benchmark "${name}"; choose: ${Object.keys(known).join(', ')}, all\n`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [join(import.meta.dirname, file), ...process.argv.slice(3)], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
