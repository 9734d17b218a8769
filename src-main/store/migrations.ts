/**
 * Versioned schema. Each entry runs once, in a transaction, and bumps `PRAGMA user_version`.
 * Never edit a shipped migration: add the next one.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'inventory, credentials, trust, journal, facts, settings',
    sql: `
      CREATE TABLE hosts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        address TEXT NOT NULL UNIQUE,
        os TEXT CHECK (os IN ('linux','windows')),
        transport TEXT CHECK (transport IN ('ssh','winrm')),
        port INTEGER,
        credential TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL DEFAULT 'manual',
        uuid TEXT UNIQUE,
        evidence TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE credentials (
        name TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('password','key')),
        key_file TEXT,
        secret_ref TEXT,
        passphrase_ref TEXT,
        sudo_ref TEXT,
        created_at TEXT NOT NULL
      );
      -- Ciphertext only: the vault key never touches the disk.
      CREATE TABLE secrets (
        ref TEXT PRIMARY KEY,
        scheme TEXT NOT NULL,
        blob BLOB NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE trust_pins (
        host TEXT NOT NULL,
        port INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('ssh','tls')),
        fingerprint TEXT NOT NULL,
        key_type TEXT,
        subject TEXT,
        not_after TEXT,
        approved_at TEXT NOT NULL,
        PRIMARY KEY (host, port, kind)
      );
      CREATE TABLE facts (
        host_id TEXT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
        collected_at TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE plans (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        component TEXT NOT NULL,
        version TEXT,
        document TEXT NOT NULL
      );
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        plan_id TEXT REFERENCES plans(id),
        status TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        owner_pid INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE job_hosts (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        host_id TEXT NOT NULL,
        host_name TEXT NOT NULL,
        status TEXT NOT NULL,
        action TEXT,
        version TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (job_id, host_id)
      );
      CREATE TABLE steps (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        host_id TEXT NOT NULL,
        step TEXT NOT NULL,
        status TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 1,
        started_at TEXT,
        ended_at TEXT,
        detail TEXT,
        PRIMARY KEY (job_id, host_id, step)
      );
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT,
        host_id TEXT,
        ts TEXT NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX events_job ON events(job_id, seq);
      CREATE TABLE installer_hashes (
        path TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        sha256 TEXT NOT NULL
      );
      CREATE TABLE component_versions (
        host_id TEXT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
        collected_at TEXT NOT NULL,
        data TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'check runs',
    sql: `
      CREATE TABLE check_runs (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        component TEXT NOT NULL,
        version TEXT,
        document TEXT NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'discovery keeps what a person set: pinned host fields and conflicts',
    sql: `
      ALTER TABLE hosts ADD COLUMN pinned TEXT NOT NULL DEFAULT '[]';
      CREATE TABLE host_conflicts (
        id TEXT PRIMARY KEY,
        host_id TEXT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        current TEXT,
        discovered TEXT,
        source TEXT NOT NULL,
        detected_at TEXT NOT NULL,
        UNIQUE (host_id, field)
      );
    `,
  },
  {
    version: 4,
    name: 'installer pins: SHA-256 of installers an admin trusted (sources trust)',
    sql: `
      CREATE TABLE installer_pins (
        sha256 TEXT PRIMARY KEY,
        file TEXT NOT NULL,
        component TEXT NOT NULL,
        platform TEXT NOT NULL,
        os_id TEXT,
        version TEXT,
        size INTEGER NOT NULL,
        pinned_by TEXT,
        pinned_at TEXT NOT NULL
      );
      CREATE INDEX installer_pins_file ON installer_pins(file);
    `,
  },
];
