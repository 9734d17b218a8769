import type { Db } from './db.ts';

/** SHA-256 of installer files on the workstation, valid while path, size and mtime are the same (`installer_hashes`). */
export class InstallerHashRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  get(path: string, size: number, mtimeMs: number): string | undefined {
    const r = this.db.prepare('SELECT sha256 FROM installer_hashes WHERE path = ? AND size = ? AND mtime_ms = ?').get(path, size, Math.trunc(mtimeMs)) as { sha256: string } | undefined;
    return r?.sha256;
  }
  set(path: string, size: number, mtimeMs: number, sha256: string): void {
    this.db
      .prepare('INSERT INTO installer_hashes (path, size, mtime_ms, sha256) VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ms=excluded.mtime_ms, sha256=excluded.sha256')
      .run(path, size, Math.trunc(mtimeMs), sha256);
  }
}
