import { fail } from '../model/errors.ts';

/**
 * The one POSIX sh quoting helper. Every argument becomes exactly one word for any POSIX shell
 * (dash, bash, busybox ash, ksh): single quotes stop every expansion, and a single quote inside
 * is written as `'\''`.
 *
 * Documented limits, each refused with a `validation` failure rather than silently changed:
 * - NUL cannot be part of a Unix argument at all (the kernel ends the string there);
 * - a lone UTF-16 surrogate has no UTF-8 encoding; sending U+FFFD instead would run a different
 *   command than the caller asked for.
 * Strings are sent as UTF-8; bytes that are not valid UTF-8 cannot be expressed as JS strings.
 */
export function shQuote(value: string): string {
  if (typeof value !== 'string') fail('validation', `shell argument must be a string, got ${typeof value}`);
  if (value.includes('\0')) {
    fail('validation', 'shell argument contains a NUL byte, which no Unix command line can carry', {
      remedy: 'Pass binary data on stdin or in a file instead of as an argument.',
    });
  }
  if (LONE_SURROGATE.test(value)) {
    fail('validation', 'shell argument contains a lone UTF-16 surrogate, which has no UTF-8 encoding', {
      remedy: 'Repair the string (String.prototype.toWellFormed) before passing it.',
    });
  }
  // Words made only of these characters mean the same quoted or not; `=` is left out so that a
  // first word never becomes an assignment, `~ # { }` so that no tilde, comment or brace applies.
  if (value !== '' && /^[A-Za-z0-9_\-./,:@+%]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A whole command line: each element one word, in order. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) fail('validation', 'cannot run an empty command line');
  return argv.map(shQuote).join(' ');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
