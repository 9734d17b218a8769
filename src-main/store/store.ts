import { join } from 'node:path';
import { ComponentVersionsRepository } from './component-versions.ts';
import { CredentialRepository } from './credentials.ts';
import { checkpointInBackground, openDatabase, type BackgroundCheckpoints, type Db } from './db.ts';
import { DocumentRepository } from './documents.ts';
import { ensureHome, privateFiles } from './home.ts';
import { HostRepository } from './hosts.ts';
import { InstallerHashRepository, InstallerPinRepository } from './installer-hashes.ts';
import { JournalRepository } from './journal.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { SettingsRepository } from './settings.ts';
import { TrustRepository } from './trust.ts';

/** Everything persisted in one data directory, opened once per process. */
export interface Store {
  readonly home: string;
  readonly db: Db;
  readonly hosts: HostRepository;
  readonly credentials: CredentialRepository;
  readonly trust: TrustRepository;
  readonly settings: SettingsRepository;
  readonly journal: JournalRepository;
  /** Plan documents (deploy/plan.ts knows their schema). */
  readonly plans: DocumentRepository<unknown>;
  /** Check-run documents (`check`, reports). */
  readonly checkRuns: DocumentRepository<unknown>;
  /** The last installed-versions inventory per host (updates/versions.ts). */
  readonly componentVersions: ComponentVersionsRepository<unknown>;
  readonly installerHashes: InstallerHashRepository;
  /** Installers the admin trusted (`sources trust`): the hash no document gives. */
  readonly installerPins: InstallerPinRepository;
  readonly secrets: SecretStore;
  /** WAL checkpoints on a worker thread until `stop()` (a job's run: no fsync stalls on the event loop). */
  checkpointInBackground(): BackgroundCheckpoints;
  close(): void;
}

export function openStore(home: string, makeSecrets: (db: Db) => SecretStore): Store {
  ensureHome(home);
  const db = openDatabase(home);
  privateFiles(home);
  const secrets = makeSecrets(db);
  return {
    home,
    db,
    secrets,
    hosts: new HostRepository(db),
    credentials: new CredentialRepository(db, secrets),
    trust: new TrustRepository(db),
    settings: new SettingsRepository(db),
    journal: new JournalRepository(db),
    plans: new DocumentRepository(db, 'plans'),
    checkRuns: new DocumentRepository(db, 'check_runs'),
    componentVersions: new ComponentVersionsRepository(db),
    installerHashes: new InstallerHashRepository(db),
    installerPins: new InstallerPinRepository(db),
    checkpointInBackground: () => checkpointInBackground(db, join(home, 'asr-deploy.db')),
    // Idempotent: front ends close on every exit path.
    close: () => {
      if (db.isOpen) db.close();
    },
  };
}
