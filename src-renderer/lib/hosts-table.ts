/** Filtering, sorting and selection over the inventory: pure functions, fast enough for 5,000+ rows on every keystroke. */

export interface HostRow {
  id: string;
  name: string;
  address: string;
  os: string | null;
  transport: string | null;
  port: number | null;
  credential: string | null;
  tags: string[];
  source: string;
}

export type SortKey = 'name' | 'address' | 'os' | 'transport' | 'port' | 'credential' | 'tags' | 'source';
export interface SortSpec {
  key: SortKey;
  dir: 1 | -1;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Words all have to match (AND); `tag:x`, `os:x`, `source:x`, `cred:x` match one field; other words match anywhere. */
export function filterHosts(rows: readonly HostRow[], query: string): HostRow[] {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows.slice();
  const tests = words.map((w) => {
    const m = /^(tag|os|source|cred|transport):(.*)$/.exec(w);
    if (m) {
      const v = m[2]!;
      switch (m[1]) {
        case 'tag':
          return (h: HostRow) => h.tags.some((t) => t.toLowerCase() === v);
        case 'os':
          return (h: HostRow) => (h.os ?? '') === v;
        case 'source':
          return (h: HostRow) => h.source.toLowerCase() === v;
        case 'transport':
          return (h: HostRow) => (h.transport ?? '') === v;
        default:
          return (h: HostRow) => (h.credential ?? '').toLowerCase() === v;
      }
    }
    return (h: HostRow) => haystack(h).includes(w);
  });
  return rows.filter((h) => tests.every((t) => t(h)));
}

const hay = new WeakMap<HostRow, string>();
function haystack(h: HostRow): string {
  let s = hay.get(h);
  if (s === undefined) {
    s = [h.name, h.address, h.os, h.transport, h.port, h.credential, h.source, ...h.tags].join(' ').toLowerCase();
    hay.set(h, s);
  }
  return s;
}

export function sortHosts(rows: HostRow[], sort: SortSpec): HostRow[] {
  const { key, dir } = sort;
  const val = (h: HostRow): string => (key === 'tags' ? h.tags.join(',') : key === 'port' ? String(h.port ?? '').padStart(5, '0') : String(h[key] ?? ''));
  return rows.sort((a, b) => dir * collator.compare(val(a), val(b)) || collator.compare(a.name, b.name));
}

/** A `--hosts` selector for the service: the selected ids, or `all` when nothing is selected. */
export function selector(ids: readonly string[]): string {
  return ids.length ? ids.join(',') : 'all';
}

export function toCsv(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(';') : typeof v === 'object' ? JSON.stringify(v) : String(v);
    // Leading = + - @ would be formulas in a spreadsheet: quote them away.
    const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}

/** Saves text as a file through the browser (works in Electron too): no server path involved. */
export function download(fileName: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
