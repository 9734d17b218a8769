/**
 * Hostile strings for quoting tests: every shell metacharacter, whitespace kind, control
 * character, non-ASCII script, emoji and look-alike of the quoting itself, alone and in random
 * combinations (seeded, so a failure reproduces).
 */
export const HOSTILE_PIECES: readonly string[] = [
  "'",
  '"',
  '\\',
  '$',
  '$(id)',
  '`id`',
  '${HOME}',
  '$HOME',
  '$1',
  '$@',
  '"$@"',
  "'\\''",
  "\\'",
  ';',
  '|',
  '||',
  '&',
  '&&',
  '<',
  '>',
  '>>',
  '2>&1',
  '<(true)',
  '(',
  ')',
  '{',
  '}',
  '{a,b}',
  '[',
  ']',
  '[a-z]',
  '*',
  '?',
  '**',
  '~',
  '~root',
  '#',
  '!',
  '!!',
  '%',
  '^',
  '=',
  'A=b',
  '-',
  '--',
  '-rf',
  '--help',
  '-n',
  '-e',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '\v',
  '\f',
  '\x01',
  '\x1b[31m',
  '\x7f',
  '\u00a0',
  '\u2028',
  'é',
  'ß',
  'Ω',
  '日本語',
  'עברית',
  'नमस्ते',
  '😀',
  '👩‍💻',
  '\u{1F600}\u{1F3FD}',
  '\uFEFF',
  '\u200B',
  'a',
  'Z',
  '0',
  '9',
  '_',
  '.',
  '..',
  '/',
  './x',
  '../../etc/passwd',
  ',',
  ':',
  '@',
  '+',
  'IFS',
  'exec',
  'eval',
  'printf',
  '%s',
  '%n',
  '\\0',
  '\\n',
  'EOF',
  '<<EOF',
];

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` strings: each piece alone, the empty string, then random concatenations of 1-8 pieces. */
export function hostileStrings(count: number, seed = 20240601): string[] {
  const rnd = mulberry32(seed);
  const out: string[] = ['', ...HOSTILE_PIECES];
  while (out.length < count) {
    const n = 1 + Math.floor(rnd() * 8);
    let s = '';
    for (let i = 0; i < n; i++) {
      // Now and then a random code point from anywhere in the BMP or the astral planes.
      if (rnd() < 0.1) {
        let cp = 1 + Math.floor(rnd() * 0x10fffe);
        if (cp >= 0xd800 && cp <= 0xdfff) cp = 0x20ac;
        s += String.fromCodePoint(cp);
      } else s += HOSTILE_PIECES[Math.floor(rnd() * HOSTILE_PIECES.length)];
    }
    out.push(s);
  }
  return out;
}

/** Split printf '%s\0' output back into the strings. */
export function splitNul(out: Buffer): string[] {
  const parts = out.toString('utf8').split('\0');
  parts.pop();
  return parts;
}
