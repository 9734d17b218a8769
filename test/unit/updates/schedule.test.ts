import { DOMParser } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { cronFile, cronToOnCalendar, systemdUnits, taskXml, toCron, winQuote, type Schedule } from '../../../src-main/updates/schedule.ts';

const base: Schedule = {
  name: 'nightly',
  every: 'daily',
  cron: '30 2 * * *',
  sweepArgs: ['--source', '/srv/asr installers', '--hosts', 'tag:prod'],
  home: '/var/lib/asr',
  vaultKeyFile: '/etc/asr/vault.key',
  backend: 'cron',
  files: [],
  createdAt: '',
  nextRun: null,
};
const NS = 'http://schemas.microsoft.com/windows/2004/02/mit/task';

describe('schedules', () => {
  it('turns daily / weekly / cron into a validated cron expression', () => {
    expect(toCron('daily')).toBe('0 3 * * *');
    expect(toCron('weekly', '23:15')).toBe('15 23 * * 0');
    expect(toCron('0  4 * * 1-5')).toBe('0 4 * * 1-5');
    expect(() => toCron('every tuesday')).toThrow(/five-field/);
    expect(() => toCron('61 3 * * *')).toThrow(/not a valid cron/);
    expect(() => toCron('daily', '25:00')).toThrow(/HH:MM/);
  });

  it('a cron.d line quotes every argument and escapes %', () => {
    const text = cronFile({ ...base, sweepArgs: ['--webhook', 'https://h/x?a=%20'] });
    const line = text.split('\n').find((l) => l.startsWith('30 2'))!;
    expect(line).toMatch(/^30 2 \* \* \* root ASR_DEPLOY_VAULT_KEY_FILE=\/etc\/asr\/vault.key /);
    expect(line).toContain("'https://h/x?a=\\%20'");
  });

  it('systemd: OnCalendar from cron, oneshot service with the key file in the environment', () => {
    expect(cronToOnCalendar('30 2 * * *')).toBe('*-*-* 2:30:00');
    expect(cronToOnCalendar('0 4 * * 1-5')).toBe('Mon..Fri *-*-* 4:0:00');
    expect(cronToOnCalendar('*/15 * * * *')).toBe('*-*-* *:0/15:00');
    const u = systemdUnits(base);
    expect(u.timer).toMatch(/OnCalendar=\*-\*-\* 2:30:00/);
    expect(u.service).toMatch(/Type=oneshot/);
    expect(u.service).toMatch(/ASR_DEPLOY_VAULT_KEY_FILE=\/etc\/asr\/vault.key/);
  });

  it('Windows: a Task Scheduler 1.2 definition with the documented shape', () => {
    const xml = taskXml({ ...base, backend: 'schtasks' });
    const doc = new DOMParser().parseFromString(xml.replace(/^<\?xml[^>]*\?>\n/, ''), 'text/xml');
    const task = doc.documentElement!;
    expect(task.localName).toBe('Task');
    expect(task.namespaceURI).toBe(NS);
    expect(task.getAttribute('version')).toBe('1.2');
    const kids = Array.from(task.childNodes)
      .filter((n) => n.nodeType === 1)
      .map((n) => (n as unknown as { localName: string }).localName);
    // The schema's Task element: RegistrationInfo, Triggers, Principals, Settings, Actions (Actions required).
    expect(kids).toEqual(['RegistrationInfo', 'Triggers', 'Principals', 'Settings', 'Actions']);
    const one = (name: string) => doc.getElementsByTagNameNS(NS, name)[0]!;
    expect(one('StartBoundary').textContent).toBe('2026-01-01T02:30:00');
    expect(one('DaysInterval').textContent).toBe('1');
    expect(one('Principal').getAttribute('id')).toBe('Author');
    expect(one('Actions').getAttribute('Context')).toBe('Author');
    expect(one('RunLevel').textContent).toBe('HighestAvailable');
    expect(['IgnoreNew', 'Parallel', 'Queue', 'StopExisting']).toContain(one('MultipleInstancesPolicy').textContent);
    expect(one('ExecutionTimeLimit').textContent).toMatch(/^P(T\d+H)$/);
    expect(one('Arguments').textContent).toContain('"/srv/asr installers"');
    const weekly = taskXml({ ...base, cron: '0 4 * * 1,4', backend: 'schtasks' });
    expect(weekly).toMatch(/<ScheduleByWeek><DaysOfWeek><Monday\/><Thursday\/><\/DaysOfWeek><WeeksInterval>1<\/WeeksInterval><\/ScheduleByWeek>/);
    expect(() => taskXml({ ...base, cron: '*/5 * * * *' })).toThrow(/cannot run/);
  });

  it('quotes Windows arguments as CommandLineToArgvW reads them', () => {
    expect(winQuote('plain')).toBe('plain');
    expect(winQuote('a b')).toBe('"a b"');
    expect(winQuote('say "hi"')).toBe('"say \\"hi\\""');
    expect(winQuote('C:\\dir with space\\')).toBe('"C:\\dir with space\\\\"');
    expect(winQuote('')).toBe('""');
  });
});
