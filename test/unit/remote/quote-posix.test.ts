import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsrFailure } from '../../../src-main/model/errors.ts';
import { shJoin, shQuote } from '../../../src-main/remote/quote-posix.ts';
import { hostileStrings, splitNul } from './hostile-strings.ts';

const SHELLS = ['/bin/dash', '/bin/bash'].filter((sh) => spawnSync(sh, ['-c', 'true']).status === 0);
const STRINGS = hostileStrings(3000);

/** Run a script through `shell`, in a directory full of files so a leaked glob would expand. */
function runScript(shell: string, script: string, cwd: string): Buffer {
  const r = spawnSync(shell, ['-s'], { input: script, cwd, maxBuffer: 64 * 1024 * 1024, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', IFS: 'x' } });
  expect(r.stderr.toString(), `${shell} stderr`).toBe('');
  expect(r.status, `${shell} exit`).toBe(0);
  return r.stdout;
}

describe('shQuote', () => {
  it('leaves plain words alone and quotes everything else', () => {
    expect(shQuote('abc-1.2_x/y:z@h+%')).toBe('abc-1.2_x/y:z@h+%');
    expect(shQuote('')).toBe("''");
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(shQuote('A=b')).toBe("'A=b'");
    expect(shQuote('~')).toBe("'~'");
  });

  it('refuses a NUL byte with a validation failure that explains why', () => {
    const err = (() => {
      try {
        shQuote('a\0b');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AsrFailure);
    expect((err as AsrFailure).data.code).toBe('validation');
    expect((err as AsrFailure).message).toMatch(/NUL/);
  });

  it('refuses lone UTF-16 surrogates (no UTF-8 encoding) and accepts proper pairs', () => {
    for (const bad of ['\uD800', 'a\uDC00b', '\uDBFFx', 'x\uDFFF']) {
      expect(() => shQuote(bad)).toThrow(/surrogate/);
    }
    expect(shQuote('😀')).toBe("'😀'");
  });

  it('refuses an empty command line', () => {
    expect(() => shJoin([])).toThrow(AsrFailure);
  });
});

describe.skipIf(SHELLS.length === 0)('shJoin round trip through real shells (needs /bin/dash or /bin/bash)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asr-quote-'));
  for (const f of ['a', 'b', '-rf', 'x y', '*']) writeFileSync(join(dir, f), '');

  it.each(SHELLS)(`%s gives back exactly the argv for ${STRINGS.length} hostile strings`, (shell) => {
    for (let i = 0; i < STRINGS.length; i += 500) {
      const batch = STRINGS.slice(i, i + 500);
      const out = runScript(shell, `${shJoin(['printf', '%s\\0', ...batch])}\n`, dir);
      expect(splitNul(out)).toEqual(batch);
    }
  });

  it.each(SHELLS)('%s: a quoted word is one argument even where IFS, globs and assignments would apply', (shell) => {
    const argv = ['A=b', '*', 'x y', '$IFS', '-n'];
    const out = runScript(shell, `set -- ${argv.map(shQuote).join(' ')}; printf '%s\\0' "$#" "$@"\n`, dir);
    expect(splitNul(out)).toEqual([String(argv.length), ...argv]);
    // As the first word, 'A=b' is a command name, not an assignment.
    const r = spawnSync(shell, ['-c', `${shJoin(['A=b'])} 2>/dev/null; echo $?`]);
    expect(r.stdout.toString().trim()).toBe('127');
  });

  it.each(SHELLS)('%s: nested twice (sh -c inside sh -c) still round-trips', (shell) => {
    const batch = STRINGS.slice(0, 400);
    const inner = shJoin(['printf', '%s\\0', ...batch]);
    const out = runScript(shell, `${shJoin(['/bin/sh', '-c', inner])}\n`, dir);
    expect(splitNul(out)).toEqual(batch);
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
