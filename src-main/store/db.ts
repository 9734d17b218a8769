import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { fail } from '../model/errors.ts';
import { MIGRATIONS } from './migrations.ts';

export type Db = DatabaseSync;

/** Opens (creating when new) the project database in WAL mode and brings its schema up to date. */
export function openDatabase(home: string, file = 'asr-deploy.db'): Db {
  const db = new DatabaseSync(join(home, file));
  db.exec('PRAGMA journal_mode = WAL');
  // NORMAL (in WAL mode): every commit is atomic and survives a killed process (kill -9 + `jobs
  // resume`); only a power cut can lose the last commits, never consistency, and resume re-detects
  // before it installs. FULL fsynced each journal write on the event loop: during a 20-host push
  // (disks busy with uploads) that was 14 s of a 50 s apply, every transfer stalled meanwhile.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  // Parallel CLI processes (a sweep and a user) may write at once: wait instead of failing.
  db.exec('PRAGMA busy_timeout = 10000');
  migrate(db);
  return db;
}

export function schemaVersion(db: Db): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number };
  return row.user_version;
}

export function migrate(db: Db, migrations = MIGRATIONS): void {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    fail('validation', `The database schema is version ${current}, newer than this asr-deploy understands (${latest}).`, {
      remedy: 'Use the asr-deploy version that created this data directory, or point --home at another directory.',
    });
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    transaction(db, () => {
      db.exec(m.sql);
      db.exec(`PRAGMA user_version = ${m.version}`);
    });
  }
}

/** Runs `fn` atomically: a crash or throw inside leaves the database as it was before. */
export function transaction<T>(db: Db, fn: () => T): T {
  // Nested calls become savepoints so repositories can compose without knowing who started the transaction.
  const nested = db.isTransaction;
  db.exec(nested ? 'SAVEPOINT nested' : 'BEGIN IMMEDIATE');
  try {
    const out = fn();
    db.exec(nested ? 'RELEASE nested' : 'COMMIT');
    return out;
  } catch (e) {
    db.exec(nested ? 'ROLLBACK TO nested; RELEASE nested' : 'ROLLBACK');
    throw e;
  }
}

export const nowIso = (): string => new Date().toISOString();
