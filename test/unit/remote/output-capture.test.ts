import { describe, expect, it } from 'vitest';
import { OUTPUT_HEAD_CHARS, OUTPUT_TAIL_CHARS, OutputCapture } from '../../../src-main/remote/output-capture.ts';

/** How our callers read a result (components/staging.ts, mobility-service/linux.ts): the last line. */
const lastJson = (s: string): unknown => JSON.parse(s.trim().split('\n').at(-1) ?? '');

describe('OutputCapture: what a command printed, bounded', () => {
  it('keeps small output whole', () => {
    const c = new OutputCapture();
    c.push('a\n');
    c.push('{"ok":true}\n');
    expect(c.text()).toBe('a\n{"ok":true}\n');
    expect(c.dropped).toBe(0);
  });

  it('50 MB in 64 KiB chunks: head and tail kept, the middle counted, the last JSON line still parsed', () => {
    const c = new OutputCapture();
    const chunk = `${'x'.repeat(1023)}\n`.repeat(64);
    const total = 50 * 1024 * 1024;
    for (let sent = 0; sent < total; sent += chunk.length) c.push(chunk);
    c.push('{"ok":true,"sha256":"ab"}\n');
    const text = c.text();
    expect(c.length).toBe(OUTPUT_HEAD_CHARS + OUTPUT_TAIL_CHARS);
    expect(text.length).toBeLessThan(OUTPUT_HEAD_CHARS + OUTPUT_TAIL_CHARS + 200);
    expect(c.dropped).toBe(total + 26 - OUTPUT_HEAD_CHARS - OUTPUT_TAIL_CHARS);
    expect(text).toContain(`[asr-deploy: ${c.dropped} characters of output dropped here`);
    expect(text.startsWith('x'.repeat(1023))).toBe(true);
    expect(lastJson(text)).toEqual({ ok: true, sha256: 'ab' });
  });

  it('one chunk larger than the whole cap keeps its last characters', () => {
    const c = new OutputCapture({ headChars: 4, tailChars: 8 });
    c.push(`head${'m'.repeat(100)}tail-end`);
    expect(c.text()).toBe(
      "head\n[asr-deploy: 100 characters of output dropped here; the whole output is in the host's log when it was streamed there]\ntail-end",
    );
  });
});
