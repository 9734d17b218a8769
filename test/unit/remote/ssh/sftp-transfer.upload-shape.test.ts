import { describe, expect, it } from 'vitest';
import { SFTP_WRITE_OVERHEAD, sftpUploadShape } from '../../../../src-main/remote/ssh/sftp-transfer.ts';

describe('SFTP upload shape', () => {
  it('one WRITE fills exactly one channel packet of the peer (OpenSSH: 32768), 32 in flight', () => {
    const s = sftpUploadShape(32768);
    expect(s.chunkSize + SFTP_WRITE_OVERHEAD).toBe(32768);
    expect(s.chunkSize).toBe(32739);
    expect(s.concurrency).toBe(32);
  });
  it('follows a peer with other packet sizes, and assumes OpenSSH when the size is unknown or implausible', () => {
    expect(sftpUploadShape(65536).chunkSize + SFTP_WRITE_OVERHEAD).toBe(65536);
    expect(sftpUploadShape(undefined).chunkSize).toBe(32739);
    expect(sftpUploadShape(100).chunkSize).toBe(32739);
    expect(sftpUploadShape(10 * 1024 * 1024).chunkSize + SFTP_WRITE_OVERHEAD).toBe(256 * 1024);
  });
});
