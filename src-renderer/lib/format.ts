export function bytes(n: number | undefined | null): string {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i && v < 10 ? 1 : 0)} ${units[i]}`;
}

export function duration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null) return '';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Log output as lines, whatever shape the service gives (text, lines, or entries). */
export function logLines(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\r?\n/);
  if (Array.isArray(value))
    return value.map((l) =>
      typeof l === 'string' ? l : [l.at ?? l.time ?? '', l.host ?? '', l.level ?? '', l.message ?? JSON.stringify(l)].filter(Boolean).join('  '),
    );
  if (value && typeof value === 'object' && 'lines' in value) return logLines((value as { lines: unknown }).lines);
  if (value && typeof value === 'object' && 'text' in value) return logLines((value as { text: unknown }).text);
  return [JSON.stringify(value, null, 2)];
}

/** An argv as one line to read (not to run): arguments with blanks or quotes are double-quoted. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (a === '' || /[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a)).join(' ');
}
