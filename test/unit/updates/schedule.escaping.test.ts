// Issue 12 item 6: schedules cannot inject. Sweep options with control characters are refused;
// every other hostile string (the same ones as the shell quoting's fuzz test) comes back out of
// the cron line, the systemd unit and the Task Scheduler XML exactly as it went in.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { addSchedule, cronFile, sweepCommand, systemdUnits, taskXml, type Schedule } from '../../../src-main/updates/schedule.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { hostileStrings, splitNul } from '../remote/hostile-strings.ts';
import { tempHome } from '../../helpers/cli.ts';

const NS = 'http://schemas.microsoft.com/windows/2004/02/mit/task';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const base: Schedule = {
  name: 'nightly',
  every: 'daily',
  cron: '30 2 * * *',
  sweepArgs: [],
  home: '/var/lib/asr',
  vaultKeyFile: '/etc/asr/vault.key',
  backend: 'cron',
  files: [],
  createdAt: '',
  nextRun: null,
};
const all = hostileStrings(600);
const printable = all.filter((s) => !CONTROL.test(s));
const controls = all.filter((s) => CONTROL.test(s));

/** systemd's reading of ExecStart= (systemd.service "Command lines", systemd.syntax): words, quotes, C escapes, %% and $$. */
function systemdArgv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let w = '';
    if (line[i] === '"') {
      i++;
      while (line[i] !== '"') {
        if (i >= line.length) throw new Error('unterminated quote');
        if (line[i] === '\\') {
          const e = line[i + 1];
          if (e !== '\\' && e !== '"') throw new Error(`escape \\${e}`);
          w += e;
          i += 2;
        } else w += line[i++];
      }
      i++;
      if (line[i] !== undefined && line[i] !== ' ') throw new Error('text after a quote');
    } else {
      while (i < line.length && line[i] !== ' ') w += line[i++];
      if (w === '\\;') w = ';';
      else if (w === ';') throw new Error('a lone ; separates commands');
      else if (/[\\"']/.test(w)) throw new Error(`unquoted special in ${w}`);
    }
    // Specifiers and variables: only %% and $$ may appear, meaning % and $.
    if (/%(?!%)/.test(w.replace(/%%/g, '')) || /\$(?!\$)/.test(w.replace(/\$\$/g, ''))) throw new Error(`unescaped % or $ in ${w}`);
    out.push(w.replace(/%%/g, '%').replace(/\$\$/g, '$'));
  }
  return out;
}

/** CommandLineToArgvW's reading of a command line's arguments (after the program name). */
function windowsArgv(cmd: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    while (cmd[i] === ' ' || cmd[i] === '\t') i++;
    if (i >= cmd.length) break;
    let w = '';
    let quoted = false;
    while (i < cmd.length && (quoted || (cmd[i] !== ' ' && cmd[i] !== '\t'))) {
      if (cmd[i] === '\\') {
        let n = 0;
        while (cmd[i] === '\\') {
          n++;
          i++;
        }
        if (cmd[i] === '"') {
          w += '\\'.repeat(Math.floor(n / 2));
          if (n % 2) {
            w += '"';
            i++;
          }
        } else w += '\\'.repeat(n);
      } else if (cmd[i] === '"') {
        if (quoted && cmd[i + 1] === '"') {
          w += '"';
          i += 2;
        } else {
          quoted = !quoted;
          i++;
        }
      } else w += cmd[i++];
    }
    out.push(w);
  }
  return out;
}

describe('schedule escaping, fuzzed with the shell quoting hostile strings', () => {
  it(`cron.d: ${printable.length} hostile sweep options come back through cron's % rule and sh exactly`, () => {
    const s = { ...base, sweepArgs: printable };
    const text = cronFile(s);
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4); // comment, SHELL, PATH, the job: nothing broke out onto a line of its own
    const job = lines[3]!;
    expect(job.startsWith('30 2 * * * root ')).toBe(true);
    let cmd = job.slice('30 2 * * * root '.length);
    // cron: an unescaped % ends the command (the rest is stdin); \% is a literal %.
    expect(/(^|[^\\])%/.test(cmd)).toBe(false);
    cmd = cmd.replace(/\\%/g, '%').replace(/ >>\S+ 2>&1$/, '');
    const want = sweepCommand(s);
    // The same words, run by sh through a function that prints them NUL-separated.
    const out = execFileSync('/bin/sh', [
      '-c',
      `f() { printf '%s\\0' "$ASR_DEPLOY_VAULT_KEY_FILE" "$@"; }\n${cmd.replace(/^(ASR_DEPLOY_VAULT_KEY_FILE=\S+) \S+/, '$1 f')}`,
    ]);
    expect(splitNul(out)).toEqual(['/etc/asr/vault.key', ...want.slice(1)]);
  });

  it(`systemd: ${printable.length} hostile sweep options as ExecStart= words systemd reads back exactly; systemd-analyze finds nothing to complain about`, () => {
    const s = { ...base, backend: 'systemd' as const, sweepArgs: printable, vaultKeyFile: '/etc/asr/100%/$k"\\.key' };
    const { service } = systemdUnits(s);
    const lines = service.split('\n');
    const exec = lines.find((l) => l.startsWith('ExecStart='))!;
    expect(lines.filter((l) => l.startsWith('Exec'))).toHaveLength(1);
    expect(systemdArgv(exec.slice('ExecStart='.length))).toEqual(sweepCommand(s));
    const env = lines.find((l) => l.startsWith('Environment='))!;
    expect(env).toBe('Environment="ASR_DEPLOY_VAULT_KEY_FILE=/etc/asr/100%%/$k\\"\\\\.key"');
    const dir = mkdtempSync(join(tmpdir(), 'asr-unit-'));
    try {
      const unit = join(dir, 'asr-fuzz.service');
      // The same words after /bin/true (the program must exist for verify).
      writeFileSync(unit, service.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true'));
      let said = '';
      try {
        said = execFileSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
      } catch (e) {
        said = String((e as { stderr?: string }).stderr ?? e);
      }
      expect(
        said
          .split('\n')
          .filter((l) => l.includes(unit))
          .join('\n'),
      ).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`Task Scheduler: ${printable.filter((a) => !a.includes('%')).length} hostile options round-trip through the XML and CommandLineToArgvW; "%" is refused (Task Scheduler expands it)`, () => {
    const args = printable.filter((a) => !a.includes('%'));
    const s = { ...base, backend: 'schtasks' as const, sweepArgs: args };
    const xml = taskXml(s);
    const doc = new DOMParser().parseFromString(xml.replace(/^<\?xml[^>]*\?>\n/, ''), 'text/xml');
    const text = doc.getElementsByTagNameNS(NS, 'Arguments')[0]!.textContent!;
    expect(windowsArgv(text)).toEqual(sweepCommand(s).slice(1));
    expect(() => taskXml({ ...s, sweepArgs: ['--webhook', 'https://h/%USERPROFILE%'] })).toThrow(/Task Scheduler would expand/);
  });

  it(`${controls.length} options with control characters (newline, CR, ESC, DEL, bidi…) are refused by every backend and by schedule add, which writes nothing`, () => {
    expect(controls.length).toBeGreaterThan(20);
    for (const c of controls) {
      expect(() => cronFile({ ...base, sweepArgs: [c] })).toThrow(/control character U\+/);
      expect(() => systemdUnits({ ...base, sweepArgs: [c] })).toThrow(/control character U\+/);
      expect(() => taskXml({ ...base, sweepArgs: [c.replace(/%/g, '')] })).toThrow(/control character U\+/);
    }
    const store = openStore(tempHome(), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));
    const cronDir = mkdtempSync(join(tmpdir(), 'asr-cron-'));
    for (const bad of [
      { sweepArgs: ['--hosts', 'all\n* * * * * root rm -rf /'] },
      { sweepArgs: [], every: '0 3 * * *\n* * * * * root id' },
      { sweepArgs: ['\u202etag:prod'] },
    ]) {
      expect(() => addSchedule(store, { name: 'evil', every: 'daily', backend: 'cron', cronDir, ...bad })).toThrow(/control character/);
    }
    expect(execFileSync('ls', ['-A', cronDir], { encoding: 'utf8' })).toBe('');
    expect(store.settings.keys('schedule.')).toEqual([]);
    store.close();
  });
});
