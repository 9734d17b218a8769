import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildRemoteCommand,
  classifySudoFailure,
  detectDiskFull,
  parseDfAvailableBytes,
  parseSha256Output,
  parseUnpackOutput,
  PreludeScanner,
  REMOTE_SHA256_SCRIPT,
  REMOTE_UNPACK_SCRIPT,
} from '../../../../src-main/remote/ssh/remote-command.ts';
import { chooseAuthMethod } from '../../../../src-main/remote/ssh/ssh-transport.ts';
import { hostileStrings, splitNul } from '../hostile-strings.ts';

const SHELLS = ['/bin/dash', '/bin/bash'].filter((sh) => spawnSync(sh, ['-c', 'true']).status === 0);

describe('buildRemoteCommand', () => {
  it('wraps with sudo -n, or sudo -S with a prompt unique to the call', () => {
    expect(buildRemoteCommand(['id'], { elevation: 'none', nonce: 'n1' }).line).toMatch(/^exec \/bin\/sh -c '/);
    expect(buildRemoteCommand(['id'], { elevation: 'sudo-nopasswd', nonce: 'n1' }).line).toMatch(/^exec sudo -n -- \/bin\/sh -c /);
    const pw = buildRemoteCommand(['id'], { elevation: 'sudo-password', nonce: 'n1' });
    expect(pw.line).toMatch(/^exec sudo -S -p '\[n1:sudo-password\]' -- /);
    expect(pw.sudoPrompt).toBe('[n1:sudo-password]');
    expect(buildRemoteCommand(['id'], { elevation: 'none' }).nonce).not.toBe(buildRemoteCommand(['id'], { elevation: 'none' }).nonce);
  });

  it('refuses invalid environment names (they would become shell syntax)', () => {
    expect(() => buildRemoteCommand(['id'], { elevation: 'none', env: { 'A;B': 'x' } })).toThrow(/invalid environment variable name/);
    expect(() => buildRemoteCommand(['id'], { elevation: 'none', env: { '1A': 'x' } })).toThrow();
  });
});

describe.skipIf(SHELLS.length === 0)('the wrapper, run by a real local shell as the login shell would (needs dash/bash)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asr-wrap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hostile = hostileStrings(600, 7);

  it.each(SHELLS)('%s: argv, env values and cwd arrive byte for byte; start line reports pid and pgid', (shell) => {
    const cwd = join(dir, "we'ird $(dir) é");
    spawnSync('mkdir', ['-p', cwd]);
    const cmd = buildRemoteCommand(['/bin/sh', '-c', 'printf "%s\\0" "$PWD" "$ASR_A" "$ASR_B"; shift; printf "%s\\0" "$@"', 'x', 'ignored', ...hostile], {
      elevation: 'none',
      cwd,
      env: { ASR_A: "va'l $(x) `y`\n", ASR_B: '' },
      nonce: 'asrtest1',
    });
    // detached (passed through to libuv although the sync typings omit it): the shell leads its
    // own process group, as the session child of sshd does.
    const spawnOpts = { maxBuffer: 16 * 1024 * 1024, detached: true };
    const r = spawnSync(shell, ['-c', cmd.line], spawnOpts);
    expect(r.status).toBe(0);
    expect(splitNul(r.stdout)).toEqual([cwd, "va'l $(x) `y`\n", '', ...hostile]);
    const start = /^asrtest1:start:(\d+):(\d+)\n$/.exec(r.stderr.toString());
    expect(start).not.toBeNull();
    // The wrapper execs in place, so it reports the shell's own PID as the group to kill.
    expect(start?.[1]).toBe(String(r.pid));
    expect(start?.[2]).toBe(String(r.pid));
  });

  it.each(SHELLS)('%s: a missing cwd is reported, and nothing runs', (shell) => {
    const cmd = buildRemoteCommand(['touch', join(dir, 'ran')], { elevation: 'none', cwd: join(dir, 'nope'), nonce: 'asrtest2' });
    const r = spawnSync(shell, ['-c', cmd.line]);
    expect(r.status).toBe(125);
    const s = new PreludeScanner('asrtest2');
    s.push(r.stderr.toString());
    expect(s.noCwd).toBe(true);
    expect(s.started).toBeNull();
    expect(spawnSync('test', ['-e', join(dir, 'ran')]).status).not.toBe(0);
  });
});

describe('PreludeScanner', () => {
  it('finds prompts and the start line split across chunks, keeps sudo text apart, hands over the rest', () => {
    const s = new PreludeScanner('asrX', '[asrX:sudo-password]');
    const stream =
      'We trust you have received the usual lecture\n[asrX:sudo-password]Sorry, try again.\n[asrX:sudo-password]asrX:start:42:40\nprogram says hi\n';
    const prompts: number[] = [];
    let rest = '';
    for (let i = 0; i < stream.length; i += 3) {
      const r = s.push(stream.slice(i, i + 3));
      prompts.push(r.newPrompts);
      if (r.rest !== undefined) {
        rest = r.rest + stream.slice(i + 3);
        break;
      }
    }
    expect(prompts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(s.started).toEqual({ pid: 42, pgid: 40 });
    expect(rest).toBe('program says hi\n');
    expect(s.flush()).toBe('We trust you have received the usual lecture\nSorry, try again.\n');
  });
});

describe('classifySudoFailure', () => {
  it.each([
    ['sudo: a password is required\n', 0, 'password_required'],
    ['Sorry, try again.\nsudo: no password was provided\nsudo: 1 incorrect password attempt\n', 2, 'wrong_password'],
    ['bob is not in the sudoers file.  This incident will be reported.\n', 1, 'not_allowed'],
    ['sudo: sorry, you must have a tty to run sudo\n', 0, 'needs_tty'],
    ['sh: 1: exec: sudo: not found\n', 0, 'no_sudo'],
    ['', 0, null],
  ] as const)('%j → %s', (text, prompts, want) => {
    expect(classifySudoFailure(text, prompts)).toBe(want);
  });
});

describe('detectDiskFull', () => {
  it.each([
    ['cat: write error: No space left on device\n', undefined],
    ['sh: 1: cannot create /var/tmp/asr/x.tar: No space left on device\n', '/var/tmp/asr/x.tar'],
    ["cp: error writing '/opt/asr/agent.bin': No space left on device\n", '/opt/asr/agent.bin'],
    ['tar: /usr/local/ASR/file: Cannot write: No space left on device\n', '/usr/local/ASR/file'],
  ])('%j → path %s', (text, path) => {
    expect(detectDiskFull('', text)).toEqual(path ? { path } : {});
  });
  it('ignores output without the phrase', () => expect(detectDiskFull('all good', '')).toBeNull());
});

describe('remote hash and df parsing', () => {
  const HEX = 'a'.repeat(64);
  it.each([`${HEX}  -\n`, `(stdin)= ${HEX}\n`, `SHA2-256(stdin)= ${HEX}\n`, `${HEX.toUpperCase()}  -\n`])('parses %j', (out) => {
    expect(parseSha256Output(out)).toBe(HEX);
  });
  it('parses df -P', () => {
    expect(parseDfAvailableBytes('Filesystem     1024-blocks  Used Available Capacity Mounted on\ntmpfs 2048 2048 0 100% /var/tmp\n')).toBe(0);
    expect(parseDfAvailableBytes('Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 100 10 90 10% /\n')).toBe(90 * 1024);
    expect(parseDfAvailableBytes('garbage')).toBeNull();
  });

  const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
  it.skipIf(!haveOpenssl)('the hash script prefers openssl and gives the same digest with the sha256sum fallback (needs openssl)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-hash-'));
    const file = join(dir, '-rf name with spaces');
    writeFileSync(file, 'payload\n');
    const auto = spawnSync('/bin/sh', ['-c', REMOTE_SHA256_SCRIPT, 'x', file, 'auto']).stdout.toString();
    const ossl = spawnSync('/bin/sh', ['-c', REMOTE_SHA256_SCRIPT, 'x', file, 'openssl']).stdout.toString();
    const coreutils = spawnSync('/bin/sh', ['-c', REMOTE_SHA256_SCRIPT, 'x', file, 'sha256sum']).stdout.toString();
    expect(auto).toMatch(/stdin\)= /);
    expect(ossl).toMatch(/stdin\)= /);
    expect(coreutils).toMatch(/^[0-9a-f]{64} {2}-$/m);
    expect(parseSha256Output(auto)).toBe(parseSha256Output(ossl));
    expect(parseSha256Output(coreutils)).toBe(parseSha256Output(ossl));
    expect(parseSha256Output(auto)).toBe(createHash('sha256').update('payload\n').digest('hex'));
    const missing = spawnSync('/bin/sh', ['-c', REMOTE_SHA256_SCRIPT, 'x', join(dir, 'nope')]);
    expect(missing.status).toBe(3);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('REMOTE_UNPACK_SCRIPT: a .tar.gz from stdin unpacked and hashed in one pass', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asr-unpack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'install'), '#!/bin/sh\necho installed\n');
  writeFileSync(join(src, 'payload.bin'), Buffer.alloc(3 * 1024 * 1024, 7));
  const tarball = join(dir, 'installer.tar.gz');
  spawnSync('tar', ['-czf', tarball, '-C', src, '.']);
  const bytes = readFileSync(tarball);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const unpack = (target: string, input: Buffer, env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(SHELLS[0] ?? '/bin/sh', ['-c', REMOTE_UNPACK_SCRIPT, 'asr-unpack', target], { input, env });

  it.each(SHELLS)("%s: unpacks into a fresh folder (stale files gone), prints the stream's SHA-256, and writes no tarball", (sh) => {
    const target = join(dir, `x-${sh.replace(/\W/g, '')}`);
    mkdirSync(target);
    writeFileSync(join(target, 'stale'), 'from an earlier attempt');
    const r = spawnSync(sh, ['-c', REMOTE_UNPACK_SCRIPT, 'asr-unpack', target], { input: bytes });
    expect(r.status).toBe(0);
    expect(parseUnpackOutput(r.stdout.toString())).toEqual({ tar: 0, hash: 0, sha256: sha });
    expect(readdirSync(target).sort()).toEqual(['install', 'payload.bin']);
    // Nothing but the unpacked folder is left next to it (no tarball, no FIFO, no hash file).
    expect(readdirSync(dir).filter((f) => f.startsWith(`x-${sh.replace(/\W/g, '')}`))).toEqual([`x-${sh.replace(/\W/g, '')}`]);
  });

  it('a truncated stream is a tar failure, with the hash of what arrived', () => {
    const target = join(dir, 'x-truncated');
    const r = unpack(target, bytes.subarray(0, bytes.length >> 1));
    const out = parseUnpackOutput(r.stdout.toString());
    expect(out?.tar).not.toBe(0);
    expect(out?.sha256).toBe(
      createHash('sha256')
        .update(bytes.subarray(0, bytes.length >> 1))
        .digest('hex'),
    );
  });

  it('hashes with sha256sum when openssl does not work on the host', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'openssl'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(bin, 'openssl'), 0o755);
    const target = join(dir, 'x-no-openssl');
    const r = unpack(target, bytes, { ...process.env, PATH: `${bin}:${process.env.PATH}` });
    expect(r.stdout.toString()).toMatch(/asr:unpack tar=0 hash=0\n[0-9a-f]{64} {2}-/);
    expect(parseUnpackOutput(r.stdout.toString())?.sha256).toBe(sha);
    expect(existsSync(join(target, 'install'))).toBe(true);
  });

  it('parseUnpackOutput: null without the status line', () => {
    expect(parseUnpackOutput('garbage')).toBeNull();
    expect(parseUnpackOutput(`asr:unpack tar=2 hash=0\n(stdin)= ${sha}\n`)).toEqual({ tar: 2, hash: 0, sha256: sha });
  });
});

describe('chooseAuthMethod: one credential, one method', () => {
  it.each([
    [{ privateKey: 'k' }, ['publickey', 'password'], 'publickey'],
    [{ privateKey: 'k' }, ['password'], null],
    [{ agent: '/tmp/agent.sock' }, ['publickey'], 'agent'],
    [{ password: 'p' }, ['publickey', 'password', 'keyboard-interactive'], 'password'],
    [{ password: 'p' }, ['publickey', 'keyboard-interactive'], 'keyboard-interactive'],
    [{ password: 'p', method: 'keyboard-interactive' as const }, ['password', 'keyboard-interactive'], 'keyboard-interactive'],
    [{ password: 'p' }, ['publickey'], null],
  ])('%j with server offering %j → %s', (auth, offered, want) => {
    expect(chooseAuthMethod(auth, offered)).toBe(want);
  });
});
