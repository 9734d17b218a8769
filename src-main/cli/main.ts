import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { AsrFailure, EXIT, toAsrError } from '../model/errors.ts';
import { createService, type LocalService } from '../service/service.ts';
import type { ServiceApi } from '../service/contract.ts';
import { resolveHome } from '../store/home.ts';
import { LazyVaultStore } from '../store/secrets/vault.ts';
import { openStore, type Store } from '../store/store.ts';
import { Output, type GlobalOptions } from './io.ts';
import { makeRuntime } from './runtime.ts';
import { registerInventory } from './commands/inventory.ts';
import { registerTrust } from './commands/trust.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDiscovery } from './commands/discovery.ts';
import { registerUpdates } from './commands/updates.ts';
import { readKeyFile } from '../updates/schedule.ts';
import { ExitRequest } from './exit.ts';
import { registerServe } from './commands/serve.ts';
import { registerSourcesServe } from './commands/sources-serve.ts';
import { registerExport } from './commands/export.ts';
import { registerProxy } from './commands/proxy.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Runs the CLI and returns its exit code (cli.md: 0 ok, 1 hosts failed, 2 usage, 3 cancelled, 4 blocked). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = new Command('asr-deploy');
  const abort = new AbortController();
  let store: Store | undefined;
  let service: LocalService | undefined;
  // Unattended runs (schedules) read the key from a file only its owner can read.
  const vault: { key?: string } = { key: env.ASR_DEPLOY_VAULT_KEY };
  const envKey = env.ASR_DEPLOY_VAULT_KEY;
  let warned = false;
  if (!vault.key && env.ASR_DEPLOY_VAULT_KEY_FILE) {
    try {
      vault.key = readKeyFile(env.ASR_DEPLOY_VAULT_KEY_FILE);
    } catch (e) {
      return new Output({}).error(toAsrError(e));
    }
  }
  let out = new Output({});

  // Secrets must not linger in the environment of children we spawn (ssh, pwsh, installers).
  delete process.env.ASR_DEPLOY_VAULT_KEY;

  program
    .description(
      'Roll out Azure Site Recovery: discover hosts, check prerequisites, push-install the Provider, MARS agent and Mobility service, keep them up to date.',
    )
    .addOption(new Option('--home <dir>', 'data directory (database, logs, vault); default $ASR_DEPLOY_HOME or the OS app-data dir'))
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .option('--verbose', 'more detail on stderr')
    .option('--quiet', 'only errors')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .hook('preAction', (_this, action) => {
      const opts = action.optsWithGlobals() as GlobalOptions;
      out = new Output(opts);
      rt.out = out;
    });

  const getService = (): ServiceApi => {
    if (!service) {
      const opts = program.opts() as GlobalOptions;
      store = openStore(
        resolveHome(opts.home, env),
        (db) =>
          new LazyVaultStore(db, () => {
            // Said when the vault is opened, so commands that never touch a secret stay quiet.
            if (envKey && vault.key === envKey && !warned && !opts.quiet) {
              warned = true;
              process.stderr.write(
                'warning: the vault key comes from ASR_DEPLOY_VAULT_KEY, which other processes of this user (and root) can read in /proc/<pid>/environ while asr-deploy runs; prefer ASR_DEPLOY_VAULT_KEY_FILE=FILE (a file only you can read, mode 0600) or type the key when asked.\n',
              );
            }
            return vault.key;
          }),
      );
      service = createService(store);
    }
    return service;
  };
  const rt = makeRuntime(getService, out, vault, abort.signal) as ReturnType<typeof makeRuntime> & { out: Output };
  Object.defineProperty(rt, 'out', { get: () => out, set: (o: Output) => (out = o) });

  registerInventory(program, rt);
  const trust = registerTrust(program, rt);
  registerDiscovery(program, rt, trust);
  registerUpdates(program, rt);
  registerDeploy(program, rt);
  registerSourcesServe(program, rt);
  registerProxy(program, rt);
  registerServe(program, rt, getService);
  registerExport(program, rt);

  // `--version` is handled here, not as a commander option, because `plan --version V` and
  // `check --version V` name a component version (cli.md).
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  program.addHelpText('after', '\n  --version          print the asr-deploy version');

  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (e instanceof ExitRequest) return e.exitCode;
    if (!(e instanceof AsrFailure) && env.ASR_DEPLOY_DEBUG) console.error(e);
    return out.error(toAsrError(e));
  } finally {
    process.off('SIGINT', onSigint);
    // Uploads from a `serve` session end with it.
    service?.dispose();
    store?.close();
  }
}
