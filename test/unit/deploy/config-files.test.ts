import { describe, expect, it } from 'vitest';
import { fileBaseFor, matchConfigFiles, stringsIn, type MatchHost } from '../../../src-main/deploy/config-files.ts';
import { AsrFailure } from '../../../src-main/model/errors.ts';

const req = (hostName: string, machineId: string) => Buffer.from(JSON.stringify({ hostName, machineId, agentVersion: '9.65.0.0' })).toString('base64');
const hosts: MatchHost[] = [
  { hostId: 'h1', host: 'web01', address: '10.0.0.11', status: 'awaiting_config', hostName: 'web01.contoso.local', request: req('web01', 'aaaa1111aaaa1111') },
  { hostId: 'h2', host: 'web02', address: '10.0.0.12', status: 'awaiting_config', hostName: 'web02.contoso.local', request: req('web02', 'bbbb2222bbbb2222') },
  { hostId: 'h3', host: 'db01', address: '10.0.0.13', status: 'awaiting_config', request: req('db01', 'cccc3333cccc3333') },
];
// What an appliance might put in a file: we read no named field, only strings.
const config = (machineId: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ a: { b: [machineId] }, appliance: '10.0.0.250', version: '9.65.0.0', ...extra });

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof AsrFailure) return e.data.details?.reason as string;
    throw e;
  }
  return undefined;
}

describe('config files ↔ hosts', () => {
  it('pairs by file name, never by order, and says whether an identity confirmed it', () => {
    const files = [
      { name: 'db01.json', content: config('cccc3333cccc3333') },
      { name: 'web01.json', content: config('aaaa1111aaaa1111') },
      { name: 'WEB02.json', content: '{"opaque": true}' },
    ];
    const { matched, ignored } = matchConfigFiles(hosts, files);
    expect(matched.map((m) => [m.name, m.host, m.matchedBy])).toEqual([
      ['db01.json', 'db01', 'identity'],
      ['web01.json', 'web01', 'identity'],
      ['WEB02.json', 'web02', 'name-only'],
    ]);
    expect(ignored).toEqual([]);
  });

  it('an identity hidden in a base64 string counts too', () => {
    const inner = Buffer.from(JSON.stringify({ m: 'bbbb2222bbbb2222' })).toString('base64');
    expect(reason(() => matchConfigFiles(hosts, [{ name: 'web01.json', content: JSON.stringify({ blob: inner }) }]))).toBe('config_mismatch');
  });

  it('a file made for another machine is config_mismatch, whichever identity it names', () => {
    expect(reason(() => matchConfigFiles(hosts, [{ name: 'web01.json', content: config('bbbb2222bbbb2222') }]))).toBe('config_mismatch');
    expect(reason(() => matchConfigFiles(hosts, [{ name: 'web01.json', content: config('x', { host: 'web02.contoso.local' }) }]))).toBe('config_mismatch');
    expect(reason(() => matchConfigFiles(hosts, [{ name: 'db01.json', content: config('x', { ip: '10.0.0.12' }) }]))).toBe('config_mismatch');
    // Strings every host shares (the version, the appliance) identify nobody.
    expect(matchConfigFiles(hosts, [{ name: 'db01.json', content: config('x') }]).matched[0]!.matchedBy).toBe('name-only');
  });

  it('no host, two hosts, two files for one host, empty or non-JSON files are named errors', () => {
    expect(reason(() => matchConfigFiles(hosts, [{ name: 'nobody.json', content: '{}' }]))).toBe('config_file_unmatched');
    const twins: MatchHost[] = [
      { hostId: 'a', host: 'app/1', address: '10.0.1.1', status: 'awaiting_config' },
      { hostId: 'b', host: 'app:1', address: '10.0.1.2', status: 'awaiting_config' },
    ];
    expect(reason(() => matchConfigFiles(twins, [{ name: 'app_1.json', content: '{}' }]))).toBe('config_file_ambiguous');
    expect(
      reason(() =>
        matchConfigFiles(hosts, [
          { name: 'web01.json', content: '{}' },
          { name: 'WEB01.json', content: '{}' },
        ]),
      ),
    ).toBe('config_file_ambiguous');
    expect(reason(() => matchConfigFiles(hosts, [{ name: 'web01.json', content: '  ' }]))).toBe('config_file_invalid');
    expect(reason(() => matchConfigFiles(hosts, [{ name: 'web01.json', content: '<html>Sign in</html>' }]))).toBe('config_file_invalid');
  });

  it('hosts already configured are left alone; other files are ignored', () => {
    const done = hosts.map((h) => (h.hostId === 'h1' ? { ...h, status: 'succeeded' } : h));
    const r = matchConfigFiles(done, [
      { name: 'web01.json', content: config('aaaa1111aaaa1111') },
      { name: 'notes.txt', content: 'x' },
    ]);
    expect(r.matched).toEqual([]);
    expect(r.ignored.map((i) => i.name)).toEqual(['web01.json', 'notes.txt']);
  });

  it('file base names keep the host name, minus what no file system takes', () => {
    expect(fileBaseFor('sérveur-ß')).toBe('sérveur-ß');
    expect(fileBaseFor('../etc/passwd')).toBe('__etc_passwd');
    expect(fileBaseFor('a\u0000b:c')).toBe('a_b_c');
    expect(stringsIn(JSON.stringify({ x: [1, 'y', { z: 'w' }] }))).toEqual(['y', 'w']);
  });
});
