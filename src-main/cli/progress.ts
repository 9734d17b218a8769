import { endsJobRun } from '../model/status.ts';
import type { ServiceEvent } from '../service/contract.ts';
import type { Output } from './io.ts';

/** Above this many hosts a job's progress is one summary line, not a line per step. */
export const SUMMARY_ABOVE_HOSTS = 20;

export interface ProgressOptions {
  /** Where progress goes (stderr); a TTY gets a live line redrawn in place. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  now?: () => number;
  /** Hosts above which the summary mode is used (default 20). */
  summaryAbove?: number;
  /** TTY: least time between two redraws of the live line. */
  redrawMs?: number;
  /** Not a TTY: a summary line at most this often (and when the job ends). */
  plainEveryMs?: number;
  /**
   * The command's result starts with the job's final status (`job ID: STATUS`, as `apply` prints it):
   * the job's last event is then not printed here too.
   */
  resultShowsStatus?: boolean;
}

/**
 * Long work shows progress on stderr. Up to 20 hosts: step transitions always, byte counts with
 * --verbose. Above 20 hosts: one summary line (hosts by state, MB/s, ETA), redrawn in place on a
 * TTY and printed every 10 s otherwise, with a line per host only when it finishes, retries or fails.
 */
export function progressPrinter(out: Output, opts: ProgressOptions = {}): (e: ServiceEvent) => void {
  const stream = opts.stream ?? process.stderr;
  const now = opts.now ?? Date.now;
  const above = opts.summaryAbove ?? SUMMARY_ABOVE_HOSTS;
  let summary: Summary | null = null;

  const perStep = (e: ServiceEvent): void => {
    switch (e.type) {
      case 'progress':
        out.info(`[${e.done}/${e.total}] ${e.message ?? ''}`);
        break;
      case 'host-step': {
        const secs = e.elapsedMs !== undefined ? ` ${(e.elapsedMs / 1000).toFixed(1)}s` : '';
        if (e.bytes !== undefined) {
          out.debug(
            `${e.host}: ${e.step} ${Math.round((e.bytes / Math.max(1, e.totalBytes ?? e.bytes)) * 100)}% (${(e.bytes / 1048576).toFixed(1)} MiB)${secs}`,
          );
          return;
        }
        const err = e.error ? ` — ${e.error.code}: ${e.error.message}` : '';
        if (e.status === 'started') out.debug(`${e.host}: ${e.step}…${secs}`);
        else out.info(`${e.host}: ${e.step} ${e.status}${secs}${err}`);
        break;
      }
      case 'job':
        if (!(opts.resultShowsStatus && endsJobRun(e.status))) out.info(`job ${e.jobId}: ${e.status}`);
        break;
      case 'log':
        if (e.level === 'debug') out.debug(e.message);
        else out.info(e.message);
        break;
      case 'host':
        break;
    }
  };

  return (e) => {
    if (e.type === 'job' && e.status === 'running' && e.hosts !== undefined && e.hosts > above && !out.quiet) {
      summary?.end();
      summary = new Summary(out, stream, now, e.jobId, e.hosts, opts.redrawMs ?? 250, opts.plainEveryMs ?? 10_000, !opts.resultShowsStatus);
    }
    if (summary && ('jobId' in e ? e.jobId === summary.jobId || e.jobId === undefined : true)) {
      summary.event(e);
      if (summary.ended) summary = null;
      return;
    }
    perStep(e);
  };
}

const DONE_STATES = ['succeeded', 'succeeded_with_warnings', 'awaiting_config', 'skipped', 'blocked', 'failed', 'cancelled'] as const;

class Summary {
  readonly jobId: string;
  ended = false;
  private readonly state = new Map<string, string>();
  private readonly bytes = new Map<string, number>();
  /** Hosts whose failure has been printed with its error (from the failing step). */
  private readonly told = new Set<string>();
  private readonly started: number;
  private lastDraw = 0;
  private liveShown = false;
  private timer: NodeJS.Timeout | undefined;
  /** Bytes sent at recent instants, for the MB/s of the last few seconds. */
  private readonly samples: Array<{ t: number; bytes: number }> = [];

  private readonly out: Output;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  private readonly now: () => number;
  private readonly total: number;
  private readonly redrawMs: number;
  private readonly plainEveryMs: number;
  /** Print `job ID: STATUS` when the job ends (not when the command's result prints it). */
  private readonly endLine: boolean;

  constructor(
    out: Output,
    stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    now: () => number,
    jobId: string,
    total: number,
    redrawMs: number,
    plainEveryMs: number,
    endLine: boolean,
  ) {
    this.endLine = endLine;
    this.out = out;
    this.stream = stream;
    this.now = now;
    this.total = total;
    this.redrawMs = redrawMs;
    this.plainEveryMs = plainEveryMs;
    this.jobId = jobId;
    this.started = now();
    // ETA and rate move while no event comes (every host installing): redraw each second on a
    // TTY, a line every plainEveryMs otherwise (a heartbeat in logs).
    this.timer = setInterval(() => this.draw(true), this.tty ? 1000 : plainEveryMs);
    this.timer.unref();
  }

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  event(e: ServiceEvent): void {
    switch (e.type) {
      case 'job':
        if (endsJobRun(e.status)) {
          this.draw(true, true);
          if (this.endLine) this.line(`job ${e.jobId}: ${e.status}`);
          this.end();
        }
        return;
      case 'host':
        this.state.set(e.host, e.status);
        if ((DONE_STATES as readonly string[]).includes(e.status) && !(e.status === 'failed' && this.told.has(e.host))) {
          this.line(`${e.host}: ${e.status.replace(/_/g, ' ')}`);
        }
        if (e.status === 'running' && this.out.verbose) this.line(`${e.host}: running`);
        break;
      case 'host-step':
        if (e.bytes !== undefined) {
          this.bytes.set(e.host, e.bytes);
          break;
        }
        if (e.status === 'failed' || e.status === 'retrying' || e.status === 'cancelled') {
          const err = e.error ? ` — ${e.error.code}: ${e.error.message}` : '';
          if (e.status === 'failed' || e.error) this.line(`${e.host}: ${e.step} ${e.status}${err}`);
          if (e.status === 'failed') this.told.add(e.host);
        } else if (this.out.verbose) {
          this.line(`${e.host}: ${e.step} ${e.status}`);
        }
        break;
      case 'log':
        if (e.level === 'debug') {
          if (this.out.verbose) this.line(e.message);
        } else this.line(e.message);
        break;
      case 'progress':
        // The job's own count (operation jobs tell one per settled host) is the live line's; others are kept.
        if (e.jobId !== this.jobId) this.line(`[${e.done}/${e.total}] ${e.message ?? ''}`);
        break;
    }
    this.draw(false);
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.ended = true;
  }

  /** Counts by state; hosts not heard of yet are pending. */
  counts(): Record<string, number> {
    const c: Record<string, number> = {};
    for (const s of this.state.values()) c[s] = (c[s] ?? 0) + 1;
    c.pending = (c.pending ?? 0) + Math.max(0, this.total - this.state.size);
    return c;
  }

  text(): string {
    const c = this.counts();
    const done = DONE_STATES.reduce((n, s) => n + (c[s] ?? 0), 0);
    const t = this.now();
    const sent = [...this.bytes.values()].reduce((a, b) => a + b, 0);
    this.samples.push({ t, bytes: sent });
    while (this.samples.length > 2 && t - (this.samples[0]?.t ?? t) > 10_000) this.samples.shift();
    const first = this.samples[0] ?? { t, bytes: sent };
    const rate = t > first.t ? (sent - first.bytes) / ((t - first.t) / 1000) : 0;
    const elapsed = (t - this.started) / 1000;
    const eta =
      done > 0 && done < this.total ? `ETA ${duration((elapsed / done) * (this.total - done))}` : done >= this.total ? `took ${duration(elapsed)}` : 'ETA -';
    const parts = [
      `${done}/${this.total} done`,
      DONE_STATES.filter((s) => c[s])
        .map((s) => `${c[s]} ${s.replace(/_/g, ' ')}`)
        .join(', '),
      `${c.running ?? 0} running, ${c.pending ?? 0} pending`,
      `${(rate / 1048576).toFixed(1)} MB/s`,
      eta,
    ].filter(Boolean);
    return parts.join(' | ');
  }

  /** The summary line: in place on a TTY (throttled), a plain line every plainEveryMs otherwise. */
  draw(force: boolean, final = false): void {
    if (this.ended) return;
    const t = this.now();
    const every = this.tty ? this.redrawMs : this.plainEveryMs;
    if (!force && t - this.lastDraw < every) return;
    this.lastDraw = t;
    const text = this.text();
    if (this.tty) {
      const width = Math.max(20, (this.stream.columns ?? 120) - 1);
      this.stream.write(`\r\x1b[2K${[...text].slice(0, width).join('')}${final ? '\n' : ''}`);
      this.liveShown = !final;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** A line above the live one (cleared first, redrawn by the next draw). */
  private line(text: string): void {
    if (this.tty && this.liveShown) {
      this.stream.write('\r\x1b[2K');
      this.liveShown = false;
      this.lastDraw = 0;
    }
    this.stream.write(`${text}\n`);
  }
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const m = Math.floor(s / 60);
  const sec = Math.round(s % 60);
  return m ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}
