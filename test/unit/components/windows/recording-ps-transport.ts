import { readdirSync, readFileSync } from 'node:fs';
import { AsrFailure } from '../../../../src-main/model/errors.ts';
import { resourcePath } from '../../../../src-main/model/resources.ts';
import type { ExecResult, Transport, UploadResult } from '../../../../src-main/remote/transport.ts';

/** A recorded answer of one of our scripts; `throw` replays a failure the transport would raise. */
export interface RecordedAnswer {
  answer?: unknown;
  throw?: { code: string; message: string };
}
/** Per script (file name), the answers in call order; the last answer repeats when the list runs out. */
export type Transcript = Record<string, RecordedAnswer[]>;

export interface RecordedCall {
  host: string;
  script: string;
  params: Record<string, unknown>;
  secrets: Record<string, string>;
  text: string;
}

const SCRIPTS = readdirSync(resourcePath('scripts', 'windows')).filter((f) => f.endsWith('.ps1'));
const byText = new Map(SCRIPTS.map((f) => [readFileSync(resourcePath('scripts', 'windows', f), 'utf8'), f]));

/** The subject of Microsoft's code-signing certificates (the signer of ASR packages). */
export const MICROSOFT_SUBJECT = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';

export function loadTranscript(name: string): Transcript {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/windows-transcripts/recipes/${name}.json`, import.meta.url), 'utf8')).answers as Transcript;
}

/**
 * Replays recorded JSON answers of resources/scripts/windows/*.ps1 for one host. It accepts only
 * our scripts (by their exact text), records every call (params, secrets, text) in `log` (shared
 * across hosts to see ordering), and refuses exec: recipes must run scripts with params.
 */
export class RecordingPsTransport implements Transport {
  readonly kind = 'powershell' as const;
  readonly capabilities = { scripts: true, detachedSteps: true, sudo: false, fileAcls: true };
  readonly remoteTemp = null;
  private readonly pos = new Map<string, number>();
  uploads: { local: string; remote: string; sha256?: string }[] = [];
  readonly host: string;
  readonly log: RecordedCall[];
  private readonly transcript: Transcript;
  constructor(host: string, transcript: Transcript, log: RecordedCall[] = []) {
    this.host = host;
    this.transcript = transcript;
    this.log = log;
  }

  async connect(): Promise<void> {}
  async close(): Promise<void> {}

  /**
   * Get-AuthenticodeSignature on this host, per uploaded file name, as documented: Status (a
   * SignatureStatus name: Valid, NotSigned, HashMismatch, NotTrusted, UnknownError, …) and
   * SignerCertificate (null when the file is not signed). Unset: a package Microsoft signed.
   */
  readonly signatures = new Map<string, { Status: string; StatusMessage?: string; SignerCertificate: { Subject: string; Thumbprint?: string } | null }>();

  async runScript<T>(script: string, params: Record<string, unknown> = {}, opts: { secrets?: Record<string, string> } = {}): Promise<T> {
    const name = byText.get(script);
    if (!name) throw new Error('not one of resources/scripts/windows/*.ps1');
    this.log.push({ host: this.host, script: name, params: structuredClone(params), secrets: { ...(opts.secrets ?? {}) }, text: script });
    if (name === 'verify-signature.ps1' && !this.transcript[name]) return this.authenticode(String(params.Path)) as T;
    const answers = this.transcript[name];
    if (!answers?.length) throw new Error(`${this.host}: no recorded answer for ${name}`);
    const i = this.pos.get(name) ?? 0;
    this.pos.set(name, i + 1);
    const a = answers[Math.min(i, answers.length - 1)]!;
    if (a.throw) throw new AsrFailure(a.throw.code as never, a.throw.message, { host: this.host });
    return structuredClone(a.answer) as T;
  }

  /** What verify-signature.ps1 prints for a file: the cmdlet's Status and SignerCertificate.Subject. */
  private authenticode(path: string): { status: string; statusMessage: string; subject: string | null; thumbprint: string | null } {
    if (!this.uploads.some((u) => u.remote === path)) throw new AsrFailure('not_found', `${path} is not on the host`, { host: this.host });
    const file = path.split('\\').at(-1)!;
    const sig = this.signatures.get(file) ?? { Status: 'Valid', StatusMessage: 'Signature verified.', SignerCertificate: { Subject: MICROSOFT_SUBJECT, Thumbprint: 'F'.repeat(40) } };
    return { status: sig.Status, statusMessage: sig.StatusMessage ?? '', subject: sig.SignerCertificate?.Subject ?? null, thumbprint: sig.SignerCertificate?.Thumbprint ?? null };
  }

  async exec(): Promise<ExecResult> {
    throw new Error('Windows recipes must not build command lines for exec');
  }
  async upload(local: string, remote: string, opts: { sha256?: string } = {}): Promise<UploadResult> {
    this.uploads.push({ local, remote, ...(opts.sha256 ? { sha256: opts.sha256 } : {}) });
    return { bytes: 1, sha256: opts.sha256 ?? '', durationMs: 1, method: 'copy-item' };
  }
  async download(): Promise<void> {
    throw new Error('not used');
  }
}
