import { readdirSync, readFileSync } from 'node:fs';

/** Every process's command line on this machine (lab hosts share the kernel, so theirs too). */
export function allCmdlines(): string[] {
  const out: string[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      out.push(readFileSync(`/proc/${p}/cmdline`).toString('utf8').replaceAll('\0', ' '));
    } catch {
      /* gone */
    }
  }
  return out;
}
