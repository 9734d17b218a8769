import { safeStorage } from 'electron';
import { fail } from '../model/errors.ts';
import type { SecretCipher } from '../store/secrets/secret-store.ts';

type SafeStorage = Pick<typeof safeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString' | 'getSelectedStorageBackend'>;

/**
 * Secrets of the desktop app, encrypted by the OS (DPAPI on Windows, Keychain on macOS,
 * libsecret/kwallet on Linux) through Electron safeStorage; the store keeps only the blobs
 * (`new DbSecretStore(db, new SafeStorageCipher())`). Only main ever holds the plaintext.
 */
export class SafeStorageCipher implements SecretCipher {
  readonly scheme = 'electron-safestorage-v1';
  private readonly ss: SafeStorage;
  private readonly platform: NodeJS.Platform;

  constructor(ss: SafeStorage = safeStorage, platform: NodeJS.Platform = process.platform) {
    this.ss = ss;
    this.platform = platform;
  }

  private ready(): void {
    if (!this.ss.isEncryptionAvailable()) {
      fail('vault_locked', 'The operating system’s secret storage is not available, so credentials cannot be stored safely.', {
        remedy: 'On Linux, run a Secret Service (GNOME Keyring or KWallet) in the desktop session; or use the CLI with ASR_DEPLOY_VAULT_KEY.',
      });
    }
    // Linux without a keyring falls back to a hard-coded key ("basic_text"): that is not encryption.
    if (this.platform === 'linux' && this.ss.getSelectedStorageBackend() === 'basic_text') {
      fail('vault_locked', 'No keyring is running, so Electron would store credentials with a fixed, public key.', {
        remedy: 'Start GNOME Keyring or KWallet in the desktop session, or use the CLI with ASR_DEPLOY_VAULT_KEY.',
      });
    }
  }

  encrypt(plain: Buffer): Buffer {
    this.ready();
    return this.ss.encryptString(plain.toString('utf8'));
  }

  decrypt(blob: Buffer): Buffer {
    this.ready();
    return Buffer.from(this.ss.decryptString(blob), 'utf8');
  }
}
