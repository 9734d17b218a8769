import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScriptOutput } from '../../src-main/remote/powershell/powershell-transport.ts';
import type { PsValue } from '../../src-main/remote/powershell/quote-ps.ts';

export const TRANSCRIPTS = join(import.meta.dirname, '../fixtures/windows-transcripts');

/** The text a recorded script printed (test/fixtures/windows-transcripts/<path>). */
export const transcript = (path: string): string => readFileSync(join(TRANSCRIPTS, path), 'utf8');

export interface RecordedCall {
  /** First comment line of the script: `# NAME.ps1: …` names it. */
  script: string;
  text: string;
  params: Record<string, PsValue>;
  secrets: Record<string, string>;
}

export interface FakeUpload {
  localPath: string;
  remotePath: string;
  content: string;
}

/**
 * A PowerShell transport that replays recorded script output: each call is matched by script
 * name to a transcript (or a function of the call), and recorded with its params and secrets so
 * tests can assert exactly what would have run and that secrets stay in the secrets channel.
 */
export class FakePowerShell {
  readonly kind = 'powershell' as const;
  readonly capabilities = { scripts: true, detachedSteps: true, sudo: false, fileAcls: true };
  remoteTemp: string | null = null;
  readonly calls: RecordedCall[] = [];
  readonly uploads: FakeUpload[] = [];
  readonly removed: string[] = [];
  connected = false;
  closed = false;
  readonly host: string;
  private readonly answers: Record<string, string | ((call: RecordedCall) => string)>;
  constructor(host: string, answers: Record<string, string | ((call: RecordedCall) => string)>) {
    this.host = host;
    this.answers = answers;
  }
  async connect(): Promise<void> {
    this.connected = true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  async runScript<T = unknown>(text: string, params: Record<string, PsValue> = {}, opts: { secrets?: Record<string, string>; what?: string } = {}): Promise<T> {
    const script = /^#\s*([\w.-]+\.ps1)/.exec(text)?.[1] ?? '(unnamed)';
    const call = { script, text, params, secrets: opts.secrets ?? {} };
    this.calls.push(call);
    const a = this.answers[script];
    if (a === undefined) throw new Error(`no transcript for ${script}`);
    return parseScriptOutput<T>(typeof a === 'function' ? a(call) : a, this.host, opts.what ?? script);
  }
  async upload(localPath: string, remotePath: string): Promise<{ bytes: number; sha256: string; durationMs: number; method: string }> {
    const content = readFileSync(localPath, 'utf8');
    this.uploads.push({ localPath, remotePath, content });
    return { bytes: content.length, sha256: '0'.repeat(64), durationMs: 1, method: 'fake' };
  }
}
