import type { Db } from './db.ts';

/** The last installed-versions inventory per host (`component_versions`), kept as its JSON document. */
export class ComponentVersionsRepository<T> {
  private readonly db: Db;
  constructor(db: Db) {
    this.db = db;
  }
  /** Replaces the host's last inventory. */
  put(hostId: string, collectedAt: string, data: T): void {
    this.db
      .prepare(
        'INSERT INTO component_versions (host_id, collected_at, data) VALUES (?, ?, ?) ON CONFLICT(host_id) DO UPDATE SET collected_at = excluded.collected_at, data = excluded.data',
      )
      .run(hostId, collectedAt, JSON.stringify(data));
  }
  all(): T[] {
    return (this.db.prepare('SELECT data FROM component_versions').all() as { data: string }[]).map((r) => JSON.parse(r.data) as T);
  }
}
