import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLabPwshHost } from '../../lab/inject.ts';
import type { HostState, LabState } from '../../lab/types.ts';
import { failureOf } from '../../helpers/failure.ts';
import { labPowerShellTransport } from './pwsh-lab-helpers.ts';

const { lab, pwshHost, why } = getLabPwshHost();

describe.skipIf(!pwshHost)(`PowerShell transport: parallel chunked upload to the lab's pwsh host (${why})`, () => {
  const state = lab as LabState;
  const host = pwshHost as HostState;
  let dir: string;
  let data: Buffer;
  let local: string;
  let sha: string;
  const make = () => labPowerShellTransport(state, host, { openTimeoutMs: 30_000, uploadMethod: 'parallel', uploadSessions: 2, sshChunkBytes: 1024 * 1024 });
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

  it('a SHA-256 that does not match is hash_mismatch and leaves no file', async () => {
    const t = make();
    try {
      const e = await failureOf(t.upload(local, '/root/asr-par-bad.bin', { sha256: 'a'.repeat(64) }));
      expect(['hash_mismatch', 'validation']).toContain(e.code);
      const ls = await t.exec(['sh', '-c', 'ls /root/asr-par-bad.bin* 2>/dev/null; true']);
      expect(ls.stdout.trim()).toBe('');
    } finally {
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
