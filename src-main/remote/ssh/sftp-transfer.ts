import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { posix as posixPath } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import { AsrFailure, fail } from '../../model/errors.ts';
import type { TransferOptions, UploadResult } from '../transport.ts';
import { mbps, truncate } from '../text.ts';
import { checkedLocalFile, verifyDownloaded, verifyUploaded } from '../transfer-verify.ts';
import type { Run } from './exec.ts';
import { parseDfAvailableBytes, parseSha256Output, parseUnpackOutput, REMOTE_SHA256_SCRIPT, REMOTE_UNPACK_SCRIPT } from './remote-command.ts';
import type { SshContext, UploadMethod } from './ssh-options.ts';

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that ssh2 puts on `err.code`. */
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;

/** Bytes an SFTP WRITE adds around its data: length, type, id, handle (OpenSSH's is 4 bytes), offset, data length. */
export const SFTP_WRITE_OVERHEAD = 4 + 1 + 4 + (4 + 4) + 8 + 4;
/** WRITEs in flight per upload: enough to fill a LAN or WAN pipe, half of ssh2's 64 (below). */
export const SFTP_UPLOAD_CONCURRENCY = 32;

/**
 * fastPut's chunk size and requests in flight for a channel whose peer takes `packetSize` bytes
 * per channel packet (OpenSSH: 32768). ssh2's default 32768-byte chunks make every WRITE one full
 * packet plus a 29-byte second one, twice the packets to frame, encrypt and decrypt; 64 requests in
 * flight keep sshd's 2 MB buffers full. Measured on the lab (10 hosts × 100 MB in parallel): the
 * targets' sshd CPU per GB fell from 15-16 s (32768 × 64) to 5-6 s (one packet per WRITE, 32 in
 * flight); the workstation's from ~6 s to ~5 s.
 */
export function sftpUploadShape(packetSize: number | undefined): { chunkSize: number; concurrency: number } {
  const pkt = packetSize && packetSize > SFTP_WRITE_OVERHEAD + 1024 ? Math.min(packetSize, 256 * 1024) : 32768;
  return { chunkSize: pkt - SFTP_WRITE_OVERHEAD, concurrency: SFTP_UPLOAD_CONCURRENCY };
}

/**
 * Uploads and downloads over SFTP (fastPut/fastGet, an SFTP stream) with `cat` over exec as the
 * fallback, verified through transfer-verify.ts: free space checked first, the target's SHA-256
 * compared after, a corrupt or partial copy removed. One SFTP session per connection, reopened
 * after the connection or a stopped transfer drops it.
 */
export class SftpTransfers {
  private readonly ctx: SshContext;
  private readonly run: Run;
  private sftpSession: Promise<SFTPWrapper> | null = null;

  constructor(ctx: SshContext, run: Run) {
    this.ctx = ctx;
    this.run = run;
  }

  /** The connection closed: the next transfer opens a new SFTP session. */
  reset(): void {
    this.sftpSession = null;
  }

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      this.sftpSession = this.ctx.ready().then(
        (client) =>
          new Promise<SFTPWrapper>((resolve, reject) => {
            client.sftp((err, s) => {
              if (err) return reject(err);
              s.on('close', () => {
                if (this.sftpSession && this.sftpSessionValue === s) this.sftpSession = null;
              });
              this.sftpSessionValue = s;
              resolve(s);
            });
          }),
      );
      this.sftpSession.catch(() => {
        this.sftpSession = null;
      });
    }
    return this.sftpSession;
  }
  private sftpSessionValue: SFTPWrapper | null = null;

  /** SHA-256 (hex) of a file on the target (openssl first, REMOTE_SHA256_SCRIPT); `tool` forces one tool (tests). */
  async remoteSha256(remotePath: string, opts: { tool?: 'auto' | 'openssl' | 'sha256sum'; elevate?: boolean } = {}): Promise<string> {
    const r = await this.run(['/bin/sh', '-c', REMOTE_SHA256_SCRIPT, 'asr-sha256', remotePath, opts.tool ?? 'auto'], {
      quiet: true,
      allowNonZero: true,
      elevate: opts.elevate ?? false,
    });
    const hash = parseSha256Output(r.stdout);
    if (r.exitCode === 3) fail('not_found', `${this.ctx.host}: ${remotePath} does not exist or is not readable`, { host: this.ctx.host });
    if (r.exitCode === 4)
      fail('unsupported', `${this.ctx.host}: no SHA-256 tool (sha256sum, openssl, shasum) on the host`, {
        host: this.ctx.host,
        remedy: 'Install coreutils or openssl on the host.',
      });
    if (!hash)
      fail('command_failed', `${this.ctx.host}: could not hash ${remotePath}: ${truncate(r.stderr.trim(), 300)}`, {
        host: this.ctx.host,
        exitCode: r.exitCode,
      });
    return hash;
  }

  async upload(localPath: string, remotePath: string, opts: TransferOptions = {}): Promise<UploadResult> {
    const started = Date.now();
    const { size, sha256: localHash } = await checkedLocalFile(this.ctx.host, localPath, opts.sha256);
    await this.ctx.ready();
    await this.checkFreeSpace(remotePath, size);

    const methods = this.ctx.opts.uploadMethods ?? ['sftp-fastput', 'sftp-stream', 'exec-cat'];
    let used: UploadMethod | null = null;
    let lastError: unknown;
    for (const method of methods) {
      try {
        await this.withDeadline(this.transferWith(method, localPath, remotePath, size, opts), opts, `upload of ${posixPath.basename(remotePath)}`);
        used = method;
        break;
      } catch (e) {
        lastError = e;
        const failure = await this.classifyWriteFailure(e, remotePath, size);
        if (failure) {
          await this.removeRemote(remotePath);
          throw failure;
        }
        this.ctx.log(`upload via ${method} failed (${(e as Error).message}); trying the next method`);
      }
    }
    if (used === null) {
      await this.removeRemote(remotePath);
      throw lastError instanceof AsrFailure
        ? lastError
        : new AsrFailure('command_failed', `${this.ctx.host}: upload to ${remotePath} failed with every method: ${(lastError as Error)?.message}`, {
            host: this.ctx.host,
          });
    }

    if (opts.mode !== undefined) await this.run(['chmod', '--', (opts.mode & 0o7777).toString(8), remotePath], { quiet: true });
    await verifyUploaded(this.ctx.host, remotePath, localHash, await this.remoteSha256(remotePath), used, () => this.removeRemote(remotePath));
    const durationMs = Date.now() - started;
    this.ctx.log(`uploaded ${size} bytes to ${remotePath} via ${used} in ${durationMs} ms (${mbps(size, durationMs)} MB/s), sha256 ${localHash}`);
    return { bytes: size, sha256: localHash, durationMs, method: used };
  }

  /**
   * Streams a local .tar.gz over an exec channel into REMOTE_UNPACK_SCRIPT: unpacked into `remoteDir`
   * and hashed on the target from the same bytes, the tarball never written there. The local file's
   * hash is checked first (the expected one), the target's after; on any failure `remoteDir` is removed.
   */
  async uploadUnpacked(localPath: string, remoteDir: string, opts: TransferOptions = {}): Promise<UploadResult> {
    const started = Date.now();
    const host = this.ctx.host;
    const { size, sha256: localHash } = await checkedLocalFile(host, localPath, opts.sha256);
    await this.ctx.ready();
    await this.checkFreeSpace(remoteDir, size);
    const remove = () =>
      this.run(['rm', '-rf', '--', remoteDir], { quiet: true, allowNonZero: true }).then(
        () => undefined,
        () => undefined,
      );
    let r;
    try {
      r = await this.run(['/bin/sh', '-c', REMOTE_UNPACK_SCRIPT, 'asr-unpack', remoteDir], {
        stdinStream: countingReader(localPath, size, opts.onProgress),
        quiet: true,
        allowNonZero: true,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
    } catch (e) {
      await remove();
      throw e;
    }
    const out = parseUnpackOutput(r.stdout);
    if (r.exitCode === 4)
      fail('unsupported', `${host}: no SHA-256 tool (openssl, sha256sum, shasum) on the host`, { host, remedy: 'Install coreutils or openssl on the host.' });
    if (!out || out.tar !== 0 || out.hash !== 0) {
      const why = truncate(r.stderr.trim() || r.stdout.trim(), 300);
      await remove();
      if (/No space left/i.test(r.stderr)) {
        const avail = await this.availableBytes(posixPath.dirname(remoteDir));
        throw this.diskFull(`${remoteDir}/`, size, avail ?? 0);
      }
      if (/Permission denied|cannot-prepare/i.test(r.stderr)) throw this.permissionDenied(remoteDir);
      fail('command_failed', `${host}: unpacking ${posixPath.basename(localPath)} into ${remoteDir} failed (tar exit ${out?.tar ?? r.exitCode}): ${why}`, {
        host,
        exitCode: out?.tar ?? r.exitCode,
        remedy: 'Check that the installer is a .tar.gz and that tar and gzip work on the host; or stage with --upload-method sftp.',
      });
    }
    await verifyUploaded(host, remoteDir, localHash, out.sha256 ?? '(none)', 'tar-stream', remove);
    const durationMs = Date.now() - started;
    this.ctx.log(
      `streamed ${size} bytes into ${remoteDir} (unpacked on the target, tarball not written) in ${durationMs} ms (${mbps(size, durationMs)} MB/s), sha256 ${localHash}`,
    );
    return { bytes: size, sha256: localHash, durationMs, method: 'tar-stream' };
  }

  private async transferWith(method: UploadMethod, localPath: string, remotePath: string, size: number, opts: TransferOptions): Promise<void> {
    const progress = opts.onProgress;
    if (method === 'exec-cat') {
      // umask keeps the file private until an explicit mode is applied.
      await this.run(['/bin/sh', '-c', 'umask 077; cat > "$1"', 'asr-put', remotePath], {
        stdinStream: countingReader(localPath, size, progress),
        quiet: true,
      });
      return;
    }
    const sftp = await this.sftp();
    const mode = opts.mode ?? 0o600;
    const transfer =
      method === 'sftp-fastput'
        ? new Promise<void>((resolve, reject) => {
            sftp.fastPut(
              localPath,
              remotePath,
              {
                mode,
                ...sftpUploadShape((sftp as unknown as { outgoing?: { packetSize?: number } }).outgoing?.packetSize),
                ...(progress ? { step: (done: number, _chunk: number, total: number) => progress(done, total) } : {}),
              },
              (err) => (err ? reject(err) : resolve()),
            );
          })
        : pipeline(countingReader(localPath, size, progress), sftp.createWriteStream(remotePath, { mode }));
    // ssh2's fastPut never calls back when the connection drops under it: settle on the close instead.
    await this.orConnectionLost(transfer, sftp, `the upload of ${posixPath.basename(remotePath)}`);
  }

  /** `work`, or `unreachable` (retryable) as soon as the SFTP session or the connection closes. */
  private async orConnectionLost<T>(work: Promise<T>, sftp: SFTPWrapper, what: string): Promise<T> {
    const client = this.ctx.current();
    let onClose = (): void => undefined;
    const lost = new Promise<never>((_, reject) => {
      onClose = () =>
        reject(
          new AsrFailure('unreachable', `${this.ctx.host}: the connection was lost during ${what}`, {
            host: this.ctx.host,
            remedy: 'Check that sshd is running on the host and the network path is up; the step is retried.',
          }),
        );
    });
    sftp.once('close', onClose);
    client?.once('close', onClose);
    try {
      return await Promise.race([work, lost]);
    } finally {
      sftp.removeListener('close', onClose);
      client?.removeListener('close', onClose);
      work.catch(() => undefined);
    }
  }

  /** Errors that no other method would fix: stop and say why. null means "try the next method". */
  private async classifyWriteFailure(e: unknown, remotePath: string, size: number): Promise<AsrFailure | null> {
    if (e instanceof AsrFailure) {
      if (e.data.code === 'command_failed')
        return (await this.diskFullAt(remotePath, size)) ?? (/Permission denied/i.test(e.message) ? this.permissionDenied(remotePath) : e);
      return e;
    }
    const code = (e as { code?: unknown }).code;
    if (code === SFTP_PERMISSION_DENIED || /EACCES|permission denied/i.test((e as Error).message)) return this.permissionDenied(remotePath);
    if (code === SFTP_NO_SUCH_FILE) {
      return new AsrFailure('not_found', `${this.ctx.host}: the directory ${posixPath.dirname(remotePath)} does not exist`, {
        host: this.ctx.host,
        remedy: 'Create the staging directory first.',
      });
    }
    if (code === SFTP_FAILURE || /ENOSPC|No space/i.test((e as Error).message)) return this.diskFullAt(remotePath, size);
    return null;
  }

  private permissionDenied(remotePath: string): AsrFailure {
    return new AsrFailure('permission_denied', `${this.ctx.host}: ${this.ctx.opts.username} may not write ${remotePath}`, {
      host: this.ctx.host,
      retryable: false,
      remedy: `Stage the file in a directory ${this.ctx.opts.username} can write (e.g. its home or /tmp), or connect as root.`,
    });
  }

  /** SFTP reports ENOSPC as a bare "Failure"; ask df whether the file system is full. */
  private async diskFullAt(remotePath: string, size: number): Promise<AsrFailure | null> {
    const avail = await this.availableBytes(posixPath.dirname(remotePath));
    if (avail === null || avail >= Math.min(size, 1024 * 1024)) return null;
    return this.diskFull(remotePath, size, avail);
  }

  private diskFull(remotePath: string, size: number, avail: number): AsrFailure {
    const dir = posixPath.dirname(remotePath);
    return new AsrFailure('disk_full', `${this.ctx.host}: not enough space in ${dir} for ${remotePath} (${size} bytes needed, ${avail} available)`, {
      host: this.ctx.host,
      remedy: `Free at least ${Math.ceil(size / 1024 / 1024)} MB in ${dir} on the host (df -h ${dir}), or stage the file on another file system.`,
      details: { path: dir, needed: size, available: avail },
    });
  }

  private async availableBytes(dir: string): Promise<number | null> {
    const r = await this.run(['df', '-P', '-k', '--', dir], { quiet: true, allowNonZero: true }).catch(() => null);
    return r && r.exitCode === 0 ? parseDfAvailableBytes(r.stdout) : null;
  }

  private async checkFreeSpace(remotePath: string, size: number): Promise<void> {
    const avail = await this.availableBytes(posixPath.dirname(remotePath));
    // A file being replaced frees its own space; only refuse when even that cannot help.
    if (avail !== null && avail < size) {
      const existing = await this.run(['/bin/sh', '-c', 'if [ -f "$1" ]; then wc -c < "$1"; else echo 0; fi', 'asr-size', remotePath], {
        quiet: true,
        allowNonZero: true,
      }).catch(() => null);
      const old = Number(existing?.stdout.trim() ?? 0) || 0;
      if (avail + old < size) throw this.diskFull(remotePath, size, avail);
    }
  }

  private async removeRemote(remotePath: string): Promise<void> {
    await this.run(['rm', '-f', '--', remotePath], { quiet: true, allowNonZero: true }).catch(() => {});
  }

  async download(remotePath: string, localPath: string, opts: TransferOptions = {}): Promise<void> {
    const started = Date.now();
    await this.ctx.ready();
    const partial = `${localPath}.part`;
    let method = 'sftp-fastget';
    try {
      await this.withDeadline(
        (async () => {
          try {
            const sftp = await this.sftp();
            const fetch = new Promise<void>((resolve, reject) => {
              sftp.fastGet(
                remotePath,
                partial,
                opts.onProgress ? { step: (done: number, _c: number, total: number) => opts.onProgress?.(done, total) } : {},
                (err) => (err ? reject(err) : resolve()),
              );
            });
            await this.orConnectionLost(fetch, sftp, `the download of ${posixPath.basename(remotePath)}`);
          } catch (e) {
            if (e instanceof AsrFailure && e.data.code === 'unreachable') throw e;
            const code = (e as { code?: unknown }).code;
            if (code === SFTP_NO_SUCH_FILE) fail('not_found', `${this.ctx.host}: ${remotePath} does not exist`, { host: this.ctx.host });
            if (code === SFTP_PERMISSION_DENIED)
              fail('permission_denied', `${this.ctx.host}: ${this.ctx.opts.username} may not read ${remotePath}`, { host: this.ctx.host, retryable: false });
            method = 'exec-cat';
            this.ctx.log(`download via SFTP failed (${(e as Error).message}); using cat over exec`);
            const out = createWriteStream(partial);
            let got = 0;
            try {
              await this.run(['/bin/sh', '-c', 'exec cat < "$1"', 'asr-get', remotePath], {
                quiet: true,
                onStdoutBytes: (chunk) => {
                  out.write(chunk);
                  got += chunk.length;
                  opts.onProgress?.(got, got);
                },
              });
            } finally {
              await new Promise<void>((r) => out.end(() => r()));
            }
          }
        })(),
        opts,
        `download of ${posixPath.basename(remotePath)}`,
      );
      await verifyDownloaded(this.ctx.host, remotePath, partial, localPath, this.remoteSha256(remotePath), opts.sha256);
      const size = (await stat(localPath)).size;
      this.ctx.log(`downloaded ${size} bytes from ${remotePath} via ${method} in ${Date.now() - started} ms`);
    } catch (e) {
      await rm(partial, { force: true });
      if (e instanceof AsrFailure) throw e;
      throw new AsrFailure('command_failed', `${this.ctx.host}: download of ${remotePath} failed: ${(e as Error).message}`, { host: this.ctx.host });
    }
  }

  /** Bound a transfer by `timeoutMs` and `signal`: the SFTP session is torn down to stop it. */
  private async withDeadline<T>(work: Promise<T>, opts: TransferOptions, what: string): Promise<T> {
    if (opts.timeoutMs === undefined && !opts.signal) return work;
    if (opts.signal?.aborted) fail('cancelled', `${this.ctx.host}: ${what} cancelled`, { host: this.ctx.host });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopper = new Promise<never>((_, reject) => {
      const stop = (f: AsrFailure): void => {
        this.sftpSessionValue?.end();
        this.sftpSession = null;
        reject(f);
      };
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(
          () => stop(new AsrFailure('timeout', `${this.ctx.host}: ${what} did not finish within ${opts.timeoutMs} ms`, { host: this.ctx.host })),
          opts.timeoutMs,
        );
      }
      if (opts.signal) {
        onAbort = () => stop(new AsrFailure('cancelled', `${this.ctx.host}: ${what} cancelled`, { host: this.ctx.host }));
        opts.signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([work, stopper]);
    } finally {
      clearTimeout(timer);
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      work.catch(() => {});
    }
  }
}

/** The file as a stream that reports progress as it is consumed (a 'data' listener would start it flowing early). */
function countingReader(path: string, size: number, progress?: (sent: number, total: number) => void): Readable {
  const source = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!progress) return source;
  let sent = 0;
  return source.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sent += chunk.length;
        progress(sent, size);
        cb(null, chunk);
      },
    }),
  );
}
