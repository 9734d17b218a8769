import { fail } from '../../model/errors.ts';

/**
 * The one PowerShell quoting helper. A value becomes a single-quoted string literal, in which
 * PowerShell expands nothing: no `$`, no backtick escapes, no subexpressions. Inside such a
 * literal a quote is written twice. PowerShell treats the Unicode quote marks
 * U+2018 ‘ U+2019 ’ U+201A ‚ U+201B ‛ exactly like the ASCII apostrophe (its tokenizer's
 * `IsSingleQuote`), so each of them is doubled too (doubling them keeps the character itself).
 *
 * Refused with `validation` rather than changed: NUL (a .NET string can hold it, but command lines,
 * the registry and Win32 file APIs end the string there) and lone UTF-16 surrogates (no UTF-8
 * encoding: the text sent would not be the text asked for).
 */
export function psQuote(value: string): string {
  if (typeof value !== 'string') fail('validation', `PowerShell argument must be a string, got ${typeof value}`);
  if (value.includes('\0')) {
    fail('validation', 'PowerShell argument contains a NUL character, which no Windows command line can carry', {
      remedy: 'Pass binary data in a file instead of as an argument.',
    });
  }
  if (LONE_SURROGATE.test(value)) {
    fail('validation', 'PowerShell argument contains a lone UTF-16 surrogate, which has no UTF-8 encoding', {
      remedy: 'Repair the string (String.prototype.toWellFormed) before passing it.',
    });
  }
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/** An array literal of quoted strings: `@('a','b')`; `@()` when empty. */
export function psArray(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(',')})`;
}

/**
 * A hashtable literal of data values: keys must be plain identifiers (they are code), values are
 * strings, numbers, booleans, null or arrays of strings, each quoted.
 */
export function psHashtable(values: Record<string, PsValue>): string {
  const parts = Object.entries(values).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail('validation', `"${k}" is not a valid PowerShell parameter name`);
    return `${k}=${psValue(v)}`;
  });
  return `@{${parts.join(';')}}`;
}

export type PsValue = string | number | boolean | null | readonly string[];

export function psValue(v: PsValue): string {
  if (v === null) return '$null';
  if (typeof v === 'boolean') return v ? '$true' : '$false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) fail('validation', `${v} is not a finite number`);
    return Number.isInteger(v) ? `([long]${v})` : `([double]'${v}')`;
  }
  if (Array.isArray(v)) return psArray(v);
  return psQuote(v as string);
}

/** ' ‘ ’ ‚ ‛ : every character PowerShell's tokenizer reads as a single quote. */
const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
