import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planUploadSpans, spanChunkHashes, writerCount } from '../../../../src-main/remote/powershell/chunk-plan.ts';
import { failureOf } from '../../../helpers/failure.ts';

describe('planUploadSpans', () => {
  it('covers the file exactly, in order, without overlap, whole chunks and a short last one', () => {
    for (const [size, chunk, per] of [
      [0, 4, 4],
      [1, 4, 4],
      [16, 4, 4],
      [17, 4, 4],
      [100 * 1048576 + 7, 4 * 1048576, 4],
      [10, 3, 1],
    ] as const) {
      const spans = planUploadSpans(size, chunk, per);
      let pos = 0;
      for (const s of spans) {
        expect(s.offset).toBe(pos);
        expect(s.chunks.reduce((a, b) => a + b, 0)).toBe(s.length);
        expect(s.chunks.length).toBeLessThanOrEqual(per);
        expect(s.chunks.slice(0, -1).every((c) => c === chunk)).toBe(true);
        pos += s.length;
      }
      expect(pos).toBe(size);
      expect(spans.length).toBe(Math.ceil(size / (chunk * per)));
    }
  });

  it('refuses sizes and counts that are not positive whole numbers, with a named error', async () => {
    for (const bad of [() => planUploadSpans(-1, 4, 4), () => planUploadSpans(10, 0, 4), () => planUploadSpans(10, 4, 1.5)]) {
      expect((await failureOf(Promise.resolve().then(bad))).code).toBe('validation');
    }
  });
});

describe('writerCount', () => {
  it('never more writers than spans, at least one', () => {
    expect(writerCount(4, 2)).toBe(2);
    expect(writerCount(4, 0)).toBe(1);
    expect(writerCount(3, 30)).toBe(3);
  });
  it('refuses 0, 9 and fractions with a remedy', async () => {
    for (const n of [0, 9, 2.5]) {
      const e = await failureOf(Promise.resolve().then(() => writerCount(n, 10)));
      expect(e.code).toBe('validation');
      expect(e.remedy).toMatch(/1 to 8/);
    }
  });
});

describe('spanChunkHashes', () => {
  it("gives each chunk's SHA-256 as read from the file at its offset", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-chunk-plan-'));
    try {
      const data = randomBytes(10_000);
      const f = join(dir, 'f.bin');
      writeFileSync(f, data);
      const spans = planUploadSpans(data.length, 1024, 3);
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const second = spans[1]!;
      expect(await spanChunkHashes(f, second)).toEqual(second.chunks.map((n, i) => sha(data.subarray(second.offset + i * 1024, second.offset + i * 1024 + n))));
      const last = spans.at(-1)!;
      expect((await spanChunkHashes(f, last)).at(-1)).toBe(sha(data.subarray(data.length - last.chunks.at(-1)!)));
      writeFileSync(f, data.subarray(0, 5000));
      expect((await failureOf(spanChunkHashes(f, last))).code).toBe('validation');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
