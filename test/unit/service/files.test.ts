/**
 * Front ends cannot read or write arbitrary files (issue 12 item 5): the desktop app and the
 * browser page name files only by the handle of an upload or a dialog choice; the CLI keeps
 * passing paths. No file content in errors; reports 0600, never through a symlink.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../../src-main/service/call-boundary.ts';
import { commands, type FrontEnd } from '../../../src-main/service/contract.ts';
import { FILE_INPUTS } from '../../../src-main/service/contract/files.ts';
import { createService, type LocalService } from '../../../src-main/service/service.ts';
import { writeReportFile } from '../../../src-main/reports/write-report.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { tempHome } from '../../helpers/cli.ts';

function setup(): { home: string; store: Store; svc: LocalService } {
  const home = tempHome();
  const store = openStore(home, (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));
  return { home, store, svc: createService(store) };
}

/** Uploads text the way the page does (begin, chunks, finish with the page's SHA-256). */
async function upload(svc: LocalService, name: string, content: string | Buffer, opts: { folder?: string; frontEnd?: FrontEnd; chunk?: number } = {}) {
  const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const fe = { frontEnd: opts.frontEnd ?? 'browser' } as const;
  const b = await svc.call('ui.files.begin', { name, size: data.length, ...(opts.folder ? { folder: opts.folder } : {}) }, fe);
  if (!b.ok) throw new Error(b.error.message);
  const step = opts.chunk ?? 1024;
  for (let off = 0; off < data.length; off += step) {
    const c = await svc.call('ui.files.chunk', { handle: b.value.handle, offset: off, data: data.subarray(off, off + step).toString('base64') }, fe);
    if (!c.ok) throw new Error(c.error.message);
  }
  const f = await svc.call('ui.files.finish', { handle: b.value.handle, sha256: createHash('sha256').update(data).digest('hex') }, fe);
  if (!f.ok) throw new Error(f.error.message);
  return f.value;
}

const PASSWD = 'root:x:0:0:root-secret-gecos:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n';

describe('a window names files by handle only', () => {
  it('a path from the browser page or the desktop app is refused before any handler runs; nothing is read or written', async () => {
    const { home, svc } = setup();
    const secret = join(home, 'private.txt');
    writeFileSync(secret, PASSWD);
    const out = join(home, 'written-by-page.html');
    for (const frontEnd of ['browser', 'desktop'] as const) {
      const calls: [string, Record<string, unknown>][] = [
        ['hosts.import', { file: secret }],
        ['sources.scan', { dir: home }],
        ['plan.create', { component: 'mobility-service', source: home, passphraseFile: secret }],
        ['report.create', { id: 'latest', format: 'html', out }],
        ['catalog.update', { source: secret, sha256: '0'.repeat(64) }],
        ['proxy.apply', { name: 'corp', vaultCredentialsFile: secret }],
      ];
      for (const [name, input] of calls) {
        const r = await svc.call(name as never, input as never, { frontEnd });
        expect(r, `${frontEnd} ${name}`).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
        if (!r.ok) {
          expect(r.error.message).not.toContain(home);
          expect(r.error.message).not.toContain('root');
          expect(r.error.remedy).toMatch(/Choose|Save|download/);
        }
      }
    }
    expect(existsSync(out)).toBe(false);
    expect((await svc.call('hosts.list', {})).ok && (await svc.call('hosts.list', {}))).toMatchObject({ value: [] });
  });

  it('the loopback WebSocket and IPC boundary marks its calls as a window (dispatch requires the front end)', async () => {
    const { home, svc } = setup();
    writeFileSync(join(home, 'hosts.csv'), 'address\n10.0.0.1\n');
    const r = await dispatch(svc, 'hosts.import', { file: join(home, 'hosts.csv') }, { frontEnd: 'browser' });
    expect(r).toMatchObject({ ok: false, error: { code: 'permission_denied', message: expect.stringMatching(/^Host file: /) } });
    // The CLI (no front end given) keeps taking paths.
    const cli = await svc.call('hosts.import', { file: join(home, 'hosts.csv') });
    expect(cli).toMatchObject({ ok: true, value: { added: 1 } });
  });

  it('an uploaded file is used through its handle; the report and errors name the file, never the upload path', async () => {
    const { home, svc } = setup();
    const f = await upload(svc, 'site-a.csv', 'address,name,os\n10.0.0.1,a1,linux\n10.0.0.2,a2,solaris\n');
    expect(f.handle).toMatch(/^asr-file:[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(f)).not.toContain(home);
    const bad = await svc.call('hosts.import', { file: f.handle }, { frontEnd: 'browser' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.message).toMatch(/invalid row\(s\) in "site-a.csv"/);
      expect(JSON.stringify(bad.error)).not.toContain(home);
    }
    const good = await svc.call('hosts.import', { file: f.handle, skipInvalid: true }, { frontEnd: 'browser' });
    expect(good).toMatchObject({ ok: true, value: { added: 1 } });
    if (good.ok) expect(good.value.file).toBe('site-a.csv');
  });

  it('several files go into one upload folder, used as the installer folder; a file handle is not a folder', async () => {
    const { svc } = setup();
    const a = await upload(svc, 'Microsoft-ASR_UA_9.62.0.0_UBUNTU-22.04-64_GA_01Jan2024_release.tar.gz', Buffer.alloc(3000, 1), { chunk: 1000 });
    const b = await upload(svc, 'notes.txt', 'x', { folder: a.folder });
    expect(b.folder).toBe(a.folder);
    const scan = await svc.call('sources.scan', { dir: a.folder }, { frontEnd: 'browser' });
    expect(scan.ok).toBe(true);
    if (scan.ok) expect(scan.value.map((x) => x.file)).toEqual(['Microsoft-ASR_UA_9.62.0.0_UBUNTU-22.04-64_GA_01Jan2024_release.tar.gz']);
    const wrong = await svc.call('sources.scan', { dir: a.handle }, { frontEnd: 'browser' });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'validation', message: 'Installer folder needs a folder.' } });
    const unknown = await svc.call('sources.scan', { dir: 'asr-file:AAAAAAAAAAAAAAAAAAAAAA' }, { frontEnd: 'browser' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('uploads land in a private folder (0700, files 0600), refuse path-like names and duplicates, and discard short, long or altered files', async () => {
    const { home, svc } = setup();
    const fe = { frontEnd: 'browser' } as const;
    const f = await upload(svc, 'pass.txt', 'secret\n');
    expect(statSync(svc.files.root).mode & 0o777).toBe(0o700);
    const file = join(svc.files.root, readdirSync(svc.files.root)[0]!, 'pass.txt');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const name of ['../x', 'a/b', 'a\\b', '.hidden', '..', 'x\ny']) {
      expect(await svc.call('ui.files.begin', { name, size: 1 }, fe), name).toMatchObject({ ok: false, error: { code: 'validation' } });
    }
    expect(await svc.call('ui.files.begin', { name: 'pass.txt', size: 1, folder: f.folder }, fe)).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const short = await svc.call('ui.files.begin', { name: 'short.bin', size: 10 }, fe);
    if (!short.ok) throw new Error('begin');
    await svc.call('ui.files.chunk', { handle: short.value.handle, offset: 0, data: Buffer.from('abc').toString('base64') }, fe);
    expect(await svc.call('ui.files.chunk', { handle: short.value.handle, offset: 0, data: 'YQ==' }, fe)).toMatchObject({
      ok: false,
      error: { code: 'validation' },
    });
    expect(await svc.call('ui.files.finish', { handle: short.value.handle }, fe)).toMatchObject({
      ok: false,
      error: { code: 'validation', message: expect.stringMatching(/incomplete/) },
    });
    const long = await svc.call('ui.files.begin', { name: 'long.bin', size: 2 }, fe);
    if (!long.ok) throw new Error('begin');
    expect(await svc.call('ui.files.chunk', { handle: long.value.handle, offset: 0, data: Buffer.from('abc').toString('base64') }, fe)).toMatchObject({
      ok: false,
      error: { code: 'validation', message: expect.stringMatching(/larger than announced/) },
    });
    const altered = await svc.call('ui.files.begin', { name: 'alt.bin', size: 1 }, fe);
    if (!altered.ok) throw new Error('begin');
    await svc.call('ui.files.chunk', { handle: altered.value.handle, offset: 0, data: 'YQ==' }, fe);
    expect(await svc.call('ui.files.finish', { handle: altered.value.handle, sha256: '0'.repeat(64) }, fe)).toMatchObject({
      ok: false,
      error: { code: 'hash_mismatch' },
    });
    // Only the complete, verified upload is left; dispose removes the session's folder.
    const left = readdirSync(svc.files.root).flatMap((d) => readdirSync(join(svc.files.root, d)));
    expect(left).toEqual(['pass.txt']);
    svc.dispose();
    expect(existsSync(svc.files.root)).toBe(false);
    expect(existsSync(join(home, 'uploads'))).toBe(true);
  });

  it('a desktop dialog choice is a handle to the chosen path (granted in the main process, not by a contract command)', async () => {
    const { home, svc } = setup();
    const out = join(home, 'chosen-report.html');
    await svc.call('hosts.add', { address: '10.0.0.9' });
    await svc.call('check.run', { component: 'mobility-service', hosts: 'all' });
    const g = svc.files.grantPath(out, 'save');
    const r = await svc.call('report.create', { id: 'latest', format: 'html', out: g.handle }, { frontEnd: 'desktop' });
    expect(r).toMatchObject({ ok: true, value: { out: 'chosen-report.html' } });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // A save grant is not a file to read.
    expect(await svc.call('hosts.import', { file: g.handle }, { frontEnd: 'desktop' })).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(Object.keys(commands).filter((n) => /grant/i.test(n))).toEqual([]);
  });

  it('every input field that names a local file or folder is declared in FILE_INPUTS', () => {
    // Fields with such names that are not local paths, and why.
    const notLocal: Record<string, string> = {
      'hosts.add.source': 'where the host came from (manual, import, …)',
      'proxy.apply.drconfigurator': 'a path on the Windows target',
      'sweep.run.schedule': 'a schedule name',
      'ui.state.set.sourceDir': 'the wizard saves the handle it was given, nothing reads it as a path',
      'ui.files.begin.folder': 'the handle of an upload folder',
    };
    const missing: string[] = [];
    for (const [name, spec] of Object.entries(commands)) {
      const shape =
        (spec.input as unknown as { shape?: Record<string, unknown> }).shape ??
        (spec.input as unknown as { def?: { schema?: { shape?: Record<string, unknown> } } }).def?.schema?.shape ??
        {};
      for (const field of Object.keys(shape)) {
        if (!/(file|dir|path|out|source|folder|from)$/i.test(field)) continue;
        if (notLocal[`${name}.${field}`] || FILE_INPUTS[name]?.[field]) continue;
        missing.push(`${name}.${field}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('no file content in errors', () => {
  it('a file that is not a host CSV is refused without quoting it (first line, CSV parser text, JSON parser text)', async () => {
    const { home, svc } = setup();
    const cases: [string, string][] = [
      ['passwd.csv', PASSWD],
      ['quote.csv', 'address,name\n10.0.0.1,"root-secret-gecos\n'],
      ['shadow.json', '{"root-secret-gecos": [1,2,'],
      ['columns.csv', 'address,name\n10.0.0.1,a,root-secret-gecos\n'],
    ];
    for (const [name, text] of cases) {
      writeFileSync(join(home, name), text);
      const r = await svc.call('hosts.import', { file: join(home, name) });
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(JSON.stringify(r.error), name).not.toMatch(/root-secret-gecos|root:x/);
    }
    // A header of names is still echoed, so a typo can be fixed.
    writeFileSync(join(home, 'typo.csv'), 'adress,name\n10.0.0.1,a\n');
    const typo = await svc.call('hosts.import', { file: join(home, 'typo.csv') });
    expect(typo).toMatchObject({ ok: false, error: { message: 'Unknown column(s) in the header: adress.' } });
  });
});

describe('reports are private and never follow a symlink', () => {
  it('writes 0600, also over an existing 0644 file', () => {
    const dir = tempHome();
    const p = join(dir, 'r.html');
    writeReportFile(p, '<p>one</p>');
    expect(statSync(p).mode & 0o777).toBe(0o600);
    writeFileSync(p, 'old content that is longer than the new', { mode: 0o644 });
    execFileSync('chmod', ['0644', p]);
    writeReportFile(p, 'new');
    expect(readFileSync(p, 'utf8')).toBe('new');
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('refuses a symlink (the target is untouched), a FIFO without hanging, and a folder', () => {
    const dir = tempHome();
    const target = join(dir, 'victim');
    writeFileSync(target, 'keep me', { mode: 0o644 });
    const link = join(dir, 'report.html');
    symlinkSync(target, link);
    expect(() => writeReportFile(link, 'x')).toThrow(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => writeReportFile(fifo, 'x')).toThrow(/not a regular file/);
    mkdirSync(join(dir, 'sub'));
    expect(() => writeReportFile(join(dir, 'sub'), 'x')).toThrow();
  });

  it('report.create from the CLI writes through the same rules', async () => {
    const { home, svc } = setup();
    await svc.call('hosts.add', { address: '10.0.0.9' });
    await svc.call('check.run', { component: 'mobility-service', hosts: 'all' });
    const target = join(home, 'victim.txt');
    writeFileSync(target, 'keep me');
    symlinkSync(target, join(home, 'link.html'));
    const r = await svc.call('report.create', { id: 'latest', format: 'html', out: join(home, 'link.html') });
    expect(r).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    const ok = await svc.call('report.create', { id: 'latest', format: 'csv', out: join(home, 'r.csv') });
    expect(ok.ok).toBe(true);
    expect(statSync(join(home, 'r.csv')).mode & 0o777).toBe(0o600);
  });
});
