import { rename } from 'node:fs/promises';
import { fail } from '../model/errors.ts';
import { sha256File } from './local-file.ts';

export { checkedLocalFile } from './local-file.ts';

/**
 * Verification both transports share. An upload is checked before it starts (checkedLocalFile:
 * the local file has the expected hash) and after (the target's hash: here for SSH, on the host in
 * FINISH_UPLOAD for PowerShell); a download lands in `<localPath>.part` and takes its place only
 * when its hash equals the target's and the expected one.
 */
export async function verifyDownloaded(
  host: string,
  remotePath: string,
  partial: string,
  localPath: string,
  remoteSha256: Promise<string>,
  expectedSha256?: string,
): Promise<void> {
  const [localHash, remoteHash] = await Promise.all([sha256File(partial), remoteSha256]);
  const expected = expectedSha256?.toLowerCase() ?? remoteHash;
  if (localHash !== remoteHash || localHash !== expected) {
    fail('hash_mismatch', `${host}: downloaded ${remotePath} has SHA-256 ${localHash}, expected ${expected}`, {
      host,
      details: { remotePath, actual: localHash, remote: remoteHash, expected },
    });
  }
  await rename(partial, localPath);
}

/** After an upload: the target's hash must be the local file's; on a mismatch `remove` deletes the copy first. */
export async function verifyUploaded(
  host: string,
  remotePath: string,
  localHash: string,
  remoteHash: string,
  method: string,
  remove: () => Promise<void>,
): Promise<void> {
  if (remoteHash === localHash) return;
  await remove();
  fail('hash_mismatch', `${host}: ${remotePath} has SHA-256 ${remoteHash} after upload, expected ${localHash}; the file was removed`, {
    host,
    remedy: 'The copy was corrupted on the way or on the target disk. Run the step again; if it repeats, check the target file system and the network path.',
    details: { remotePath, actual: remoteHash, expected: localHash, method },
  });
}
