import { transaction, type Db } from './db.ts';

/** SHA-256 of installer files on the workstation, valid while path, size and mtime are the same (`installer_hashes`). */
export class InstallerHashRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  get(path: string, size: number, mtimeMs: number): string | undefined {
    const r = this.db.prepare('SELECT sha256 FROM installer_hashes WHERE path = ? AND size = ? AND mtime_ms = ?').get(path, size, Math.trunc(mtimeMs)) as
      { sha256: string } | undefined;
    return r?.sha256;
  }
  set(path: string, size: number, mtimeMs: number, sha256: string): void {
    this.db
      .prepare(
        'INSERT INTO installer_hashes (path, size, mtime_ms, sha256) VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ms=excluded.mtime_ms, sha256=excluded.sha256',
      )
      .run(path, size, Math.trunc(mtimeMs), sha256);
  }
}

/** An installer an admin trusted with `sources trust` (no document gives its hash): its content, what it is, who, when. */
export interface InstallerPin {
  sha256: string;
  file: string;
  component: string;
  platform: string;
  osId: string | null;
  version: string | null;
  size: number;
  pinnedBy: string | null;
  pinnedAt: string;
}

interface PinRow {
  sha256: string;
  file: string;
  component: string;
  platform: string;
  os_id: string | null;
  version: string | null;
  size: number;
  pinned_by: string | null;
  pinned_at: string;
}

const toPin = (r: PinRow): InstallerPin => ({
  sha256: r.sha256,
  file: r.file,
  component: r.component,
  platform: r.platform,
  osId: r.os_id,
  version: r.version,
  size: r.size,
  pinnedBy: r.pinned_by,
  pinnedAt: r.pinned_at,
});

/** Pins by content (`installer_pins`): a pin trusts these bytes, under this file name and identity. */
export class InstallerPinRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  /** The pin of these bytes, if any. */
  byHash(sha256: string): InstallerPin | undefined {
    const r = this.db.prepare('SELECT * FROM installer_pins WHERE sha256 = ?').get(sha256.toLowerCase()) as PinRow | undefined;
    return r ? toPin(r) : undefined;
  }
  /** Pins recorded under a file name, newest first (a re-pinned file keeps its older pins). */
  byFile(file: string): InstallerPin[] {
    return (this.db.prepare('SELECT * FROM installer_pins WHERE file = ? ORDER BY pinned_at DESC, rowid DESC').all(file) as unknown as PinRow[]).map(toPin);
  }
  list(): InstallerPin[] {
    return (this.db.prepare('SELECT * FROM installer_pins ORDER BY pinned_at, rowid').all() as unknown as PinRow[]).map(toPin);
  }
  /** Records pins in one transaction (all or none). */
  add(pins: readonly InstallerPin[]): void {
    const stmt = this.db.prepare(
      'INSERT INTO installer_pins (sha256, file, component, platform, os_id, version, size, pinned_by, pinned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET file=excluded.file, component=excluded.component, platform=excluded.platform, os_id=excluded.os_id, version=excluded.version, size=excluded.size, pinned_by=excluded.pinned_by, pinned_at=excluded.pinned_at',
    );
    transaction(this.db, () => {
      for (const p of pins) stmt.run(p.sha256.toLowerCase(), p.file, p.component, p.platform, p.osId, p.version, p.size, p.pinnedBy, p.pinnedAt);
    });
  }
}
