import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { fail } from '../../model/errors.ts';

/** One call's share of a parallel upload: `chunks` writes of at most `chunkBytes`, from `offset`. */
export interface UploadSpan {
  offset: number;
  length: number;
  /** Lengths of the chunks in this span, in order (each one Invoke-Command with its own SHA-256). */
  chunks: number[];
}

/**
 * Cuts a file into spans of `spanChunks` chunks for the parallel writers: whole chunks, the last
 * one short, nothing overlapping, together exactly `size` bytes. Spans are handed out in order
 * from one queue, so a slow session takes fewer of them.
 */
export function planUploadSpans(size: number, chunkBytes: number, spanChunks: number): UploadSpan[] {
  if (!Number.isSafeInteger(size) || size < 0) fail('validation', `cannot plan an upload of ${size} bytes`);
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) fail('validation', `chunk size ${chunkBytes} is not a positive whole number of bytes`);
  if (!Number.isSafeInteger(spanChunks) || spanChunks < 1) fail('validation', `${spanChunks} chunks per call is not a positive whole number`);
  const spans: UploadSpan[] = [];
  for (let offset = 0; offset < size;) {
    const chunks: number[] = [];
    let length = 0;
    while (chunks.length < spanChunks && offset + length < size) {
      const n = Math.min(chunkBytes, size - offset - length);
      chunks.push(n);
      length += n;
    }
    spans.push({ offset, length, chunks });
    offset += length;
  }
  return spans;
}

/** How many sessions write at once: never more than there are spans, at least one, at most 8. */
export function writerCount(requested: number, spans: number): number {
  if (!Number.isSafeInteger(requested) || requested < 1 || requested > 8)
    fail('validation', `${requested} parallel upload sessions: choose 1 to 8`, { remedy: 'Pass a whole number from 1 to 8 (default 4).' });
  return Math.max(1, Math.min(requested, spans));
}

/** SHA-256 (hex) of each chunk of a span, read by the workstation; the host checks each chunk against its own before writing. */
export async function spanChunkHashes(localPath: string, span: UploadSpan): Promise<string[]> {
  const fh = await open(localPath, 'r');
  try {
    const out: string[] = [];
    let pos = span.offset;
    for (const n of span.chunks) {
      const buf = Buffer.allocUnsafe(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, pos + got);
        if (bytesRead <= 0) fail('validation', `${localPath} ended early at byte ${pos + got}: it changed during the upload`);
        got += bytesRead;
      }
      out.push(createHash('sha256').update(buf).digest('hex'));
      pos += n;
    }
    return out;
  } finally {
    await fh.close();
  }
}
