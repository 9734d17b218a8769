import type { Db } from './db.ts';

/** Small JSON settings (named proxies, defaults, schedules, vault salt). */
export class SettingsRepository {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  get<T>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }
  set(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }
  delete(key: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }
  keys(prefix: string): string[] {
    return (
      this.db.prepare("SELECT key FROM settings WHERE key LIKE ? ESCAPE '\\' ORDER BY key").all(prefix.replace(/[\\%_]/g, '\\$&') + '%') as { key: string }[]
    ).map((r) => r.key);
  }
}
