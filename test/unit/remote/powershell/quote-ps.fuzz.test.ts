// Issue 12 item 10: the PowerShell quoting helper fuzzed like the POSIX one: the same hostile strings
// (plus PowerShell's own quote look-alikes), each quoted by psQuote/psArray/psHashtable and read back
// by a real pwsh, must come back exactly; NUL and lone surrogates are refused.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsrFailure } from '../../../../src-main/model/errors.ts';
import { psArray, psHashtable, psQuote } from '../../../../src-main/remote/powershell/quote-ps.ts';
import { findPwsh } from '../../../helpers/ps-compat.ts';
import { HOSTILE_PIECES, hostileStrings, splitNul } from '../hostile-strings.ts';

const PS_PIECES = [
  '\u2018',
  '\u2019',
  '\u201A',
  '\u201B',
  "''",
  '`',
  '`n',
  '`0',
  '$null',
  '@(',
  '@{',
  '$(',
  '${x}',
  '$_',
  '#>',
  '<#',
  '--%',
  '&',
  '.',
  '@args',
  '-Command',
];
const BROKEN = ['\0', 'a\0b', '\uD800', 'x\uDFFFy', '\uDBFF\uDBFF\uDC00', `${HOSTILE_PIECES[0]}\0`];
const STRINGS = [...hostileStrings(2000), ...PS_PIECES, ...PS_PIECES.map((p) => HOSTILE_PIECES[3] + p + "'"), ...BROKEN];
const refused = (s: string) => s.includes('\0') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
const pwsh = findPwsh();

function runPwsh(script: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'asr-psq-'));
  try {
    const file = join(dir, 'fuzz.ps1');
    // UTF-8 with BOM: Windows PowerShell and pwsh both read it as UTF-8.
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(script, 'utf8')]));
    const r = spawnSync(pwsh!, ['-NoProfile', '-NonInteractive', '-File', file], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PREAMBLE = `$ErrorActionPreference = 'Stop'\n$o = [Console]::OpenStandardOutput()\nfunction Emit([string]$s) { $b = [Text.Encoding]::UTF8.GetBytes($s + [char]0); $o.Write($b, 0, $b.Length) }\n`;

describe('psQuote refusals', () => {
  it('refuses NUL and lone surrogates with validation, for every hostile string that has one', () => {
    const bad = STRINGS.filter(refused);
    expect(bad).toEqual(BROKEN);
    for (const s of bad) {
      try {
        psQuote(s);
        expect.unreachable(JSON.stringify(s));
      } catch (e) {
        expect(e).toBeInstanceOf(AsrFailure);
        expect((e as AsrFailure).data.code).toBe('validation');
      }
    }
  });
});

describe.skipIf(!pwsh)(`psQuote read back by pwsh (${pwsh ?? 'not installed'})`, () => {
  const good = STRINGS.filter((s) => !refused(s));

  it(`${good.length} hostile strings come back exactly as single-quoted literals`, () => {
    const script = PREAMBLE + good.map((s) => `Emit ${psQuote(s)}`).join('\n') + '\n';
    expect(splitNul(runPwsh(script))).toEqual(good);
  }, 180_000);

  it('as array elements and hashtable values, splatted into a script block, too', () => {
    const sample = good.slice(0, 400);
    const table: Record<string, string> = {};
    sample.slice(0, 50).forEach((s, i) => (table[`k${i}`] = s));
    const script =
      PREAMBLE +
      `foreach ($x in ${psArray(sample)}) { Emit $x }\n` +
      `$h = ${psHashtable(table)}\n` +
      `foreach ($i in 0..${Object.keys(table).length - 1}) { Emit $h["k$i"] }\n` +
      `& { param([string[]]$a) foreach ($y in $a) { Emit $y } } -a ${psArray(sample.slice(0, 50))}\n`;
    expect(splitNul(runPwsh(script))).toEqual([...sample, ...Object.values(table), ...sample.slice(0, 50)]);
  }, 180_000);
});
