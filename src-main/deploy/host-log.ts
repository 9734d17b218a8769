import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { REDACTED, redactText } from '../model/redact.ts';

/**
 * One log file per host per job (`<home>/logs/<job>/<host>.log`). Every known secret value is
 * replaced before a line is written, so a password echoed by a remote program never lands on disk.
 */
export class HostLog {
  readonly path: string;
  private readonly secrets: string[];
  constructor(home: string, jobId: string, host: string, secrets: readonly (string | undefined)[] = []) {
    const dir = join(home, 'logs', jobId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = join(dir, `${host.replace(/[^A-Za-z0-9._-]/g, '_')}.log`);
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...new Set(secrets.filter((s): s is string => !!s && s.length >= 3))].sort((a, b) => b.length - a.length);
  }
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    // Then the one redactor: every secret value this process has stored or read.
    return redactText(out);
  }
  line(text: string): void {
    const stamp = new Date().toISOString();
    const body = this.redact(text)
      .split(/\r?\n/)
      .map((l) => `${stamp} ${l}`)
      .join('\n');
    // Written synchronously as before (a killed process loses no line), to a descriptor kept open
    // while lines keep coming: opening and closing the file for each line was most of its cost.
    writeSync(this.fd(), body + '\n');
  }

  private handle: number | null = null;
  private lastWrite = 0;
  private opens = 0;
  private fd(): number {
    this.lastWrite = Date.now();
    if (this.handle !== null) return this.handle;
    this.handle = openSync(this.path, 'a', 0o600);
    const opened = ++this.opens;
    // Closed once idle, so nobody has to remember to: a long-lived process (the desktop app) keeps no descriptor per host.
    const idle = (): void => {
      if (this.handle === null || opened !== this.opens) return;
      if (Date.now() - this.lastWrite < HostLog.IDLE_CLOSE_MS) {
        setTimeout(idle, HostLog.IDLE_CLOSE_MS).unref();
        return;
      }
      this.close();
    };
    setTimeout(idle, HostLog.IDLE_CLOSE_MS).unref();
    return this.handle;
  }

  static IDLE_CLOSE_MS = 2000;

  /** Closes the file now (the next line opens it again). */
  close(): void {
    if (this.handle === null) return;
    closeSync(this.handle);
    this.handle = null;
  }
}
