import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointInBackground, openDatabase } from '../../../src-main/store/db.ts';
import { tempHome } from '../../helpers/cli.ts';

const until = async (cond: () => boolean, what: string, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('checkpointInBackground', () => {
  it('stops the connection checkpointing in its commits; a worker thread checkpoints the WAL; stop() gives the automatic checkpoint back', async () => {
    const home = tempHome();
    const path = join(home, 'asr-deploy.db');
    const db = openDatabase(home);
    const autocheckpoint = () => (db.prepare('PRAGMA wal_autocheckpoint').get() as { wal_autocheckpoint: number }).wal_autocheckpoint;
    expect(autocheckpoint()).toBe(1000);
    const bg = checkpointInBackground(db, path, 20);
    expect(autocheckpoint()).toBe(0);
    const ins = db.prepare("INSERT INTO events (job_id, host_id, ts, type, data) VALUES (NULL, NULL, '2026-12-02T00:00:00Z', 'probe', ?)");
    // 4000 commits of ~1 KB: far past 1000 pages, which the connection would have checkpointed itself.
    for (let i = 0; i < 4000; i++) ins.run('x'.repeat(1000));
    await until(() => bg.count() > 0, 'a checkpoint on the worker');
    await bg.stop();
    expect(autocheckpoint()).toBe(1000);
    // The worker's last checkpoint copied every page into the database file.
    expect(statSync(path).size).toBeGreaterThan(4000 * 1000);
    expect((db.prepare("SELECT count(*) AS n FROM events WHERE type = 'probe'").get() as { n: number }).n).toBe(4000);
    await bg.stop(); // idempotent
    db.close();
  });
});
