import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHostFile } from '../../../../src-main/discovery/import/host-file.ts';
import { runCli, tempHome } from '../../../helpers/cli.ts';

const write = (name: string, text: string) => {
  const f = join(tempHome(), name);
  writeFileSync(f, text);
  return f;
};

describe('host file parsing', () => {
  it('reads CSV with a header, empty cells as not given, tags split on ; or |', () => {
    const { rows, errors } = parseHostFile('x.csv', 'address,name,os,tags\n10.0.0.1,web1,linux,prod;web\n10.0.0.2,,Windows,\n');
    expect(errors).toEqual([]);
    expect(rows.map((r) => [r.line, r.host.address, r.host.name, r.host.os, r.host.tags])).toEqual([
      [2, '10.0.0.1', 'web1', 'linux', ['prod', 'web']],
      [3, '10.0.0.2', undefined, 'windows', []],
    ]);
  });

  it('reports every bad row with its line number', () => {
    const { rows, errors } = parseHostFile(
      'x.csv',
      'address,name,os,port\n10.0.0.1,a,linux,22\n10.0.0.2,b,beos,22\n\n10.0.0.3,c,linux,99999\nbad address,d,linux,\n10.0.0.1,e,linux,\n10.0.0.9,a,linux,\n',
    );
    expect(rows).toHaveLength(1);
    expect(errors.map((e) => e.line)).toEqual([3, 5, 6, 7, 8]);
    expect(errors[0]!.message).toMatch(/os/);
    expect(errors[1]!.message).toMatch(/port/);
    expect(errors[3]!.message).toMatch(/already on line 2/);
    expect(errors[4]!.message).toMatch(/name a is already on line 2/);
  });

  it('counts physical lines when a quoted cell spans lines', () => {
    const { errors } = parseHostFile('x.csv', 'address,name\n10.0.0.1,"multi\nline"\n10.0.0.2,has space\n');
    expect(errors.map((e) => e.line)).toEqual([3, 4]);
  });

  it('refuses unknown columns, a missing address column, malformed CSV and non-array JSON', () => {
    expect(() => parseHostFile('x.csv', 'address,colour\n1.2.3.4,red\n')).toThrow(/Unknown column/);
    expect(() => parseHostFile('x.csv', 'name\nweb\n')).toThrow(/no "address" column/);
    expect(() => parseHostFile('x.csv', 'address,name\n10.0.0.1,"unterminated\n')).toThrow(/cannot be read/);
    expect(() => parseHostFile('x.csv', 'address,name\n10.0.0.1,a,extra\n')).toThrow(/cannot be read at line 2/);
    expect(() => parseHostFile('x.json', '{"address":"1.2.3.4"}')).toThrow(/array/);
    expect(() => parseHostFile('x.json', '[{"address": ')).toThrow(/cannot be parsed/);
  });

  it('reads a JSON array, positions as line numbers', () => {
    const { rows, errors } = parseHostFile(
      'x.json',
      JSON.stringify([
        { address: '10.0.0.1', tags: ['a'] },
        { address: '10.0.0.2', port: 'x' },
      ]),
    );
    expect(rows).toHaveLength(1);
    expect(errors.map((e) => e.line)).toEqual([2]);
  });
});

describe('hosts import (CLI)', () => {
  it('a bad file changes nothing and names the lines; --skip-invalid imports the rest', async () => {
    const home = tempHome();
    await runCli(['hosts', 'add', '10.9.9.9', '--name', 'keep'], { home });
    const file = write('hosts.csv', 'address,name,os\n10.0.0.1,a,linux\n10.0.0.2,b,plan9\n10.0.0.3,c,windows\n');
    const bad = await runCli(['hosts', 'import', file], { home });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 3: os/);
    expect(bad.stderr).toMatch(/nothing was imported/);
    const after = await runCli(['--json', 'hosts', 'list'], { home });
    expect((after.json() as { name: string }[]).map((h) => h.name)).toEqual(['keep']);

    const skip = await runCli(['--json', 'hosts', 'import', file, '--skip-invalid'], { home });
    expect(skip.code).toBe(0);
    expect(skip.json()).toMatchObject({ added: 2, skipped: [{ line: 3 }] });
  });

  it('re-importing merges on address: updates, never duplicates', async () => {
    const home = tempHome();
    const f1 = write('a.csv', 'address,name,tags\n10.0.0.1,a,x\n10.0.0.2,b,\n');
    const f2 = write('b.csv', 'address,name,tags,os\n10.0.0.1,a,y,linux\n10.0.0.2,b,,\n10.0.0.3,c,,\n');
    expect((await runCli(['hosts', 'import', f1], { home })).code).toBe(0);
    const r = await runCli(['--json', 'hosts', 'import', f2], { home });
    expect(r.json()).toMatchObject({ added: 1, updated: 1, unchanged: 1 });
    const list = (await runCli(['--json', 'hosts', 'list'], { home })).json() as { name: string; tags: string[]; os: string | null }[];
    expect(list.map((h) => [h.name, h.tags, h.os])).toEqual([
      ['a', ['x', 'y'], 'linux'],
      ['b', [], null],
      ['c', [], null],
    ]);
  });
});
