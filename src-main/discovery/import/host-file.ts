import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { fail } from '../../model/errors.ts';
import { HostEntrySchema, type HostInput } from '../../model/host.ts';
import { validateAddress } from '../../store/hosts.ts';

/** Columns of a host file: the fields of `hosts add` (cli.md). */
export const HOST_FILE_COLUMNS = ['address', 'name', 'os', 'transport', 'port', 'credential', 'tags'] as const;

export interface ParsedRow {
  line: number;
  host: HostInput;
}
export interface RowError {
  line: number;
  message: string;
}

/**
 * Reads a CSV (header row) or JSON array of hosts and validates every row, so the caller can
 * refuse the whole file before touching the inventory. Line numbers are the file's own.
 */
export function parseHostFile(file: string, text = readFileSync(file, 'utf8')): { rows: ParsedRow[]; errors: RowError[] } {
  const body = text.replace(/^\uFEFF/, '');
  const isJson = extname(file).toLowerCase() === '.json' || /^\s*\[/.test(body);
  const raw = isJson ? readJsonRows(body) : readCsvRows(body);
  const rows: ParsedRow[] = [];
  const errors: RowError[] = [];
  const seenAddress = new Map<string, number>();
  const seenName = new Map<string, number>();
  for (const { line, record } of raw) {
    // A file says where hosts are, never how securely to reach them: no ids, evidence, WinRM auth or HTTP.
    const { source, ...fields } = normalise(record);
    if (source !== undefined) {
      errors.push({ line, message: '"source" cannot be set from a host file (imported hosts are source "import")' });
      continue;
    }
    const parsed = HostEntrySchema.safeParse({ ...fields, source: 'import' });
    if (!parsed.success) {
      errors.push({
        line,
        message: parsed.error.issues
          .map((i) =>
            i.code === 'unrecognized_keys'
              ? `${i.keys.map((k) => `"${k}"`).join(', ')} cannot be set from a host file (columns: ${HOST_FILE_COLUMNS.join(', ')}; WinRM authentication and HTTP are operator settings: \`asr-deploy hosts winrm\`)`
              : `${i.path.join('.') || 'row'}: ${i.message}`,
          )
          .join('; '),
      });
      continue;
    }
    try {
      validateAddress(parsed.data.address);
    } catch (e) {
      errors.push({ line, message: (e as Error).message });
      continue;
    }
    const prevA = seenAddress.get(parsed.data.address);
    if (prevA) {
      errors.push({ line, message: `address ${parsed.data.address} is already on line ${prevA}` });
      continue;
    }
    const name = parsed.data.name ?? parsed.data.address;
    const prevN = seenName.get(name);
    if (prevN) {
      errors.push({ line, message: `name ${name} is already on line ${prevN}` });
      continue;
    }
    seenAddress.set(parsed.data.address, line);
    seenName.set(name, line);
    rows.push({ line, host: parsed.data });
  }
  return { rows, errors };
}

const CSV_PROBLEM: Record<string, string> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a row has a different number of fields than the header',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'a row has a different number of fields than the header',
  CSV_INVALID_OPENING_QUOTE: 'a field has a quote in the wrong place',
  CSV_INVALID_CLOSING_QUOTE: 'a quoted field is not closed properly',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'there is text after a closing quote',
  CSV_MAX_RECORD_SIZE: 'a row is too long',
  INVALID_OPENING_QUOTE: 'a field has a quote in the wrong place',
};

function readCsvRows(text: string): { line: number; record: Record<string, string> }[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      info: true,
      comment: '#',
      relax_column_count: false,
    }) as never;
  } catch (e) {
    // csv-parse's message quotes the offending text: say what is wrong in words, never the file's content.
    const err = e as Error & { lines?: number; code?: string };
    return fail(
      'validation',
      `The CSV file cannot be read${err.lines ? ` at line ${err.lines}` : ''}: ${CSV_PROBLEM[err.code ?? ''] ?? 'it is not a CSV file of hosts'}.`,
      {
        remedy: 'Save it as CSV with a header row (address,name,os,transport,port,credential,tags) and one host per line.',
      },
    );
  }
  const header = Object.keys(records[0]?.record ?? {});
  const unknown = header.filter((h) => !(HOST_FILE_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) {
    // A header of column names is echoed (a typo is easier to fix when shown); anything else is file content and is not.
    const named = unknown.every((h) => /^[a-z][a-z0-9 _-]{0,31}$/.test(h));
    fail('validation', named ? `Unknown column(s) in the header: ${unknown.join(', ')}.` : 'The first line is not a header row of host columns.', {
      remedy: `Columns are: ${HOST_FILE_COLUMNS.join(', ')}.`,
    });
  }
  if (records.length && !header.includes('address'))
    fail('validation', 'The header has no "address" column.', { remedy: `Columns are: ${HOST_FILE_COLUMNS.join(', ')}.` });
  return records.map((r) => ({ line: r.info.lines, record: r.record }));
}

function readJsonRows(text: string): { line: number; record: Record<string, unknown> }[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the error: never echo file content.
    return fail('validation', 'The JSON file cannot be parsed: it is not valid JSON.', {
      remedy: 'Give a JSON array of objects with the fields of `hosts add`.',
    });
  }
  if (!Array.isArray(data)) fail('validation', 'The JSON file must hold an array of hosts.');
  // JSON has no line per row; report the 1-based array position as "line" so messages stay uniform.
  return (data as unknown[]).map((record, i) => ({
    line: i + 1,
    record: (record && typeof record === 'object' ? record : { address: record }) as Record<string, unknown>,
  }));
}

/** Empty cells mean "not given"; tags are separated by ';' or '|' in CSV. */
function normalise(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) {
    if (v === '' || v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v.trim() : v;
  }
  if (typeof out.tags === 'string')
    out.tags = out.tags
      .split(/[;|]/)
      .map((t) => t.trim())
      .filter(Boolean);
  if (typeof out.os === 'string') out.os = out.os.toLowerCase();
  if (typeof out.transport === 'string') out.transport = out.transport.toLowerCase();
  return out;
}
