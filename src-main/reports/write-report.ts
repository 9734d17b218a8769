import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { fail } from '../model/errors.ts';
import { redactText } from '../model/redact.ts';

/**
 * Writes a report (it names hosts, accounts and errors) private to its owner: 0600, and never
 * through a symlink (O_NOFOLLOW on the last component), never into a FIFO or device (O_NONBLOCK
 * so a FIFO without a reader fails instead of hanging, then fstat: a regular file only). An
 * existing file is truncated only after those checks, and its mode is set to 0600 as well.
 */
export function writeReportFile(path: string, content: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      fail('permission_denied', `${path} is a symbolic link; a report is not written through one.`, {
        remedy: 'Give the path of a regular file (or a new name).',
      });
    if (code === 'ENXIO') fail('permission_denied', `${path} is not a regular file.`, { remedy: 'Give the path of a regular file (or a new name).' });
    if (code === 'ENOENT') fail('not_found', `The folder of ${path} does not exist.`, { remedy: 'Create the folder first, or give another path.' });
    if (code === 'EACCES' || code === 'EPERM')
      fail('permission_denied', `Cannot write ${path}: permission denied.`, { remedy: 'Give a path in a folder you can write to.' });
    if (code === 'EISDIR') fail('validation', `${path} is a folder.`, { remedy: 'Give a file name, for example report.html.' });
    throw e;
  }
  try {
    if (!fstatSync(fd).isFile()) fail('permission_denied', `${path} is not a regular file.`, { remedy: 'Give the path of a regular file (or a new name).' });
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
    // The one redactor: a report never carries a secret value this process has seen.
    const buf = Buffer.from(redactText(content), 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, off);
  } finally {
    closeSync(fd);
  }
}
