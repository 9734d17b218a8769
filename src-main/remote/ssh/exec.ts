import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { fail } from '../../model/errors.ts';
import type { ExecOptions, ExecResult } from '../transport.ts';
import { OutputCapture } from '../output-capture.ts';
import { lastLines, truncate } from '../text.ts';
import type { SudoPrivilege } from './privilege.ts';
import { buildRemoteCommand, detectDiskFull, PreludeScanner, type Elevation } from './remote-command.ts';
import type { SshContext } from './ssh-options.ts';

export interface RunOptions extends ExecOptions {
  /** Streamed as the program's stdin (large uploads); takes precedence over `stdin`. */
  stdinStream?: Readable;
  /** Raw stdout bytes (downloads); when set stdout is not collected as text. */
  onStdoutBytes?: (chunk: Buffer) => void;
  /** Internal calls (kill, probes) are not logged line by line. */
  quiet?: boolean;
}

export type Run = (argv: readonly string[], opts: RunOptions) => Promise<ExecResult>;

/**
 * One command on its own session channel: the wrapper of remote-command.ts (start line with the
 * process group, cwd, env, sudo), stdin after the start line, timeout and cancel by killing the
 * process group from a second channel, and the outcome classified (timeout, cancelled, not
 * started, connection lost, disk full, non-zero exit).
 */
export class SshExec {
  private readonly ctx: SshContext;
  private readonly privilege: SudoPrivilege;

  constructor(ctx: SshContext, privilege: SudoPrivilege) {
    this.ctx = ctx;
    this.privilege = privilege;
  }

  readonly run: Run = async (argv, opts) => {
    const { host } = this.ctx;
    const client = await this.ctx.ready();
    const elevation = await this.privilege.elevation(opts.elevate, () => this.run(['id', '-u'], { quiet: true, allowNonZero: true }));
    const cmd = buildRemoteCommand(argv, { elevation, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) });
    const started = Date.now();
    if (!opts.quiet) this.ctx.log(`exec${elevation === 'none' ? '' : ` (${elevation})`}: ${truncate(argv.join(' '), 300)}`);
    if (opts.signal?.aborted) fail('cancelled', `${host}: cancelled before ${argv[0]} started`, { host });

    let exitCode = null as number | null;
    let exitSignal = null as string | null;
    let closed: Promise<void> = Promise.resolve();
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      try {
        client.exec(cmd.line, (err, ch) => {
          if (err) return reject(err);
          // Attach now, not after an await: open confirmation, exit status and close of a quick
          // command can arrive in one TCP segment and are emitted in the same tick.
          ch.on('exit', (code: number | null, signalName?: string) => {
            exitCode = code;
            exitSignal = signalName ?? null;
          });
          closed = new Promise<void>((done) => ch.once('close', () => done()));
          resolve(ch);
        });
      } catch (e) {
        reject(e);
      }
    }).catch((e: unknown) => fail('unreachable', `${host}: cannot open a session channel: ${(e as Error).message}`, { host }));

    const scanner = new PreludeScanner(cmd.nonce, cmd.sudoPrompt);
    const outDec = new StringDecoder('utf8');
    const errDec = new StringDecoder('utf8');
    // Bounded: a command printing 50 MB costs the cap, not 50 MB per host; the tail (our JSON result lines) is kept.
    const stdout = new OutputCapture();
    const stderr = new OutputCapture();
    let sudoRejected = false;
    let passwordSent = false;
    let stopping = null as 'timeout' | 'cancelled' | null;

    const feedStdin = (): void => {
      if (opts.stdinStream) {
        opts.stdinStream.on('error', () => channel.close());
        opts.stdinStream.pipe(channel);
      } else {
        if (opts.stdin !== undefined && opts.stdin.length > 0) channel.write(opts.stdin);
        channel.end();
      }
    };

    const emitStderr = (s: string): void => {
      if (!s) return;
      stderr.push(s);
      opts.onStderr?.(s);
    };

    channel.stderr.on('data', (chunk: Buffer) => {
      if (scanner.started) return emitStderr(errDec.write(chunk));
      // Before the start line only sudo and the wrapper speak; both write ASCII.
      const { newPrompts, rest } = scanner.push(chunk.toString('latin1'));
      for (let i = 0; i < newPrompts; i++) {
        const reply = this.privilege.reply(passwordSent);
        if (reply !== null) {
          passwordSent = true;
          channel.write(reply);
        } else {
          // Asked again: the password was wrong. End stdin instead of guessing (lockout).
          sudoRejected = true;
          channel.end();
        }
      }
      if (rest !== undefined) {
        emitStderr(errDec.write(Buffer.from(rest, 'latin1')));
        feedStdin();
      }
    });
    channel.on('data', (chunk: Buffer) => {
      if (opts.onStdoutBytes) return opts.onStdoutBytes(chunk);
      const s = outDec.write(chunk);
      if (!s) return;
      stdout.push(s);
      opts.onStdout?.(s);
    });

    let timer: NodeJS.Timeout | undefined;
    let killConfirmed = true;
    let giveUp: () => void = () => {};
    const abandoned = new Promise<void>((resolve) => (giveUp = resolve));
    const stop = (why: 'timeout' | 'cancelled'): void => {
      if (stopping) return;
      stopping = why;
      void this.killRemote(channel, () => scanner.started?.pgid ?? null, elevation, closed).then((gone) => {
        killConfirmed = gone;
        // The server keeps a session open while anything holds its pipes: do not wait forever.
        if (!gone) giveUp();
      });
    };
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = (): void => stop('cancelled');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // An abort while the channel was being opened fired no event for this listener: act on it now.
    if (opts.signal?.aborted) onAbort();

    await Promise.race([closed, abandoned]);
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    emitStderr(errDec.end());
    const tail = outDec.end();
    if (tail) {
      stdout.push(tail);
      opts.onStdout?.(tail);
    }
    const out = stdout.text();
    const err = stderr.text();
    const durationMs = Date.now() - started;
    const prelude = scanner.flush();
    const code = exitCode ?? -1;
    if (!opts.quiet) this.ctx.log(`exit ${exitCode ?? `signal ${exitSignal ?? '?'}`} after ${durationMs} ms: ${truncate(argv[0] ?? '', 80)}`);

    const killed = killConfirmed
      ? 'the remote process group was killed'
      : `killing the remote process group${scanner.started ? ` ${scanner.started.pgid}` : ''} could not be confirmed; check the host for leftovers`;
    if (stopping === 'timeout') {
      fail('timeout', `${host}: ${argv[0]} did not finish within ${opts.timeoutMs} ms; ${killed}`, {
        host,
        remedy: 'Raise the step timeout if the host is just slow, or look at what the command waits for.',
        details: { argv0: argv[0], pgid: scanner.started?.pgid, durationMs, killConfirmed },
      });
    }
    if (stopping === 'cancelled')
      fail('cancelled', `${host}: ${argv[0]} cancelled; ${killed}`, {
        host,
        details: { argv0: argv[0], pgid: scanner.started?.pgid, durationMs, killConfirmed },
      });

    if (!scanner.started) {
      if (scanner.noCwd) fail('not_found', `${host}: working directory ${opts.cwd ?? ''} does not exist or is not accessible`, { host });
      if (elevation !== 'none') this.privilege.failure(prelude, scanner.promptCount, sudoRejected);
      if (exitCode === null) fail('unreachable', `${host}: connection lost while starting ${argv[0]}`, { host });
      fail('command_failed', `${host}: could not start ${argv[0]}: ${truncate(prelude.trim(), 500)}`, { host, exitCode: code });
    }
    if (exitCode === null && exitSignal === null) {
      fail('unreachable', `${host}: connection lost while ${argv[0]} was running`, { host, details: { durationMs } });
    }

    if (code !== 0) {
      const full = detectDiskFull(err, out);
      if (full) {
        fail('disk_full', `${host}: ${argv[0]} failed: no space left on device${full.path ? ` (${full.path})` : ''}`, {
          host,
          exitCode: code,
          remedy: `Free space on the file system${full.path ? ` holding ${full.path}` : ''} (df -h), then run the step again.`,
          details: { path: full.path },
        });
      }
      if (!(opts.allowNonZero ?? false)) {
        // 127 is the shell's "command not found" (the wrapper's exec, or the program's own shell):
        // the same code and remedy as the PowerShell transport's missing program.
        if (code === 127 && !exitSignal) {
          fail('not_found', `${host}: ${argv[0]} exited with 127, command not found${err.trim() ? `: ${truncate(lastLines(err, 5), 800)}` : ''}`, {
            host,
            exitCode: code,
            remedy: 'Check the path or program name on the host.',
            details: { argv0: argv[0], stderrTail: truncate(lastLines(err, 20), 4000) },
          });
        }
        fail(
          'command_failed',
          `${host}: ${argv[0]} exited with ${exitSignal ? `signal ${exitSignal}` : code}${err.trim() ? `: ${truncate(lastLines(err, 5), 800)}` : ''}`,
          {
            host,
            exitCode: code,
            details: { argv0: argv[0], stderrTail: truncate(lastLines(err, 20), 4000) },
          },
        );
      }
    }
    return { exitCode: code, stdout: out, stderr: err, durationMs };
  };

  /**
   * Kill the command's process group from a second channel: TERM, then KILL after a grace period,
   * then drop the channel. Killing from outside works where a signal request over the channel
   * would reach only the login shell (and OpenSSH before 7.9 ignores those).
   */
  private async killRemote(channel: ClientChannel, pgidOf: () => number | null, elevation: Elevation, closed: Promise<void>): Promise<boolean> {
    const grace = this.ctx.opts.killGraceMs;
    // Not started yet (sudo still deciding): end stdin so sudo gives up; a start line that still
    // arrives is handled by the KILL round below.
    if (pgidOf() === null) channel.end();
    const send = async (sig: 'TERM' | 'KILL'): Promise<void> => {
      const pgid = pgidOf();
      if (pgid === null || pgid <= 1) return;
      this.ctx.log(`killing remote process group ${pgid} with SIG${sig}`);
      await this.run(['/bin/sh', '-c', 'kill -s "$1" -- "-$2" 2>&1 || kill -s "$1" "$2" 2>&1; true', 'asr-kill', sig, String(pgid)], {
        quiet: true,
        allowNonZero: true,
        elevate: elevation !== 'none',
        timeoutMs: 10_000,
      }).catch((e: unknown) => this.ctx.log(`kill ${sig} failed: ${(e as Error).message}`));
    };
    const waitClosed = (ms: number): Promise<boolean> => Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    await send('TERM');
    if (await waitClosed(grace)) return true;
    await send('KILL');
    if (await waitClosed(grace)) return true;
    this.ctx.log("the command's channel is still open after SIGKILL; dropping it");
    channel.close();
    return false;
  }
}
