import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fail } from '../model/errors.ts';

const hashMemo = new Map<string, Promise<string>>();

/**
 * SHA-256 of a local file, computed once per file version (path, inode, size, mtime) for the whole
 * process: a bulk push sends one installer to hundreds of hosts and must not hash it hundreds of times.
 */
export async function sha256File(path: string): Promise<string> {
  const st = await stat(path);
  const key = `${path}\0${st.ino}\0${st.size}\0${st.mtimeMs}`;
  let p = hashMemo.get(key);
  if (!p) {
    p = (async () => {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
      return hash.digest('hex');
    })();
    hashMemo.set(key, p);
    p.catch(() => hashMemo.delete(key));
  }
  return p;
}

/** Size and SHA-256 of a file about to be uploaded; a hash other than the expected one refuses the upload. */
export async function checkedLocalFile(host: string, localPath: string, expectedSha256?: string): Promise<{ size: number; sha256: string }> {
  const size = (await stat(localPath)).size;
  const sha256 = await sha256File(localPath);
  const expected = expectedSha256?.toLowerCase();
  if (expected && expected !== sha256) {
    fail('hash_mismatch', `${host}: local file ${localPath} has SHA-256 ${sha256}, expected ${expected}; not uploaded`, {
      host,
      remedy: 'The installer on this workstation is corrupt or not the expected version: download it again and check it against the published hash.',
      details: { localPath, actual: sha256, expected },
    });
  }
  return { size, sha256 };
}
