import { chmodSync, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The data directory: `--home`, else `$ASR_DEPLOY_HOME`, else the OS app-data folder. */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (explicit) return resolve(explicit);
  if (env.ASR_DEPLOY_HOME) return resolve(env.ASR_DEPLOY_HOME);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'asr-deploy');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'asr-deploy');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'asr-deploy');
}

/** Creates the data directory private to the user (logs and the database may name hosts and accounts). */
export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(join(home, 'logs'), { recursive: true, mode: 0o700 });
  // On every open, not only at creation: a folder copied, restored or made by hand may be open to others.
  if (process.platform !== 'win32') {
    chmodSync(home, 0o700);
    chmodSync(join(home, 'logs'), 0o700);
  }
}

/** The database and its WAL/shared-memory files readable by the owner only (they hold ciphertext, hosts, accounts, the journal). */
export function privateFiles(home: string, file = 'asr-deploy.db'): void {
  if (process.platform === 'win32') return;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    const p = join(home, f);
    if (existsSync(p) && lstatSync(p).isFile()) chmodSync(p, 0o600);
  }
}
