import { z } from 'zod';
import { AsrFailure, toAsrError } from '../model/errors.ts';
import type { Store } from '../store/store.ts';
import { commands, type CallOptions, type CommandInput, type CommandName, type CommandOutput, type Result, type ServiceApi } from './contract.ts';
import type { HandlerContext } from './context.ts';
import * as inventory from './handlers/inventory.ts';

type Handler<N extends CommandName> = (input: z.output<(typeof commands)[N]['input']>, ctx: HandlerContext) => CommandOutput<N> | Promise<CommandOutput<N>>;
type Handlers = { [N in CommandName]: Handler<N> };

const handlers: Handlers = {
  'hosts.add': inventory.hostsAdd,
  'hosts.list': inventory.hostsList,
  'hosts.remove': inventory.hostsRemove,
  'hosts.import': inventory.hostsImport,
  'credentials.add': inventory.credentialsAdd,
  'credentials.list': inventory.credentialsList,
  'credentials.remove': inventory.credentialsRemove,
  'trust.list': inventory.trustList,
  'trust.revoke': inventory.trustRevoke,
};

/** The service behind every front end: validates input, runs the handler, returns a Result envelope. */
export function createService(store: Store): ServiceApi {
  return {
    async call<N extends CommandName>(name: N, input: CommandInput<N>, opts: CallOptions = {}): Promise<Result<CommandOutput<N>>> {
      const spec = commands[name];
      if (!spec) return { ok: false, error: { code: 'usage', message: `Unknown command ${String(name)}.`, retryable: false } };
      const parsed = (spec.input as z.ZodType).safeParse(input);
      if (!parsed.success) {
        return {
          ok: false,
          error: { code: 'validation', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), retryable: false },
        };
      }
      const ctx: HandlerContext = { store, signal: opts.signal ?? new AbortController().signal, emit: opts.onEvent ?? (() => {}) };
      try {
        const handler = handlers[name] as Handler<N>;
        const value = await handler(parsed.data as never, ctx);
        return { ok: true, value };
      } catch (e) {
        if (!(e instanceof AsrFailure) && process.env.ASR_DEPLOY_DEBUG) console.error(e);
        return { ok: false, error: toAsrError(e) };
      }
    },
  };
}
