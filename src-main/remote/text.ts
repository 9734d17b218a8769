/** Small text helpers both transports use for their logs and error messages. */

export { stripUndefined } from '../model/objects.ts';

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

/** The last `n` lines of output, joined by `sep` (a newline for logs, ' / ' inside one-line messages). */
export function lastLines(s: string, n: number, sep = '\n'): string {
  return s.trimEnd().split('\n').slice(-n).join(sep);
}

/** Throughput for a log line. */
export function mbps(bytes: number, ms: number): string {
  return ms > 0 ? (bytes / 1024 / 1024 / (ms / 1000)).toFixed(1) : '∞';
}
