import { createInterface } from 'node:readline';
import { AsrFailure, fail } from '../model/errors.ts';
import type { CallOptions, CommandInput, CommandName, CommandOutput, ServiceApi } from '../service/contract.ts';
import type { Output } from './io.ts';

/** What each CLI command needs: the service (through the contract only), output, and the vault key. */
export interface CliRuntime {
  readonly out: Output;
  /** Calls the service; a failed Result is thrown as AsrFailure and becomes the exit code in main. */
  call<N extends CommandName>(name: N, input: CommandInput<N>, opts?: CallOptions): Promise<CommandOutput<N>>;
  /** Makes sure a vault key is at hand before a command that reads or writes secrets. */
  needVault(): Promise<void>;
  /** stdin and stderr are a terminal: a question can be asked and answered. */
  readonly interactive: boolean;
  /** Asks a yes/no question on the terminal; only "y" or "yes" is a yes. */
  confirm(question: string): Promise<boolean>;
  readonly signal: AbortSignal;
}

export function makeRuntime(service: () => ServiceApi, out: Output, vault: { key?: string }, signal: AbortSignal): CliRuntime {
  return {
    out,
    signal,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    confirm: (question) => askLine(question).then((a) => /^(y|yes)$/i.test(a.trim())),
    async call(name, input, opts) {
      const r = await service().call(name, input, { signal, ...opts });
      if (!r.ok) throw new AsrFailure(r.error.code, r.error.message, r.error);
      return r.value;
    },
    async needVault() {
      if (vault.key) return;
      if (!process.stdin.isTTY || !process.stderr.isTTY) {
        fail('vault_locked', 'Credentials are kept in an encrypted vault and no vault key was given (no terminal to ask on).', {
          remedy:
            'Set ASR_DEPLOY_VAULT_KEY_FILE to a file only you can read (mode 0600) holding the vault passphrase (the same one every time for this data directory); ASR_DEPLOY_VAULT_KEY works too but is visible in /proc/<pid>/environ.',
        });
      }
      vault.key = await promptHidden('Vault key (ASR_DEPLOY_VAULT_KEY): ');
    },
  };
}

function askLine(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Ctrl-C or Ctrl-D at the question is a no.
    rl.on('SIGINT', () => {
      rl.close();
      resolve('');
    });
    rl.on('close', () => resolve(''));
    rl.question(question, (answer) => {
      resolve(answer);
      rl.close();
    });
  });
}

/** Asks on the terminal without echoing what is typed. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const w = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    w._writeToOutput = (s: string) => {
      if (s.startsWith(question)) w.output.write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** Resolves when a long-running command should stop: main's SIGINT aborts `signal`; SIGTERM (service managers, `kill`) stops it the same way. */
export function untilStopped(signal: AbortSignal): Promise<void> {
  return new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      signal.removeEventListener('abort', stop);
      done();
    };
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    process.once('SIGTERM', stop);
  });
}
