import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fail } from '../model/errors.ts';

/**
 * Files a front end other than the CLI may hand to the service (issue 12 item 5). The desktop app
 * and the browser page never name a path on this machine: they upload a file into a private
 * per-session folder, or (desktop) the user picks one in a native dialog; either way the service
 * gives back an opaque handle, and path-taking commands accept that handle in place of the path
 * (`FILE_INPUTS` in contract/files.ts says which fields). The CLI keeps passing paths.
 */

export type GrantKind = 'file' | 'dir' | 'save';

export interface Grant {
  handle: string;
  kind: GrantKind;
  /** The real path on this machine: never sent to a front end. */
  path: string;
  /** What the page may show: the file's own name (an upload) or the chosen path's last part. */
  name: string;
  origin: 'upload' | 'dialog';
  size: number | null;
  sha256: string | null;
}

/** `asr-file:` + 128 random bits: cannot be guessed, cannot be mistaken for a path or a URL. */
export const HANDLE_PREFIX = 'asr-file:';
export const HANDLE = /^asr-file:[A-Za-z0-9_-]{22}$/;
export const isHandle = (v: string): boolean => HANDLE.test(v);

/** One file an upload may hold at most (a Mobility service bundle is about 0.5 GB). */
export const MAX_UPLOAD_BYTES = 4 * 1024 ** 3;
/** Files in one uploaded folder. */
const MAX_FOLDER_FILES = 200;

/** A file name as the page gives it: one path component, printable, no dot-file tricks. */
export function checkUploadName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (!name || name.length > 255 || /[/\\\0-\x1f\x7f]/.test(name) || name === '.' || name === '..' || name.startsWith('.')) {
    fail('validation', 'The file name is not usable: it must be one file name (no folders), without control characters, not starting with a dot.', {
      remedy: 'Rename the file on your computer and choose it again.',
    });
  }
  return name;
}

interface Upload {
  grant: Grant;
  fd: number | null;
  received: number;
  hash: ReturnType<typeof createHash>;
  folder: string;
}

export class FileGrants {
  /** `<home>/uploads/<session>`: created 0700 on first use, removed by dispose(). */
  readonly root: string;
  private readonly grants = new Map<string, Grant>();
  private readonly uploads = new Map<string, Upload>();
  /** Folder handle → its directory, for uploads that add to one folder (installers, appliance files). */
  private readonly folders = new Map<string, string>();

  constructor(home: string, session = randomBytes(9).toString('base64url')) {
    this.root = join(home, 'uploads', session);
  }

  private newHandle(): string {
    return HANDLE_PREFIX + randomBytes(16).toString('base64url');
  }

  private ensureRoot(): void {
    mkdirSync(join(this.root, '..'), { recursive: true, mode: 0o700 });
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
  }

  /** Desktop: a path the user chose in a native dialog (main process only; no contract command reaches this). */
  grantPath(path: string, kind: GrantKind): Grant {
    const grant: Grant = { handle: this.newHandle(), kind, path, name: basename(path) || path, origin: 'dialog', size: null, sha256: null };
    this.grants.set(grant.handle, grant);
    return grant;
  }

  /** An empty uploaded folder: files are then uploaded into it (`begin({folder})`); usable as a `dir` once it holds a file. */
  newFolder(): Grant {
    this.ensureRoot();
    const handle = this.newHandle();
    const dir = join(this.root, handle.slice(HANDLE_PREFIX.length));
    mkdirSync(dir, { mode: 0o700 });
    const grant: Grant = { handle, kind: 'dir', path: dir, name: 'uploaded files', origin: 'upload', size: null, sha256: null };
    this.grants.set(handle, grant);
    this.folders.set(handle, dir);
    return grant;
  }

  /** Starts an upload: a new private file (O_EXCL, O_NOFOLLOW, 0600), in its own folder or in `folder`. */
  begin(input: { name: string; size: number; folder?: string }): { handle: string; folder: string; name: string } {
    const name = checkUploadName(input.name);
    if (!Number.isSafeInteger(input.size) || input.size < 0 || input.size > MAX_UPLOAD_BYTES)
      fail('validation', `A file can be at most ${MAX_UPLOAD_BYTES / 1024 ** 3} GiB.`);
    let folder: Grant;
    if (input.folder !== undefined) {
      const f = this.grants.get(input.folder);
      if (!f || !this.folders.has(input.folder)) fail('not_found', 'That upload folder is not known in this session.', { remedy: 'Choose the files again.' });
      folder = f;
      if (readdirSync(folder.path).length >= MAX_FOLDER_FILES) fail('validation', `An upload folder holds at most ${MAX_FOLDER_FILES} files.`);
    } else folder = this.newFolder();
    const path = join(folder.path, name);
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') fail('conflict', `${name} is already in this upload.`, { remedy: 'Choose each file once.' });
      throw e;
    }
    const grant: Grant = { handle: this.newHandle(), kind: 'file', path, name, origin: 'upload', size: input.size, sha256: null };
    this.uploads.set(grant.handle, { grant, fd, received: 0, hash: createHash('sha256'), folder: folder.handle });
    return { handle: grant.handle, folder: folder.handle, name };
  }

  /** Appends one chunk; chunks come in order (offset = bytes received so far). */
  chunk(handle: string, offset: number, data: Buffer): { received: number } {
    const u = this.uploads.get(handle);
    if (!u || u.fd === null) fail('not_found', 'That upload is not in progress.', { remedy: 'Choose the file again.' });
    if (offset !== u.received) fail('validation', `The upload expected the part at byte ${u.received}, got ${offset}.`, { remedy: 'Choose the file again.' });
    if (u.received + data.length > u.grant.size!) {
      this.abort(handle);
      fail('validation', `${u.grant.name} is larger than announced; the upload was discarded.`, { remedy: 'Choose the file again.' });
    }
    let written = 0;
    while (written < data.length) written += writeSync(u.fd, data, written, data.length - written);
    u.hash.update(data);
    u.received += data.length;
    return { received: u.received };
  }

  /** Completes an upload; with `sha256` the page's own hash must match what arrived. */
  finish(handle: string, sha256?: string): Grant & { folder: string } {
    const u = this.uploads.get(handle);
    if (!u || u.fd === null) fail('not_found', 'That upload is not in progress.', { remedy: 'Choose the file again.' });
    const digest = u.hash.digest('hex');
    fsyncSync(u.fd);
    closeSync(u.fd);
    u.fd = null;
    this.uploads.delete(handle);
    if (u.received !== u.grant.size) {
      rmSync(u.grant.path, { force: true });
      fail('validation', `${u.grant.name} arrived incomplete (${u.received} of ${u.grant.size} bytes); it was discarded.`, {
        remedy: 'Choose the file again.',
      });
    }
    if (sha256 && sha256.toLowerCase() !== digest) {
      rmSync(u.grant.path, { force: true });
      fail('hash_mismatch', `${u.grant.name} changed on the way (SHA-256 differs); it was discarded.`, { remedy: 'Choose the file again.' });
    }
    const grant = { ...u.grant, sha256: digest };
    this.grants.set(handle, grant);
    return { ...grant, folder: u.folder };
  }

  private abort(handle: string): void {
    const u = this.uploads.get(handle);
    if (!u) return;
    if (u.fd !== null) closeSync(u.fd);
    rmSync(u.grant.path, { force: true });
    this.uploads.delete(handle);
  }

  /** The grant behind a handle, if it has the kind the field needs (an uploaded folder serves as `dir`). */
  resolve(handle: string, kind: GrantKind, label: string): Grant {
    const g = this.grants.get(handle);
    if (!g) fail('not_found', `${label}: that file is no longer available (uploads last for one session of the window).`, { remedy: 'Choose the file again.' });
    if (g.kind !== kind) {
      const want = kind === 'dir' ? 'a folder' : kind === 'save' ? 'a place to save' : 'a file';
      fail('validation', `${label} needs ${want}.`, { remedy: kind === 'dir' ? 'Choose the files (or the folder) again.' : 'Choose again.' });
    }
    if (g.kind === 'dir' && g.origin === 'upload' && !readdirSync(g.path).length)
      fail('validation', `${label}: no file was uploaded into the folder.`, { remedy: 'Choose the files again.' });
    if (g.kind === 'file' && g.origin === 'upload') {
      const st = statSync(g.path, { throwIfNoEntry: false });
      if (!st?.isFile()) fail('not_found', `${label}: the uploaded file is gone.`, { remedy: 'Choose the file again.' });
    }
    return g;
  }

  /** The handle's display name for scrubbing messages. */
  all(): Grant[] {
    return [...this.grants.values()];
  }

  /** Removes this session's uploads (the window closed, the server stopped). */
  dispose(): void {
    for (const h of [...this.uploads.keys()]) this.abort(h);
    this.grants.clear();
    this.folders.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}
