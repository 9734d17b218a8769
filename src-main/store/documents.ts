import type { Db } from './db.ts';

/** One stored document of a table of documents: its id, when it was made, and what it is about. */
export interface DocumentRow {
  id: string;
  createdAt: string;
  component: string;
  version: string | null;
}

/**
 * Plans and check runs: JSON documents kept whole, found by id (tables `plans`, `check_runs`).
 * The table name is one of ours, never input.
 */
export class DocumentRepository<T> {
  private readonly db: Db;
  private readonly table: 'plans' | 'check_runs';
  constructor(db: Db, table: 'plans' | 'check_runs') {
    this.db = db;
    this.table = table;
  }
  add(row: DocumentRow, document: T): void {
    this.db
      .prepare(`INSERT INTO ${this.table} (id, created_at, component, version, document) VALUES (?, ?, ?, ?, ?)`)
      .run(row.id, row.createdAt, row.component, row.version, JSON.stringify(document));
  }
  /** The document as stored (JSON parsed, not validated: the caller knows its schema). */
  get(id: string): T | undefined {
    const r = this.db.prepare(`SELECT document FROM ${this.table} WHERE id = ?`).get(id) as { document: string } | undefined;
    return r ? (JSON.parse(r.document) as T) : undefined;
  }
  has(id: string): boolean {
    return this.db.prepare(`SELECT 1 FROM ${this.table} WHERE id = ?`).get(id) !== undefined;
  }
  /** The newest one (the last added among equal times). */
  latest(): { id: string; createdAt: string } | undefined {
    const r = this.db.prepare(`SELECT id, created_at FROM ${this.table} ORDER BY created_at DESC, rowid DESC LIMIT 1`).get() as
      { id: string; created_at: string } | undefined;
    return r ? { id: r.id, createdAt: r.created_at } : undefined;
  }
}
