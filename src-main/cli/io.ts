import type { AsrError } from '../model/errors.ts';
import { exitCodeFor } from '../model/errors.ts';

export interface GlobalOptions {
  home?: string;
  json?: boolean;
  verbose?: boolean;
  quiet?: boolean;
  color?: boolean;
}

/** Human output is free-form; `--json` prints exactly one JSON document on stdout (cli.md). */
export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream;
  constructor(opts: GlobalOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr) {
    this.out = out;
    this.err = err;
    this.json = !!opts.json;
    this.verbose = !!opts.verbose;
    this.quiet = !!opts.quiet;
    this.color = opts.color !== false && !process.env.NO_COLOR && (process.stderr as { isTTY?: boolean }).isTTY === true;
  }
  /** The command's result: JSON in --json mode, else the human rendering. */
  result(value: unknown, human: () => string): void {
    if (this.json) this.out.write(JSON.stringify(value, null, 2) + '\n');
    else if (!this.quiet) {
      const text = human();
      if (text) this.out.write(text.endsWith('\n') ? text : text + '\n');
    }
  }
  /** Progress and logs: stderr, so stdout stays one document. */
  info(line: string): void {
    if (!this.quiet) this.err.write(line + '\n');
  }
  debug(line: string): void {
    if (this.verbose) this.err.write(line + '\n');
  }
  /** An error: human text on stderr; in --json mode also `{error}` on stdout. Returns the exit code. */
  error(e: AsrError): number {
    const red = (s: string) => (this.color ? `\x1b[31m${s}\x1b[0m` : s);
    const where = e.host ? ` [${e.host}]` : '';
    this.err.write(`${red('error')}${where} (${e.code}): ${e.message}\n`);
    if (e.remedy) this.err.write(`  remedy: ${e.remedy}\n`);
    if (this.json) this.out.write(JSON.stringify({ error: e }, null, 2) + '\n');
    return exitCodeFor(e.code);
  }
}

/** A plain aligned table for human output. */
export function table(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (!rows.length) return '(none)';
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** Reads all of stdin (secrets arrive here, never in argv). */
export async function readStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if ((stdin as { isTTY?: boolean }).isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks).toString('utf8');
}

/** Secrets on stdin: one per line, in the order the options name them. A trailing CR/LF is not part of a secret. */
export function splitSecretLines(text: string, count: number): string[] {
  const lines = text.split(/\r?\n/);
  return Array.from({ length: count }, (_, i) => lines[i] ?? '');
}
