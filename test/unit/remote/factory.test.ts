import { describe, expect, it } from 'vitest';
import { createTransport } from '../../../src-main/remote/factory.ts';

const target = {
  host: { name: 'web01', address: '10.0.0.1', os: 'linux' as const, transport: null, port: null },
  credential: { user: 'root', kind: 'password' as const, password: 'pw' },
  pin: 'SHA256:abc',
};

describe('createTransport: --upload-method over SSH', () => {
  it.each([
    [undefined, true],
    ['tar-stream', true],
    ['sftp', false],
    ['exec-cat', false],
  ] as const)('%s: a .tar.gz may be unpacked from the stream = %s', (uploadMethod, unpack) => {
    const t = createTransport(target as never, uploadMethod ? { uploadMethod } : {});
    expect(t.kind).toBe('ssh');
    expect(t.capabilities.unpackUpload).toBe(unpack);
    expect(typeof t.uploadUnpacked).toBe('function');
  });
});
