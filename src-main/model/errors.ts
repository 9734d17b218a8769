import { z } from 'zod';
import { stripUndefined } from './objects.ts';

/**
 * Every failure crosses a boundary (CLI, IPC, WebSocket, journal) as this data, never as a thrown
 * Error subclass: Electron IPC keeps only `message` of a thrown error (electron/electron#24427).
 */
export const ERROR_CODES = [
  // input and state on the workstation
  'usage',
  'validation',
  'not_found',
  'conflict',
  'vault_locked',
  'vault_key_wrong',
  /** A plan whose configure step needs a secret it was not given (passphrase, vault credentials, proxy password). */
  'missing_secret',
  // reaching a host
  'unreachable',
  'timeout',
  'auth_failed',
  'host_key_unknown',
  'host_key_mismatch',
  'certificate_untrusted',
  'certificate_mismatch',
  /** The WinRM certificate on the connection that would carry the credential is not the pinned one. */
  'tls_pin_mismatch',
  'certificate_expired',
  'permission_denied',
  // running on a host
  'command_failed',
  'disk_full',
  'hash_mismatch',
  /** An installer whose SHA-256 no document gives and the admin has not pinned (`sources trust`). */
  'installer_untrusted',
  /** A Windows package whose Authenticode signature is not valid or not Microsoft's (Get-AuthenticodeSignature on the target). */
  'signature_invalid',
  'install_failed',
  'install_in_progress',
  'unsupported',
  'prerequisite_failed',
  'cancelled',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const AsrErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  host: z.string().optional(),
  remedy: z.string().optional(),
  retryable: z.boolean(),
  /** ASR push-install error ID this failure corresponds to (95107, 95108, 95520, ...). */
  asrErrorId: z.number().int().optional(),
  exitCode: z.number().int().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AsrError = z.infer<typeof AsrErrorSchema>;

/** Transient by nature: worth another attempt after a back-off. Authentication never is (lockout, 95520). */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['unreachable', 'timeout', 'install_in_progress']);

/** The one Error subclass: thrown inside a process, turned into AsrError data at every boundary. */
export class AsrFailure extends Error {
  readonly data: AsrError;
  constructor(code: ErrorCode, message: string, extra: Partial<Omit<AsrError, 'code' | 'message'>> = {}) {
    super(message);
    this.name = 'AsrFailure';
    this.data = { code, message, retryable: extra.retryable ?? RETRYABLE.has(code), ...stripUndefined(extra) };
  }
  toJSON(): AsrError {
    return this.data;
  }
}

export function fail(code: ErrorCode, message: string, extra?: Partial<Omit<AsrError, 'code' | 'message'>>): never {
  throw new AsrFailure(code, message, extra);
}

/** Anything caught becomes AsrError data; unknown throwables are `internal`. */
export function toAsrError(e: unknown, host?: string): AsrError {
  if (e instanceof AsrFailure) return host && !e.data.host ? { ...e.data, host } : e.data;
  const parsed = AsrErrorSchema.safeParse(e);
  if (parsed.success) return parsed.data;
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message, retryable: false, ...(host ? { host } : {}) };
}

/** CLI exit codes of cli.md: 0 ok, 1 some hosts failed, 2 usage/validation, 3 cancelled, 4 blocked by prerequisites. */
export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 3, blocked: 4 } as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'usage':
    case 'validation':
    case 'not_found':
    case 'conflict':
    case 'vault_locked':
    case 'vault_key_wrong':
    case 'missing_secret':
      return EXIT.usage;
    case 'cancelled':
      return EXIT.cancelled;
    case 'prerequisite_failed':
      return EXIT.blocked;
    default:
      return EXIT.failed;
  }
}
