import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsrFailure } from '../../src-main/model/errors.ts';
import { resourcePath } from '../../src-main/model/resources.ts';
import { parseScriptOutput } from '../../src-main/remote/powershell/powershell-transport.ts';
import type { PsValue } from '../../src-main/remote/powershell/quote-ps.ts';
import type { ExecResult, Transport, TransportCapabilities, UploadResult } from '../../src-main/remote/transport.ts';

export const TRANSCRIPTS = join(import.meta.dirname, '../fixtures/windows-transcripts');

/**
 * A recorded answer of one of our scripts: `answer` is what the script returned (a JSON value, or
 * the text it printed, parsed like the real transport does); `throw` replays a failure the
 * transport would raise.
 */
export interface RecordedAnswer {
  answer?: unknown;
  throw?: { code: string; message: string };
}
/**
 * The one transcript format (test/fixtures/windows-transcripts/**.json hold `{ "$comment", "answers": Transcript }`):
 * per script file name, the answers in call order; the last answer repeats when the list runs out.
 */
export type Transcript = Record<string, RecordedAnswer[]>;

/** The answers of test/fixtures/windows-transcripts/<path>.json (e.g. `recipes/mars-reboot`, `discovery/vmm-2016`). */
export function loadTranscript(path: string): Transcript {
  return (JSON.parse(readFileSync(join(TRANSCRIPTS, `${path}.json`), 'utf8')) as { answers: Transcript }).answers;
}

export interface RecordedCall {
  host: string;
  /** The script's file name under resources/scripts/windows (or the `# NAME.ps1` of its first line). */
  script: string;
  params: Record<string, PsValue>;
  secrets: Record<string, string>;
  text: string;
}

export interface FakeUpload {
  localPath: string;
  remotePath: string;
  sha256?: string;
}

/** The subject of Microsoft's code-signing certificates (the signer of ASR packages). */
export const MICROSOFT_SUBJECT = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';

const SCRIPTS = readdirSync(resourcePath('scripts', 'windows')).filter((f) => f.endsWith('.ps1'));
const byText = new Map(SCRIPTS.map((f) => [readFileSync(resourcePath('scripts', 'windows', f), 'utf8'), f]));

/**
 * The one PowerShell test fake (pypsrp's TransportFake idea): a Transport that replays recorded
 * answers of our scripts for one host. A call is matched by the script's exact text to a file of
 * resources/scripts/windows (else by the `# NAME.ps1` of its first line), and recorded with its
 * params and secrets in `calls` (this host) and `log` (shareable across hosts, to see ordering),
 * so tests assert what would have run and that secrets stay in the secrets channel. exec is
 * refused: Windows code runs scripts with params, never command lines.
 */
export class FakePowerShell implements Transport {
  readonly kind = 'powershell' as const;
  readonly capabilities: TransportCapabilities = { scripts: true, detachedSteps: true, sudo: false, fileAcls: true };
  remoteTemp: string | null = null;
  readonly host: string;
  readonly calls: RecordedCall[] = [];
  readonly log: RecordedCall[];
  readonly uploads: FakeUpload[] = [];
  /**
   * Get-AuthenticodeSignature on this host, per uploaded file name, as documented: Status (a
   * SignatureStatus name: Valid, NotSigned, HashMismatch, NotTrusted, UnknownError, …) and
   * SignerCertificate (null when the file is not signed). Unset: a package Microsoft signed.
   */
  readonly signatures = new Map<string, { Status: string; StatusMessage?: string; SignerCertificate: { Subject: string; Thumbprint?: string } | null }>();
  connected = false;
  closed = false;
  private readonly transcript: Transcript;
  private readonly pos = new Map<string, number>();

  constructor(host: string, transcript: Transcript, log: RecordedCall[] = []) {
    this.host = host;
    this.transcript = transcript;
    this.log = log;
  }

  async connect(): Promise<void> {
    this.connected = true;
  }
  async close(): Promise<void> {
    this.closed = true;
  }

  async runScript<T = unknown>(text: string, params: Record<string, PsValue> = {}, opts: { secrets?: Record<string, string>; what?: string } = {}): Promise<T> {
    const script = byText.get(text) ?? /^#\s*([\w.-]+\.ps1)/.exec(text)?.[1] ?? '(unnamed)';
    const call: RecordedCall = { host: this.host, script, params: structuredClone(params), secrets: { ...(opts.secrets ?? {}) }, text };
    this.calls.push(call);
    this.log.push(call);
    if (script === 'verify-signature.ps1' && !this.transcript[script]) return this.authenticode(String(params.Path)) as T;
    const answers = this.transcript[script];
    if (!answers?.length) throw new Error(`${this.host}: no recorded answer for ${script}`);
    const i = this.pos.get(script) ?? 0;
    this.pos.set(script, i + 1);
    const a = answers[Math.min(i, answers.length - 1)]!;
    if (a.throw) throw new AsrFailure(a.throw.code as never, a.throw.message, { host: this.host });
    return typeof a.answer === 'string' ? parseScriptOutput<T>(a.answer, this.host, opts.what ?? script) : (structuredClone(a.answer) as T);
  }

  /** What verify-signature.ps1 prints for a file: the cmdlet's Status and SignerCertificate.Subject. */
  private authenticode(path: string): { status: string; statusMessage: string; subject: string | null; thumbprint: string | null } {
    if (!this.uploads.some((u) => u.remotePath === path)) throw new AsrFailure('not_found', `${path} is not on the host`, { host: this.host });
    const file = path.split('\\').at(-1)!;
    const sig = this.signatures.get(file) ?? {
      Status: 'Valid',
      StatusMessage: 'Signature verified.',
      SignerCertificate: { Subject: MICROSOFT_SUBJECT, Thumbprint: 'F'.repeat(40) },
    };
    return {
      status: sig.Status,
      statusMessage: sig.StatusMessage ?? '',
      subject: sig.SignerCertificate?.Subject ?? null,
      thumbprint: sig.SignerCertificate?.Thumbprint ?? null,
    };
  }

  async exec(): Promise<ExecResult> {
    throw new Error('Windows code must not build command lines for exec: run a script with params');
  }

  /** Recorded, not copied; the result names the local file's size and hash (or the expected hash given). */
  async upload(localPath: string, remotePath: string, opts: { sha256?: string } = {}): Promise<UploadResult> {
    this.uploads.push({ localPath, remotePath, ...(opts.sha256 ? { sha256: opts.sha256 } : {}) });
    const data = existsSync(localPath) ? readFileSync(localPath) : null;
    return {
      bytes: data?.length ?? 0,
      sha256: opts.sha256 ?? (data ? createHash('sha256').update(data).digest('hex') : ''),
      durationMs: 1,
      method: 'copy-item',
    };
  }

  async download(): Promise<void> {
    throw new Error('the PowerShell fake does not download');
  }
}
