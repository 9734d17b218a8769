import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
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

/** The thread that checkpoints the WAL while a job runs: its own connection, one PASSIVE checkpoint per tick. */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
let done = 0;
// A checkpoint that cannot run now (busy) is simply tried again at the next tick.
const tick = () => {
  try { db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get(); done++; parentPort.postMessage({ done }); } catch {}
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); tick(); db.close(); parentPort.close(); } });
`;

export interface BackgroundCheckpoints {
  /** Checkpoints the thread has completed. */
  count(): number;
  /** One last checkpoint there, then the connection's own automatic checkpoints again. */
  stop(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the event loop for the length of a job: SQLite's automatic checkpoint
 * runs inside whichever commit crosses 1000 pages and fsyncs there, and with the disks busy (20
 * uploads, unpacking) one such commit stalled every transfer of a 20-host push for 1.5 s. The
 * connection stops checkpointing; a worker thread with its own connection checkpoints every
 * `intervalMs`. Without worker threads nothing changes (the automatic checkpoint stays).
 */
export function checkpointInBackground(db: Db, path: string, intervalMs = 1000): BackgroundCheckpoints {
  let done = 0;
  let worker: Worker;
  try {
    worker = new Worker(CHECKPOINTER, { eval: true, workerData: { path, intervalMs }, execArgv: ['--disable-warning=ExperimentalWarning'] });
  } catch {
    return { count: () => 0, stop: () => Promise.resolve() };
  }
  worker.unref();
  worker.on('message', (m: { done?: number }) => {
    if (typeof m.done === 'number') done = m.done;
  });
  worker.on('error', () => undefined);
  db.exec('PRAGMA wal_autocheckpoint = 0');
  let stopped: Promise<void> | null = null;
  return {
    count: () => done,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timer);
          if (db.isOpen) db.exec('PRAGMA wal_autocheckpoint = 1000');
          resolve();
        };
        const timer = setTimeout(() => void worker.terminate().then(finish, finish), 5_000);
        worker.once('exit', finish);
        worker.postMessage('stop');
      })),
  };
}

export const nowIso = (): string => new Date().toISOString();
