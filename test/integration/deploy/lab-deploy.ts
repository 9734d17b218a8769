import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createService } from '../../../src-main/service/service.ts';
import type { CommandInput, CommandName, CommandOutput, ServiceApi, ServiceEvent } from '../../../src-main/service/contract.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore, type Store } from '../../../src-main/store/store.ts';
import { buildFixtureInstaller } from '../../fixtures/mobility-installer/build.ts';
import { addHost, hostExec, removeHost, type HostState, type LabState } from '../../lab/lab.ts';

export const VAULT_KEY = 'integration-vault-key';
export const PASSPHRASE = 'Cs-Passphrase-' + Math.random().toString(36).slice(2);

/** One data directory + service over the lab, with the helpers the deploy tests share. */
export class DeployBench {
  readonly home = mkdtempSync(join(tmpdir(), 'asr-it-'));
  readonly store: Store;
  readonly service: ServiceApi;
  readonly source = join(this.home, 'source');
  readonly passphraseFile = join(this.home, 'cs.passphrase');
  readonly scratch: HostState[] = [];
  readonly lab: LabState;
  constructor(lab: LabState) {
    this.lab = lab;
    mkdirSync(this.source);
    this.store = openStore(this.home, (db) => new LazyVaultStore(db, () => VAULT_KEY));
    this.service = createService(this.store);
  }

  async call<N extends CommandName>(name: N, input: CommandInput<N>, onEvent?: (e: ServiceEvent) => void): Promise<CommandOutput<N>> {
    const r = await this.service.call(name, input, onEvent ? { onEvent } : {});
    if (!r.ok) throw Object.assign(new Error(`${name}: ${r.error.code}: ${r.error.message}`), { data: r.error });
    return r.value;
  }

  async setup(opts: { installers: { version: string; osId: string; bytes?: number }[] }): Promise<void> {
    const built = opts.installers.map((i) =>
      buildFixtureInstaller({ dir: this.source, version: i.version, osId: i.osId, ...(i.bytes ? { payloadBytes: i.bytes } : {}) }),
    );
    // No document gives the fixtures' SHA-256: pinned as an admin does (sources trust), or plan blocks them.
    if (built.length) await this.call('sources.trust', { dir: this.source, files: built.map((f) => basename(f)) });
    const { writeFileSync, readFileSync } = await import('node:fs');
    writeFileSync(this.passphraseFile, PASSPHRASE + '\n', { mode: 0o600 });
    await this.call('credentials.add', { name: 'root', user: 'root', privateKey: readFileSync(this.lab.users.root.keyPath, 'utf8') });
  }

  /** A throwaway lab host of this test file, in the inventory with the root credential. */
  async host(opts: Parameters<typeof addHost>[1] & { approve?: boolean; credential?: string } = {}): Promise<HostState> {
    const { approve = true, credential = 'root', ...spec } = opts;
    const h = await addHost(this.lab, spec);
    this.scratch.push(h);
    await this.call('hosts.add', { address: h.address, name: h.name, os: 'linux', credential, tags: ['it'], source: 'manual' });
    if (approve) await this.call('trust.approve', { targets: [h.address], timeoutMs: 5000 });
    return h;
  }

  async close(): Promise<void> {
    this.store.close();
    for (const h of this.scratch) await removeHost(this.lab, h.name).catch(() => undefined);
  }
}

/** Runs a shell command inside a lab host (its own mount/UTS/PID namespaces). */
export async function onHost(h: HostState, script: string): Promise<string> {
  const r = await hostExec(h, ['sh', '-c', script]);
  return (r as { stdout: string }).stdout;
}

export const installCount = async (h: HostState): Promise<number> =>
  Number((await onHost(h, 'cat /usr/local/.asr-fixture-installs 2>/dev/null | wc -l')).trim());
