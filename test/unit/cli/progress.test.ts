import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from '../../../src-main/cli/io.ts';
import { progressPrinter } from '../../../src-main/cli/progress.ts';
import type { ServiceEvent } from '../../../src-main/service/contract.ts';

/** A stderr stand-in: records what is written; `isTTY` makes it a terminal. */
class FakeStream extends Writable {
  text = '';
  writes = 0;
  readonly isTTY: boolean;
  readonly columns = 200;
  constructor(isTTY: boolean) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    this.writes++;
    cb();
  }
  /** What a terminal shows: carriage returns and erase-line rewrite the current line. */
  screen(): string[] {
    const lines: string[] = [];
    let cur = '';
    const ERASE = '\u001b[2K';
    for (const part of this.text.replaceAll(ERASE, '\r\u0000').split(/(\r|\n)/)) {
      if (part === '\n') {
        lines.push(cur);
        cur = '';
      } else if (part === '\r') {
        /* back to the line's start; an erase (NUL marker) follows */
      } else if (part.startsWith('\u0000')) cur = part.slice(1);
      else cur += part;
    }
    if (cur) lines.push(cur);
    return lines;
  }
}

const JOB = 'j-1';
const names = (n: number) => Array.from({ length: n }, (_, i) => `h${String(i + 1).padStart(3, '0')}`);

/** A job of n hosts: each runs connect → upload (bytes) → install; host 7 fails, host 9 retries once. */
function drive(print: (e: ServiceEvent) => void, clock: { t: number }, n: number): void {
  const emit = (e: ServiceEvent) => print(e);
  emit({ type: 'job', jobId: JOB, status: 'running', hosts: n });
  for (const [i, host] of names(n).entries()) {
    emit({ type: 'host', jobId: JOB, host, status: 'running' });
    emit({ type: 'host-step', jobId: JOB, host, step: 'connect', status: 'started' });
    emit({ type: 'host-step', jobId: JOB, host, step: 'connect', status: 'succeeded' });
    if (i === 8)
      emit({
        type: 'host-step',
        jobId: JOB,
        host,
        step: 'connect',
        status: 'retrying',
        error: { code: 'unreachable', message: 'connection refused', retryable: true },
      });
    for (let mb = 10; mb <= 100; mb += 30) {
      clock.t += 100;
      emit({ type: 'host-step', jobId: JOB, host, step: 'upload', status: 'started', bytes: mb * 1048576, totalBytes: 100 * 1048576 });
    }
    emit({ type: 'host-step', jobId: JOB, host, step: 'upload', status: 'succeeded' });
    if (i === 6) {
      emit({ type: 'host-step', jobId: JOB, host, step: 'install', status: 'failed', error: { code: 'install_failed', message: 'exit 1', retryable: false } });
      emit({ type: 'host', jobId: JOB, host, status: 'failed' });
    } else {
      emit({ type: 'host-step', jobId: JOB, host, step: 'install', status: 'succeeded' });
      emit({ type: 'host', jobId: JOB, host, status: 'succeeded' });
    }
  }
  emit({ type: 'job', jobId: JOB, status: 'failed' });
}

describe('CLI progress on stderr', () => {
  it('above 20 hosts on a TTY: one live summary line (counts, MB/s, ETA) and a line per host only when it finishes, retries or fails', () => {
    const tty = new FakeStream(true);
    const clock = { t: 1_000_000 };
    const out = new Output({}, new FakeStream(false), tty);
    drive(progressPrinter(out, { stream: tty, now: () => clock.t }), clock, 30);
    const screen = tty.screen();
    // Per-host lines: 29 finished, 1 failure (the failing step, with its error, not a second line), 1 retry.
    expect(screen.filter((l) => /^h\d+: succeeded$/.test(l))).toHaveLength(29);
    expect(screen.filter((l) => l.startsWith('h007:'))).toEqual(['h007: install failed — install_failed: exit 1']);
    expect(screen).toContain('h009: connect retrying — unreachable: connection refused');
    // No step lines and no byte lines.
    expect(screen.some((l) => /connect succeeded|upload|install succeeded/.test(l))).toBe(false);
    // The summary is one line that was redrawn in place, not appended: it ends the screen once.
    const summaries = screen.filter((l) => l.includes(' done | '));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatch(/^30\/30 done \| 29 succeeded, 1 failed \| 0 running, 0 pending \| \d+\.\d MB\/s \| took \d+s$/);
    expect(tty.text.split('\r\x1b[2K').length).toBeGreaterThan(10);
    expect(screen.at(-1)).toBe(`job ${JOB}: failed`);
  });

  it('the live line shows hosts by state, MB/s from the byte progress and an ETA while the job runs', () => {
    const tty = new FakeStream(true);
    const clock = { t: 5_000 };
    const print = progressPrinter(new Output({}, new FakeStream(false), tty), { stream: tty, now: () => clock.t, redrawMs: 0 });
    print({ type: 'job', jobId: JOB, status: 'running', hosts: 40 });
    print({ type: 'host', jobId: JOB, host: 'skipped-by-plan', status: 'skipped' });
    for (const host of names(10)) print({ type: 'host', jobId: JOB, host, status: 'running' });
    print({ type: 'host-step', jobId: JOB, host: 'h001', step: 'upload', status: 'started', bytes: 0, totalBytes: 100 << 20 });
    clock.t += 2_000;
    print({ type: 'host-step', jobId: JOB, host: 'h001', step: 'upload', status: 'started', bytes: 50 << 20, totalBytes: 100 << 20 });
    print({ type: 'host', jobId: JOB, host: 'h002', status: 'succeeded' });
    const live = tty.screen().at(-1) ?? '';
    expect(live).toMatch(/^2\/40 done \| 1 succeeded, 1 skipped \| 9 running, 29 pending \| 25\.0 MB\/s \| ETA \d+s$/);
  });

  it('above 20 hosts without a TTY: no carriage returns, the same per-host lines, a summary line at most every 10 s and at the end', () => {
    const err = new FakeStream(false);
    const clock = { t: 1_000_000 };
    drive(progressPrinter(new Output({}, new FakeStream(false), err), { stream: err, now: () => clock.t }), clock, 25);
    expect(err.text).not.toContain('\r');
    expect(err.text).not.toContain('\x1b');
    const lines = err.text.trimEnd().split('\n');
    expect(lines.filter((l) => /^h\d+: succeeded$/.test(l))).toHaveLength(24);
    const summaries = lines.filter((l) => l.includes(' done | '));
    // 25 hosts × 0.4 s of fake time = 10 s: the first event's line, at most one more, and the final one.
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    expect(summaries.length).toBeLessThanOrEqual(3);
    expect(summaries.at(-1)).toMatch(/^25\/25 done \| 24 succeeded, 1 failed \| 0 running, 0 pending/);
    expect(lines.at(-1)).toBe(`job ${JOB}: failed`);
  });

  it('when the command prints the job status itself (apply, jobs resume|configure), the job end is not printed twice', () => {
    for (const n of [5, 30]) {
      const err = new FakeStream(false);
      const clock = { t: 0 };
      drive(progressPrinter(new Output({}, new FakeStream(false), err), { stream: err, now: () => clock.t, resultShowsStatus: true }), clock, n);
      const lines = err.text.trimEnd().split('\n');
      expect(lines.filter((l) => l.startsWith(`job ${JOB}:`))).toEqual(n > 20 ? [] : [`job ${JOB}: running`]);
    }
  });

  it('up to 20 hosts: a line per step transition as before; --quiet prints nothing', () => {
    const err = new FakeStream(false);
    const clock = { t: 0 };
    drive(progressPrinter(new Output({}, new FakeStream(false), err), { stream: err, now: () => clock.t }), clock, 20);
    const lines = err.text.trimEnd().split('\n');
    expect(lines).toContain('h001: connect succeeded');
    expect(lines).toContain('h007: install failed — install_failed: exit 1');
    expect(lines.some((l) => l.includes(' done | '))).toBe(false);
    expect(lines.at(-1)).toBe(`job ${JOB}: failed`);

    const quiet = new FakeStream(false);
    drive(progressPrinter(new Output({ quiet: true }, new FakeStream(false), quiet), { stream: quiet, now: () => clock.t }), clock, 30);
    expect(quiet.text).toBe('');
  });
});
