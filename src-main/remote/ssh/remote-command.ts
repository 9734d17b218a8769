import { randomBytes } from 'node:crypto';
import { fail } from '../../model/errors.ts';
import { shJoin, shQuote } from '../quote-posix.ts';

/**
 * The small sh wrapper every command runs in. It applies cwd and env from arguments (never from
 * text spliced into the script), reports its PID and process group on stderr behind a per-call
 * nonce, then execs the program, so a timeout can kill the whole group over a second channel.
 * Under sudo it runs after authentication, so its report also says "sudo is done, stdin is now
 * the program's".
 */
export const WRAPPER_SCRIPT = [
  'n=$1; c=$2; shift 2',
  'while [ "$#" -gt 0 ]; do case $1 in --) shift; break;; esac; export "$1" || exit 125; shift; done',
  // No /dev/null anywhere: a host where it is unusable must not break the wrapper (cd's own
  // message lands before the start line, where the caller never sees it as program output).
  'if [ -n "$c" ]; then cd -- "$c" || { printf \'%s:nocwd\\n\' "$n" >&2; exit 125; }; fi',
  'g=$$',
  // Field 5 of /proc/PID/stat is the process group; comm is "(sh)", so plain splitting is safe.
  'if [ -r /proc/$$/stat ]; then read -r _p _c _s _pp g _r < /proc/$$/stat || g=$$; fi',
  'printf \'%s:start:%s:%s\\n\' "$n" "$$" "$g" >&2',
  'exec "$@"',
].join('\n');

export type Elevation = 'none' | 'sudo-nopasswd' | 'sudo-password';

export interface RemoteCommand {
  /** The string handed to the login shell (ssh exec request). */
  line: string;
  nonce: string;
  /** What sudo prints when, and only when, it wants the password. */
  sudoPrompt?: string;
}

export interface RemoteCommandOptions {
  cwd?: string;
  env?: Record<string, string>;
  elevation: Elevation;
  nonce?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function buildRemoteCommand(argv: readonly string[], opts: RemoteCommandOptions): RemoteCommand {
  if (argv.length === 0) fail('validation', 'cannot run an empty command line');
  const nonce = opts.nonce ?? `asr${randomBytes(9).toString('hex')}`;
  const envWords: string[] = [];
  for (const [name, value] of Object.entries(opts.env ?? {})) {
    if (!ENV_NAME.test(name)) fail('validation', `invalid environment variable name ${JSON.stringify(name)}`);
    envWords.push(`${name}=${value}`);
  }
  const inner = ['/bin/sh', '-c', WRAPPER_SCRIPT, 'asr-exec', nonce, opts.cwd ?? '', ...envWords, '--', ...argv];
  if (opts.elevation === 'none') return { line: `exec ${shJoin(inner)}`, nonce };
  if (opts.elevation === 'sudo-nopasswd') return { line: `exec sudo -n -- ${shJoin(inner)}`, nonce };
  // A prompt unique to this call: the password is written only after sudo prints it, so it can
  // never reach the program's stdin when sudo did not ask (NOPASSWD rule, cached credentials).
  const sudoPrompt = `[${nonce}:sudo-password]`;
  return { line: `exec sudo -S -p ${shQuote(sudoPrompt)} -- ${shJoin(inner)}`, nonce, sudoPrompt };
}

/** Scans stderr bytes that arrive before the wrapper's start line. */
export class PreludeScanner {
  private buf = '';
  private prompts = 0;
  started: { pid: number; pgid: number } | null = null;
  noCwd = false;
  /** Everything before the start line that is not ours: sudo's own messages. */
  foreign = '';
  private readonly nonce: string;
  private readonly sudoPrompt: string | undefined;

  constructor(nonce: string, sudoPrompt?: string) {
    this.nonce = nonce;
    this.sudoPrompt = sudoPrompt;
  }

  /**
   * Feed a chunk; returns new sudo prompts seen, and once started, the bytes that follow the start
   * line (they belong to the program).
   */
  push(chunk: string): { newPrompts: number; rest?: string } {
    this.buf += chunk;
    let newPrompts = 0;
    for (;;) {
      if (this.sudoPrompt) {
        const i = this.buf.indexOf(this.sudoPrompt);
        if (i >= 0) {
          this.foreign += this.buf.slice(0, i);
          this.buf = this.buf.slice(i + this.sudoPrompt.length);
          newPrompts++;
          this.prompts++;
          continue;
        }
      }
      const startRe = new RegExp(`${this.nonce}:start:(\\d+):(\\d+)\\n`);
      const m = startRe.exec(this.buf);
      if (m) {
        this.foreign += this.buf.slice(0, m.index);
        const rest = this.buf.slice(m.index + m[0].length);
        this.buf = '';
        this.started = { pid: Number(m[1]), pgid: Number(m[2]) };
        return { newPrompts, rest };
      }
      const nocwd = `${this.nonce}:nocwd\n`;
      const j = this.buf.indexOf(nocwd);
      if (j >= 0) {
        this.noCwd = true;
        this.foreign += this.buf.slice(0, j);
        this.buf = this.buf.slice(j + nocwd.length);
        continue;
      }
      return { newPrompts };
    }
  }

  get promptCount(): number {
    return this.prompts;
  }

  /** Whatever never matched, at the end of the command. */
  flush(): string {
    this.foreign += this.buf;
    this.buf = '';
    return this.foreign;
  }
}

export type SudoProblem = 'wrong_password' | 'password_required' | 'not_allowed' | 'needs_tty' | 'no_sudo';

/** Why sudo refused, from what it printed before the program started. */
export function classifySudoFailure(stderr: string, promptsSeen: number): SudoProblem | null {
  if (/a terminal is required|must have a tty|no tty present/i.test(stderr)) return 'needs_tty';
  if (/a password is required/i.test(stderr)) return 'password_required';
  if (/not in the sudoers|is not allowed to (run|execute)|may not run sudo/i.test(stderr)) return 'not_allowed';
  if (/incorrect password|Sorry, try again|no password was provided/i.test(stderr) || promptsSeen > 1) return 'wrong_password';
  if (/sudo: (command )?not found|sudo: No such file/i.test(stderr)) return 'no_sudo';
  return null;
}

/** `No space left on device` anywhere in the output, with the path when the tool named it. */
export function detectDiskFull(...outputs: string[]): { path?: string } | null {
  for (const out of outputs) {
    if (!/No space left on device/i.test(out)) continue;
    const m =
      /(?:cannot (?:create|write to|open)|write error:?|error writing|failed to write)?\s*[‘'"`]?(\/[^\s'"`’:]*)[’'"`]?\s*:\s*(?:[^:\n]*:\s*)?No space left on device/i.exec(
        out,
      );
    return m?.[1] ? { path: m[1] } : {};
  }
  return null;
}

/**
 * Sets `h` to the host's SHA-256 command reading stdin: openssl where it works (its SHA-256 uses the
 * CPU's SHA extensions; Debian's and RHEL's coreutils sha256sum does not: 0.12 against 0.65 CPU s per
 * 100 MB on the lab, once per host in a bulk push), then sha256sum, then shasum on BSD-flavoured
 * hosts; `$want` = `openssl` or `sha256sum` forces that tool (tests). None: exit 4.
 */
const PICK_SHA256_TOOL = [
  'if [ "$want" != sha256sum ] && command -v openssl >/dev/null 2>&1 && echo | openssl dgst -sha256 >/dev/null 2>&1; then h="openssl dgst -sha256"',
  'elif [ "$want" != openssl ] && command -v sha256sum >/dev/null 2>&1; then h=sha256sum',
  'elif command -v shasum >/dev/null 2>&1; then h="shasum -a 256"',
  'else echo "asr:no-hash-tool" >&2; exit 4; fi',
];

/**
 * Hash a remote file read through a redirect (so no path can look like an option), with the tool
 * PICK_SHA256_TOOL chose (`$2` forces one). Output: one line with the hex digest somewhere in it.
 */
export const REMOTE_SHA256_SCRIPT = ['p=$1; want=$2', '[ -r "$p" ] || { echo "asr:unreadable" >&2; exit 3; }', ...PICK_SHA256_TOOL, '$h < "$p"'].join('\n');

/**
 * Unpacks a .tar.gz read from stdin into `$1` (made fresh; the staging folder around it is the private one) and hashes the same bytes on the way
 * (tee into a FIFO that PICK_SHA256_TOOL's command reads): one pass over the stream does both
 * and the tarball is never written to the target's disk. The installer runs later, only once the
 * workstation has compared the hash. Prints `asr:unpack tar=N hash=N`, then the hash tool's line.
 */
export const REMOTE_UNPACK_SCRIPT = [
  'x=$1; f=$1.sha256-fifo; o=$1.sha256; want=auto',
  'umask 077',
  // The tool first: a host without one is refused before anything is made.
  ...PICK_SHA256_TOOL,
  'rm -rf -- "$x" "$f" "$o" && mkdir -- "$x" && mkfifo -- "$f" || { echo "asr:cannot-prepare" >&2; exit 20; }',
  '$h < "$f" > "$o" & hp=$!',
  'tee -- "$f" | tar -xzf - -C "$x"; t=$?',
  'wait "$hp"; hr=$?',
  'echo "asr:unpack tar=$t hash=$hr"; cat -- "$o" 2>/dev/null',
  'rm -f -- "$f" "$o"',
].join('\n');

/** The exit codes and hash line REMOTE_UNPACK_SCRIPT printed; null when its status line is missing. */
export function parseUnpackOutput(stdout: string): { tar: number; hash: number; sha256: string | null } | null {
  const m = /asr:unpack tar=(\d+) hash=(\d+)/.exec(stdout);
  if (!m) return null;
  return { tar: Number(m[1]), hash: Number(m[2]), sha256: parseSha256Output(stdout.slice(m.index + m[0].length)) };
}

export function parseSha256Output(stdout: string): string | null {
  const m = /(?:^|[\s=])([0-9a-fA-F]{64})(?:\s|$)/.exec(stdout);
  return m?.[1] ? m[1].toLowerCase() : null;
}

/** Free space check before a transfer; `df -P` is the portable output format. */
export function parseDfAvailableBytes(stdout: string): number | null {
  const lines = stdout.trim().split('\n');
  const last = lines[lines.length - 1];
  if (!last || lines.length < 2) return null;
  const cols = last.trim().split(/\s+/);
  const avail = Number(cols[3]);
  return Number.isFinite(avail) ? avail * 1024 : null;
}
