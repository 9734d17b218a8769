/** @vitest-environment node */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./mocks/electron.ts'));
const { safeStorage } = await import('./mocks/electron.ts');
const { SafeStorageCipher } = await import('../../../src-main/electron/safe-storage-secrets.ts');
const { DbSecretStore } = await import('../../../src-main/store/secrets/vault.ts');
const { openStore } = await import('../../../src-main/store/store.ts');

const home = () => mkdtempSync(join(tmpdir(), 'asr-ss-'));

describe('SafeStorageCipher', () => {
  it('stores only safeStorage blobs in the database, and reads them back', () => {
    const store = openStore(home(), (db) => new DbSecretStore(db, new SafeStorageCipher(safeStorage, 'linux')));
    store.secrets.put('cred:a:password', 'Pa55-word!');
    expect(store.secrets.scheme).toBe('electron-safestorage-v1');
    const row = store.db.prepare('SELECT scheme, blob FROM secrets').get() as { scheme: string; blob: Uint8Array };
    expect(row.scheme).toBe('electron-safestorage-v1');
    expect(Buffer.from(row.blob).toString('utf8')).not.toContain('Pa55-word!');
    expect(store.secrets.get('cred:a:password')).toBe('Pa55-word!');
    store.close();
  });

  it('refuses when the OS cannot encrypt, or when Linux would fall back to a fixed key', () => {
    const c = new SafeStorageCipher({ ...safeStorage, isEncryptionAvailable: () => false }, 'win32');
    expect(() => c.encrypt(Buffer.from('x'))).toThrow(/secret storage is not available/);
    const basic = new SafeStorageCipher({ ...safeStorage, getSelectedStorageBackend: () => 'basic_text' }, 'linux');
    expect(() => basic.encrypt(Buffer.from('x'))).toThrow(/keyring/);
    const win = new SafeStorageCipher({ ...safeStorage, getSelectedStorageBackend: () => 'basic_text' }, 'win32');
    expect(win.decrypt(win.encrypt(Buffer.from('ok'))).toString()).toBe('ok');
  });
});
