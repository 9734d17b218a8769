import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion, transaction } from '../../../src-main/store/db.ts';
import { MIGRATIONS } from '../../../src-main/store/migrations.ts';
import { tempHome } from '../../helpers/cli.ts';

describe('database', () => {
  it('opens in WAL mode with every table of the latest schema', () => {
    const db = openDatabase(tempHome());
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type='table'").all() as { name: string }[]).map((t) => t.name);
    for (const t of ['hosts', 'credentials', 'secrets', 'trust_pins', 'jobs', 'job_hosts', 'steps', 'events', 'facts', 'settings', 'plans'])
      expect(tables).toContain(t);
    db.close();
  });

  it('runs each migration once and in order, and re-opening changes nothing', () => {
    const home = tempHome();
    const db = openDatabase(home);
    const extra = [...MIGRATIONS, { version: 99, name: 'test', sql: 'CREATE TABLE probe (x INTEGER)' }];
    migrate(db, extra);
    expect(schemaVersion(db)).toBe(99);
    migrate(db, extra); // a second run must not try CREATE TABLE probe again
    db.close();
  });

  it('refuses a database newer than the code', () => {
    const home = tempHome();
    const db = openDatabase(home);
    db.exec('PRAGMA user_version = 999');
    db.close();
    expect(() => openDatabase(home)).toThrow(/newer than this asr-deploy understands/);
  });

  it('a failing migration leaves the schema version and tables untouched', () => {
    const db = openDatabase(tempHome());
    const v = schemaVersion(db);
    expect(() => migrate(db, [...MIGRATIONS, { version: v + 1, name: 'bad', sql: 'CREATE TABLE half (x INTEGER); THIS IS NOT SQL' }])).toThrow();
    expect(schemaVersion(db)).toBe(v);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name='half'").get()).toBeUndefined();
    db.close();
  });

  it('nested transactions roll back only their own part', () => {
    const db = openDatabase(tempHome());
    transaction(db, () => {
      db.prepare("INSERT INTO settings (key, value) VALUES ('a', '1')").run();
      expect(() =>
        transaction(db, () => {
          db.prepare("INSERT INTO settings (key, value) VALUES ('b', '2')").run();
          throw new Error('inner');
        }),
      ).toThrow('inner');
    });
    expect((db.prepare('SELECT key FROM settings ORDER BY key').all() as { key: string }[]).map((r) => r.key)).toEqual(['a']);
    db.close();
  });

  it('a writer killed with SIGKILL in the middle of its transactions leaves a consistent database', async () => {
    const home = tempHome();
    openDatabase(home).close();
    // The child writes batches of 200 rows, one transaction each, as fast as it can, forever.
    const script = `
      const { openDatabase, transaction } = await import(${JSON.stringify(new URL('../../../src-main/store/db.ts', import.meta.url).href)});
      const db = openDatabase(${JSON.stringify(home)});
      const ins = db.prepare("INSERT INTO events (ts, type, data) VALUES ('t', 'batch', ?)");
      for (let b = 0; ; b++) {
        transaction(db, () => { for (let i = 0; i < 200; i++) ins.run(String(b)); });
        if (b === 20) process.stdout.write('running\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '--no-warnings', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));
    const db = openDatabase(home);
    expect((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check).toBe('ok');
    const { n } = db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number };
    expect(n).toBeGreaterThanOrEqual(21 * 200);
    // Only whole batches: no transaction was half-applied.
    expect(n % 200).toBe(0);
    const partial = db.prepare('SELECT data, COUNT(*) AS c FROM events GROUP BY data HAVING c <> 200').all();
    expect(partial).toEqual([]);
    db.close();
  });
});
