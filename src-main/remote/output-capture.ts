/**
 * What one command printed, bounded: the first `headChars` and the last `tailChars` are kept and
 * the middle is replaced by one marker line saying how much was dropped. Our scripts print their
 * JSON result as the last line and installers their errors at the end, so the tail is what
 * callers read; the head keeps how it started for the log. 100 hosts printing 50 MB each then
 * cost the workstation at most the cap per stream instead of the whole output.
 */
export const OUTPUT_HEAD_CHARS = 64 * 1024;
export const OUTPUT_TAIL_CHARS = 960 * 1024;

export function droppedMarker(chars: number): string {
  return `\n[asr-deploy: ${chars} characters of output dropped here; the whole output is in the host's log when it was streamed there]\n`;
}

export class OutputCapture {
  private head = '';
  private tail: string[] = [];
  private tailLength = 0;
  private droppedChars = 0;
  private readonly headChars: number;
  private readonly tailChars: number;

  constructor(opts: { headChars?: number; tailChars?: number } = {}) {
    this.headChars = opts.headChars ?? OUTPUT_HEAD_CHARS;
    this.tailChars = opts.tailChars ?? OUTPUT_TAIL_CHARS;
  }

  /** Characters seen but not kept. */
  get dropped(): number {
    return this.droppedChars;
  }

  /** Characters kept (head and tail, without the marker). */
  get length(): number {
    return this.head.length + this.tailLength;
  }

  push(s: string): void {
    if (!s) return;
    if (this.head.length < this.headChars) {
      const room = this.headChars - this.head.length;
      this.head += s.slice(0, room);
      if (s.length <= room) return;
      s = s.slice(room);
    }
    this.tail.push(s);
    this.tailLength += s.length;
    // Drop whole chunks from the front, then cut the first one: amortised, no whole-output copies.
    while (this.tailLength > this.tailChars) {
      const first = this.tail[0] as string;
      const excess = this.tailLength - this.tailChars;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailLength -= first.length;
        this.droppedChars += first.length;
      } else {
        this.tail[0] = first.slice(excess);
        this.tailLength -= excess;
        this.droppedChars += excess;
      }
    }
    // Keep the chunk list short: one string once it has grown.
    if (this.tail.length > 256) this.tail = [this.tail.join('')];
  }

  text(): string {
    const tail = this.tail.join('');
    return this.droppedChars ? `${this.head}${droppedMarker(this.droppedChars)}${tail}` : `${this.head}${tail}`;
  }
}
