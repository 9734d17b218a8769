import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DOMImplementation, XMLSerializer, type Element } from '@xmldom/xmldom';
import { Cron } from 'croner';
import { fail } from '../model/errors.ts';
import { shJoin } from '../remote/quote-posix.ts';
import type { Store } from '../store/store.ts';

export type Backend = 'cron' | 'systemd' | 'schtasks';

export interface Schedule {
  name: string;
  /** daily | weekly | a five-field cron expression. */
  every: string;
  cron: string;
  /** Options passed to `asr-deploy sweep`. */
  sweepArgs: string[];
  home: string;
  /** Where the unattended run reads the vault key (a file only its owner can read); never the key itself. */
  vaultKeyFile: string | null;
  backend: Backend;
  /** The file(s) written for the OS scheduler. */
  files: string[];
  createdAt: string;
  nextRun: string | null;
}

export const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** daily → 03:00 every day, weekly → 03:00 on Sunday, else a validated five-field cron expression. */
export function toCron(every: string, at = '03:00'): string {
  const m = /^(\d{1,2}):(\d{2})$/.exec(at);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) fail('usage', `--at must be HH:MM, not "${at}".`);
  const [h, mi] = [Number(m[1]), Number(m[2])];
  if (every === 'daily') return `${mi} ${h} * * *`;
  if (every === 'weekly') return `${mi} ${h} * * 0`;
  const fields = every.trim().split(/\s+/);
  if (fields.length !== 5) fail('usage', `--every takes daily, weekly or a five-field cron expression ("0 3 * * 1"), not "${every}".`);
  try {
    new Cron(fields.join(' '), { paused: true });
  } catch (e) {
    fail('usage', `"${every}" is not a valid cron expression: ${(e as Error).message}`);
  }
  return fields.join(' ');
}

export function nextRun(cron: string): string | null {
  return new Cron(cron, { paused: true }).nextRun()?.toISOString() ?? null;
}

/** Which OS scheduler this machine has: Task Scheduler on Windows, systemd timers where systemd runs, else cron. */
export function detectBackend(platform = process.platform): Backend {
  if (platform === 'win32') return 'schtasks';
  if (existsSync('/run/systemd/system')) return 'systemd';
  return 'cron';
}

/** The command line the OS scheduler runs: absolute node + CLI entry, sweep options as data. */
export function sweepCommand(s: Pick<Schedule, 'name' | 'home' | 'sweepArgs'>, entry = resolve(import.meta.dirname, '../../bin/asr-deploy.mjs')): string[] {
  return [process.execPath, entry, '--home', s.home, '--quiet', 'sweep', '--schedule', s.name, ...s.sweepArgs];
}

/**
 * C0/C1 controls (newline, carriage return, escape…), DEL, the Unicode line/paragraph separators
 * and the bidi controls: each can end a scheduler line early or make what is shown differ from
 * what runs. Refused in everything that goes into a scheduled task.
 */
// eslint-disable-next-line no-control-regex
const SCHEDULE_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Refuses a schedule whose options, paths or timing hold a character no scheduler syntax can carry safely. */
export function checkScheduleText(what: string, value: string): void {
  const m = SCHEDULE_UNSAFE.exec(value);
  if (m) {
    const cp = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    fail('usage', `${what} contains the control character U+${cp}, which a scheduled task cannot carry safely; nothing was scheduled.`, {
      remedy: 'Remove control characters (newlines, escapes, bidi marks) from the sweep options and paths.',
    });
  }
}

/** A line of /etc/cron.d: five fields, the user, then a POSIX command; `%` is special to cron (unescaped it is a newline). */
export function cronFile(s: Schedule, user = 'root'): string {
  for (const a of [s.home, s.vaultKeyFile ?? '', ...s.sweepArgs]) checkScheduleText('A schedule argument', a);
  const env = s.vaultKeyFile ? `ASR_DEPLOY_VAULT_KEY_FILE=${shJoin([s.vaultKeyFile])} ` : '';
  const log = shJoin([join(s.home, 'logs', `schedule-${s.name}.log`)]);
  const cmd = `${env}${shJoin(sweepCommand(s))} >>${log} 2>&1`.replace(/%/g, '\\%');
  return `# Managed by asr-deploy: schedule ${s.name} (${s.cron}). Remove with: asr-deploy schedule remove ${s.name}\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n${s.cron} ${user} ${cmd}\n`;
}

/**
 * One word of a systemd ExecStart= line (systemd.service "Command lines"): double-quoted with C
 * escapes for `\\` and `"`, `%` doubled (specifiers), `$` doubled (variable expansion); a lone
 * `;` (a command separator) written `\\;`.
 */
export function systemdExecWord(a: string): string {
  checkScheduleText('A schedule argument', a);
  if (a === ';') return '\\;';
  return `"${a.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/** The value of an Environment= assignment: quoted, specifiers doubled (systemd does not expand `$` there). */
export function systemdEnvValue(assignment: string): string {
  checkScheduleText('A schedule argument', assignment);
  return `"${assignment.replace(/[\\"]/g, '\\$&').replace(/%/g, '%%')}"`;
}

/** cron fields → systemd OnCalendar (DOW *-MON-DOM HH:MM:00). */
export function cronToOnCalendar(cron: string): string {
  const [mi, h, dom, mon, dow] = cron.split(/\s+/) as [string, string, string, string, string];
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const conv = (f: string, map?: (x: string) => string) =>
    f === '*'
      ? '*'
      : f
          .replace(/\*\/(\d+)/g, '0/$1')
          .split(',')
          .map((p) =>
            p
              .split('-')
              .map((x) => (map ? map(x) : x))
              .join('..'),
          )
          .join(',');
  const d = dow === '*' ? '' : `${conv(dow, (x) => days[Number(x)] ?? x)} `;
  return `${d}*-${conv(mon)}-${conv(dom)} ${conv(h)}:${conv(mi)}:00`;
}

export function systemdUnits(s: Schedule): { service: string; timer: string } {
  const env = s.vaultKeyFile ? `Environment=${systemdEnvValue(`ASR_DEPLOY_VAULT_KEY_FILE=${s.vaultKeyFile}`)}\n` : '';
  const exec = sweepCommand(s).map(systemdExecWord).join(' ');
  return {
    service: `[Unit]\nDescription=ASR Deploy update sweep (${s.name})\nWants=network-online.target\nAfter=network-online.target\n\n[Service]\nType=oneshot\n${env}ExecStart=${exec}\n`,
    timer: `[Unit]\nDescription=ASR Deploy update sweep (${s.name}), ${s.cron}\n\n[Timer]\nOnCalendar=${cronToOnCalendar(s.cron)}\nPersistent=true\nRandomizedDelaySec=300\n\n[Install]\nWantedBy=timers.target\n`,
  };
}

const TASK_NS = 'http://schemas.microsoft.com/windows/2004/02/mit/task';

/**
 * A Task Scheduler 1.2 task definition (schtasks /Create /XML): a CalendarTrigger for daily or
 * weekly, or for a cron expression that fixes minute and hour (others cannot be expressed).
 */
export function taskXml(s: Schedule, author = 'asr-deploy'): string {
  const [mi, h, dom, mon, dow] = s.cron.split(/\s+/) as [string, string, string, string, string];
  if (!/^\d+$/.test(mi) || !/^\d+$/.test(h) || dom !== '*' || mon !== '*' || !/^(\*|[0-7](,[0-7])*)$/.test(dow)) {
    fail('usage', `Windows Task Scheduler cannot run "${s.cron}" as one trigger.`, {
      remedy: 'Use --every daily, weekly, or a cron expression with a fixed minute and hour and optional weekdays ("30 2 * * 1,4").',
    });
  }
  const doc = new DOMImplementation().createDocument(TASK_NS, 'Task', null);
  const root = doc.documentElement!;
  root.setAttribute('version', '1.2');
  const el = (parent: Element, name: string, text?: string, attrs: Record<string, string> = {}) => {
    const e = doc.createElementNS(TASK_NS, name);
    if (text !== undefined) e.appendChild(doc.createTextNode(text));
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    parent.appendChild(e);
    return e;
  };
  const reg = el(root, 'RegistrationInfo');
  el(reg, 'Author', author);
  el(reg, 'Description', `ASR Deploy update sweep "${s.name}" (${s.cron})`);
  el(reg, 'URI', `\\ASR Deploy\\${s.name}`);
  const trig = el(el(root, 'Triggers'), 'CalendarTrigger');
  el(trig, 'StartBoundary', `2026-01-01T${h.padStart(2, '0')}:${mi.padStart(2, '0')}:00`);
  el(trig, 'Enabled', 'true');
  if (dow === '*') el(el(trig, 'ScheduleByDay'), 'DaysInterval', '1');
  else {
    const w = el(trig, 'ScheduleByWeek');
    const days = el(w, 'DaysOfWeek');
    const names = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
    for (const d of [...new Set(dow.split(',').map((x) => names[Number(x)]!))]) el(days, d);
    el(w, 'WeeksInterval', '1');
  }
  const principal = el(el(root, 'Principals'), 'Principal', undefined, { id: 'Author' });
  el(principal, 'LogonType', 'Password');
  el(principal, 'RunLevel', 'HighestAvailable');
  const set = el(root, 'Settings');
  el(set, 'MultipleInstancesPolicy', 'IgnoreNew');
  el(set, 'DisallowStartIfOnBatteries', 'false');
  el(set, 'StopIfGoingOnBatteries', 'false');
  el(set, 'StartWhenAvailable', 'true');
  el(set, 'RunOnlyIfNetworkAvailable', 'true');
  el(set, 'Enabled', 'true');
  el(set, 'ExecutionTimeLimit', 'PT12H');
  const exec = el(el(root, 'Actions', undefined, { Context: 'Author' }), 'Exec');
  const [cmd, ...args] = sweepCommand(s);
  for (const a of [cmd!, ...args]) {
    checkScheduleText('A schedule argument', a);
    // Task Scheduler expands %NAME% in Command and Arguments and has no escape for it.
    if (a.includes('%'))
      fail(
        'usage',
        `A schedule argument contains "%", which Windows Task Scheduler would expand as an environment variable: ${JSON.stringify(a)}; nothing was scheduled.`,
        { remedy: 'Leave "%" out of the sweep options (for a URL, use a form without percent-escapes).' },
      );
  }
  el(exec, 'Command', cmd!);
  el(exec, 'Arguments', args.map(winQuote).join(' '));
  if (s.vaultKeyFile) el(exec, 'WorkingDirectory', s.home);
  return `<?xml version="1.0" encoding="UTF-16"?>\n${new XMLSerializer().serializeToString(doc)}\n`;
}

/** Quoting for a Windows command line as CommandLineToArgvW parses it. */
export function winQuote(a: string): string {
  if (a && !/[\s"]/.test(a)) return a;
  return `"${a.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, '$1$1')}"`;
}

export function addSchedule(
  store: Store,
  input: { name: string; every: string; at?: string; sweepArgs: string[]; vaultKeyFile?: string; backend?: Backend; cronDir?: string },
): Schedule {
  if (!SCHEDULE_NAME.test(input.name)) fail('usage', `"${input.name}" is not a valid schedule name (letters, digits, _ . -).`);
  if (store.settings.get(`schedule.${input.name}`))
    fail('conflict', `A schedule named ${input.name} exists.`, { remedy: `asr-deploy schedule remove ${input.name} first.` });
  checkScheduleText('--every', input.every);
  for (const a of input.sweepArgs) checkScheduleText('A sweep option', a);
  if (input.vaultKeyFile) checkScheduleText('--vault-key-file', input.vaultKeyFile);
  checkScheduleText('The data directory', store.home);
  if (input.vaultKeyFile) checkKeyFile(input.vaultKeyFile);
  const cron = toCron(input.every, input.at);
  const backend = input.backend ?? detectBackend();
  const s: Schedule = {
    name: input.name,
    every: input.every,
    cron,
    sweepArgs: input.sweepArgs,
    home: store.home,
    vaultKeyFile: input.vaultKeyFile ? resolve(input.vaultKeyFile) : null,
    backend,
    files: [],
    createdAt: new Date().toISOString(),
    nextRun: nextRun(cron),
  };
  if (backend === 'cron') {
    if (process.getuid?.() === 0 || input.cronDir) {
      const f = join(input.cronDir ?? '/etc/cron.d', `asr-deploy-${s.name}`);
      writeFileSync(f, cronFile(s), { mode: 0o644 });
      s.files = [f];
    } else {
      const current = crontab();
      execFileSync('crontab', ['-'], {
        input: `${current.trimEnd()}\n${cronFile(s)
          .split('\n')
          .filter((l) => !l.startsWith('SHELL') && !l.startsWith('PATH'))
          .join('\n')
          .replace(/^(\S+ \S+ \S+ \S+ \S+) \S+ /m, '$1 ')}`,
      });
      s.files = ['crontab'];
    }
  } else if (backend === 'systemd') {
    const dir = process.getuid?.() === 0 ? '/etc/systemd/system' : join(homedir(), '.config/systemd/user');
    mkdirSync(dir, { recursive: true });
    const u = systemdUnits(s);
    const base = join(dir, `asr-deploy-sweep-${s.name}`);
    writeFileSync(`${base}.service`, u.service);
    writeFileSync(`${base}.timer`, u.timer);
    const user = process.getuid?.() === 0 ? [] : ['--user'];
    execFileSync('systemctl', [...user, 'daemon-reload']);
    execFileSync('systemctl', [...user, 'enable', '--now', `asr-deploy-sweep-${s.name}.timer`]);
    s.files = [`${base}.service`, `${base}.timer`];
  } else {
    const xml = join(tmpdir(), `asr-deploy-${s.name}.xml`);
    writeFileSync(xml, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(taskXml(s), 'utf16le')]));
    try {
      // /RU and /RP are not given: schtasks asks for the account's password itself, so it never sits in our argv.
      execFileSync('schtasks', ['/Create', '/TN', `\\ASR Deploy\\${s.name}`, '/XML', xml, '/F'], { stdio: 'inherit' });
    } finally {
      rmSync(xml, { force: true });
    }
    s.files = [`\\ASR Deploy\\${s.name}`];
  }
  store.settings.set(`schedule.${s.name}`, s);
  return s;
}

export function listSchedules(store: Store): (Schedule & { installed: boolean })[] {
  return store.settings.keys('schedule.').map((k) => {
    const s = store.settings.get<Schedule>(k)!;
    const installed = s.backend === 'schtasks' || s.files[0] === 'crontab' ? true : s.files.every((f) => existsSync(f));
    return { ...s, nextRun: nextRun(s.cron), installed };
  });
}

export function removeSchedule(store: Store, name: string): Schedule {
  const s = store.settings.get<Schedule>(`schedule.${name}`);
  if (!s) fail('not_found', `No schedule named ${name}.`, { remedy: 'See `asr-deploy schedule list`.' });
  if (s.backend === 'cron' && s.files[0] !== 'crontab') for (const f of s.files) rmSync(f, { force: true });
  else if (s.backend === 'cron')
    execFileSync('crontab', ['-'], {
      input: crontab()
        .split('\n')
        .filter((l) => !l.includes(`--schedule ${name} `) && !l.includes(`schedule ${name} (`))
        .join('\n'),
    });
  else if (s.backend === 'systemd') {
    const user = process.getuid?.() === 0 ? [] : ['--user'];
    execFileSync('systemctl', [...user, 'disable', '--now', `asr-deploy-sweep-${name}.timer`]);
    for (const f of s.files) rmSync(f, { force: true });
    execFileSync('systemctl', [...user, 'daemon-reload']);
  } else execFileSync('schtasks', ['/Delete', '/TN', `\\ASR Deploy\\${name}`, '/F'], { stdio: 'inherit' });
  store.settings.delete(`schedule.${name}`);
  return s;
}

function crontab(): string {
  try {
    return execFileSync('crontab', ['-l'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** The unattended run's key file must be private to its owner: the key opens every stored credential. */
export function checkKeyFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return fail('validation', `The vault key file ${path} does not exist.`, {
      remedy: 'Create it with the vault passphrase, mode 0600 (umask 077; printf %s "$KEY" > FILE).',
    });
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
    fail('validation', `The vault key file ${path} can be read by others (mode ${(st.mode & 0o777).toString(8)}).`, { remedy: `chmod 600 ${path}` });
}

export function readKeyFile(path: string): string {
  checkKeyFile(path);
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}
