import { randomBytes } from 'node:crypto';

/**
 * How a script travels to the local PowerShell and how its answer comes back.
 *
 * node-powershell writes each invocation to `pwsh -Command -` as lines; a multi-line script
 * would be parsed statement by statement (and a block left open waits for a blank line), so every
 * invocation is ONE line: the script as base64 text, compiled and dot-sourced. The answer is
 * exactly one JSON document between markers with a per-call nonce; banners, progress records,
 * ANSI sequences or a profile's output around it are ignored.
 */
export interface FrameAnswer<T = unknown> {
  ok: boolean;
  value?: T;
  error?: PsErrorRecord;
}

/** An ErrorRecord as data (see FRAME_ERROR_FUNCTION). */
export interface PsErrorRecord {
  message: string;
  fqid: string | null;
  category: string | null;
  type: string | null;
  hresult: number | null;
  inner: string | null;
  innerType: string | null;
  /** Our scripts throw `ASR:<code>:<text>` for conditions they recognise (disk full, not found). */
  asrCode: string | null;
  errorCode: number | null;
}

export const newNonce = (): string => randomBytes(8).toString('hex');

/** Converts any caught ErrorRecord into a hashtable; Windows PowerShell 4.0 compatible. */
const FRAME_ERROR_FUNCTION = String.raw`function __AsrErr($e) {
  $x = $e.Exception; $in = $x; while ($in.InnerException) { $in = $in.InnerException }
  $m = [string]$x.Message
  $code = $null; if ($m -match '^ASR:([a-z_]+):') { $code = $Matches[1] }
  $ec = $null; try { if ($x.ErrorCode -is [int]) { $ec = $x.ErrorCode } } catch { }
  @{ message = $m; fqid = [string]$e.FullyQualifiedErrorId; category = [string]$e.CategoryInfo.Category; type = $x.GetType().FullName;
     hresult = $x.HResult; inner = $(if ($in -ne $x) { [string]$in.Message } else { $null }); innerType = $(if ($in -ne $x) { $in.GetType().FullName } else { $null }); asrCode = $code; errorCode = $ec }
}`;

/** The text sent to node-powershell's invoke(): one line. */
export function frameInvocation(body: string, nonce: string): string {
  const script = [
    FRAME_ERROR_FUNCTION,
    `$ErrorActionPreference = 'Stop'`,
    `$__asrOut = $null`,
    `try { $__asrOut = @{ ok = $true; value = $(& {`,
    body,
    `}) } } catch { $__asrOut = @{ ok = $false; error = (__AsrErr $_) } }`,
    `[Console]::Out.WriteLine('@@ASR-BEGIN:${nonce}@@' + (ConvertTo-Json -InputObject $__asrOut -Compress -Depth 12) + '@@ASR-END:${nonce}@@')`,
  ].join('\n');
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  return `. ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64}'))))`;
}

/** Finds the answer of one call in the process output; null when the markers are missing. */
export function parseFramed<T = unknown>(stdout: string, nonce: string): FrameAnswer<T> | null {
  const begin = `@@ASR-BEGIN:${nonce}@@`;
  const end = `@@ASR-END:${nonce}@@`;
  const i = stdout.indexOf(begin);
  if (i < 0) return null;
  const j = stdout.indexOf(end, i + begin.length);
  if (j < 0) return null;
  return JSON.parse(stdout.slice(i + begin.length, j)) as FrameAnswer<T>;
}

/**
 * The line that reads one secret from the process's stdin into `$global:<name>`: the secret
 * follows on the next line as base64 (so any character, newlines included, stays one line). It
 * never passes through invoke(), so node-powershell's history and debug output never hold it.
 */
export function secretReadLine(variable: string): string {
  if (!/^__asr[A-Za-z]+$/.test(variable)) throw new Error(`bad variable ${variable}`);
  return `$global:${variable} = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String([Console]::In.ReadLine()))`;
}

/** Preamble of every local process: UTF-8 output, Stop on errors, no progress bars, plain text. */
export const PREAMBLE = [
  `[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding($false)`,
  `$OutputEncoding = New-Object System.Text.UTF8Encoding($false)`,
  `$global:ErrorActionPreference = 'Stop'`,
  `$global:ProgressPreference = 'SilentlyContinue'`,
  `$global:ConfirmPreference = 'None'`,
  `if ($PSVersionTable.PSVersion.Major -ge 7 -and (Get-Variable PSStyle -ErrorAction SilentlyContinue)) { $PSStyle.OutputRendering = 'PlainText' }`,
  `@{ ps = $PSVersionTable.PSVersion.ToString(); pid = $PID; edition = [string]$PSVersionTable.PSEdition }`,
].join('\n');
