import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLabPwshHost } from '../../lab/inject.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { failureOf } from '../../helpers/failure.ts';
import type { PowerShellTransport, PowerShellTransportOptions } from '../../../src-main/remote/powershell/powershell-transport.ts';
import { labPowerShellTransport } from './pwsh-lab-helpers.ts';

const { lab, pwshHost, why } = getLabPwshHost();

describe.skipIf(!pwshHost)(`PowerShell transport: parallel chunked upload to the lab's pwsh host (${why})`, () => {
  const state = lab as LabState;
  const host = pwshHost as HostState;
  let dir: string;
  let data: Buffer;
  let local: string;
  let sha: string;
  const make = (extra: Partial<PowerShellTransportOptions> = {}) =>
    labPowerShellTransport(state, host, { openTimeoutMs: 30_000, uploadMethod: 'parallel', uploadSessions: 2, sshChunkBytes: 1024 * 1024, ...extra });
  /** The first chunk's hash with its first hex digit changed: the bytes sent no longer match it. */
  const wrongFirst = (hashes: readonly string[]) => [`${hashes[0]![0] === '0' ? '1' : '0'}${hashes[0]!.slice(1)}`, ...hashes.slice(1)];
  const leftovers = async (t: PowerShellTransport, remote: string) => (await t.exec(['sh', '-c', 'ls -- "$1"* 2>/dev/null; true', 'ls', remote])).stdout.trim();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'asr-ps-par-'));
    data = randomBytes(9 * 1024 * 1024 + 4321);
    local = join(dir, 'payload.bin');
    writeFileSync(local, data);
    sha = createHash('sha256').update(data).digest('hex');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips the bytes to a hostile remote name, the host verifying each chunk and the whole file', async () => {
    const t = make();
    try {
      await t.exec(['mkdir', '-p', "/root/asr par ' $(x) ‘q’"]);
      const remote = "/root/asr par ' $(x) ‘q’/it's `a` $env:HOME.bin";
      const progress: number[] = [];
      const r = await t.upload(local, remote, { sha256: sha, onProgress: (s) => progress.push(s) });
      expect(r).toMatchObject({ bytes: data.length, sha256: sha, method: 'parallel' });
      expect(progress.at(-1)).toBe(data.length);
      expect(await t.remoteSha256(remote)).toBe(sha);
      const back = join(dir, 'back.bin');
      await t.download(remote, back);
      expect(createHash('sha256').update(readFileSync(back)).digest('hex')).toBe(sha);
      const ls = await t.exec(['ls', '-A', "/root/asr par ' $(x) ‘q’"]);
      expect(ls.stdout.trim()).toBe("it's `a` $env:HOME.bin");
    } finally {
      await t.exec(['rm', '-rf', "/root/asr par ' $(x) ‘q’"]).catch(() => undefined);
      await t.close();
    }
  }, 180_000);

  it("a chunk that does not match its SHA-256 is refused by the host's per-chunk check, twice, and leaves no partial file", async () => {
    const attempts: number[] = [];
    const t = make({
      // Every attempt of the first span: the workstation's own checks (whole file, expected hash) all pass.
      spanHashesForTest: (span, hashes, attempt) => {
        if (span.offset !== 0) return hashes;
        attempts.push(attempt);
        return wrongFirst(hashes);
      },
    });
    try {
      // Not one left by an earlier run: whatever is there at the end, this upload left.
      await t.exec(['rm', '-f', '--', '/root/asr-par-bad.bin', '/root/asr-par-bad.bin.partial']);
      const e = await failureOf(t.upload(local, '/root/asr-par-bad.bin', { sha256: sha }));
      expect(e.code).toBe('hash_mismatch');
      // WRITE_AT's words: the host hashed the bytes that arrived and compared them before writing.
      expect(e.message).toMatch(
        /failed twice: .*the chunk at offset 0 of \/root\/asr-par-bad\.bin\.partial arrived with SHA-256 [0-9a-f]{64}, expected [0-9a-f]{64}/,
      );
      expect(attempts).toEqual([1, 2]);
      // A remedy with commands the CLI has (there is no --upload-method copy-item).
      expect(e.remedy).toContain('asr-deploy jobs resume JOB --retry-failed');
      expect(e.remedy).toContain('asr-deploy sources serve DIR');
      expect(e.remedy).not.toContain('--upload-method');
      expect(await leftovers(t, '/root/asr-par-bad.bin')).toBe('');
      // An expected hash the local file does not have is refused on the workstation, before anything is sent.
      const local2 = await failureOf(t.upload(local, '/root/asr-par-bad.bin', { sha256: 'a'.repeat(64) }));
      expect(local2.code).toBe('hash_mismatch');
      expect(local2.message).toMatch(/local file .* not uploaded/);
      expect(await leftovers(t, '/root/asr-par-bad.bin')).toBe('');
    } finally {
      await t.close();
    }
  }, 180_000);

  it('a span the host refuses once is retried once, and the upload then succeeds', async () => {
    const target = 4 * 1024 * 1024; // the second span (4 chunks of 1 MiB each)
    const seen: string[] = [];
    const logs: string[] = [];
    const t = make({
      log: (l) => logs.push(l),
      spanHashesForTest: (span, hashes, attempt) => {
        seen.push(`${span.offset}#${attempt}`);
        return span.offset === target && attempt === 1 ? wrongFirst(hashes) : hashes;
      },
    });
    const remote = '/root/asr-par-retry.bin';
    try {
      const r = await t.upload(local, remote, { sha256: sha });
      expect(r).toMatchObject({ bytes: data.length, sha256: sha, method: 'parallel' });
      expect(await t.remoteSha256(remote)).toBe(sha);
      expect(seen.sort()).toEqual(['0#1', `${target}#1`, `${target}#2`, `${2 * target}#1`].sort());
      expect(logs.some((l) => l.includes(`the chunks at ${target} (${target} bytes) failed (hash_mismatch:`) && l.endsWith('retrying once'))).toBe(true);
      expect(await leftovers(t, `${remote}.partial`)).toBe('');
    } finally {
      await t.exec(['rm', '-f', '--', remote]).catch(() => undefined);
      await t.close();
    }
  }, 180_000);

  it('a cancel mid-upload stops it as cancelled and leaves no partial file', async () => {
    const t = make();
    try {
      const ac = new AbortController();
      const e = await failureOf(
        t.upload(local, '/root/asr-par-cancel.bin', {
          sha256: sha,
          signal: ac.signal,
          onProgress: () => ac.abort(),
        }),
      );
      expect(e.code).toBe('cancelled');
      const ls = await t.exec(['sh', '-c', 'ls /root/asr-par-cancel.bin* 2>/dev/null; true']);
      expect(ls.stdout.trim()).toBe('');
    } finally {
      await t.close();
    }
  }, 180_000);
});
