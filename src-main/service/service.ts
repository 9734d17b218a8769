import type { z } from 'zod';
import { AsrFailure, toAsrError } from '../model/errors.ts';
import { useStoredCatalog } from '../components/catalog-update.ts';
import type { Store } from '../store/store.ts';
import { commands, type CallOptions, type CommandInput, type CommandName, type CommandOutput, type Result, type ServiceApi } from './contract.ts';
import type { HandlerContext } from './context.ts';
import { deployHandlers } from './handlers/deploy.ts';
import { discoveryHandlers } from './handlers/discovery.ts';
import { updatesHandlers } from './handlers/updates.ts';
import * as inventory from './handlers/inventory.ts';
import { uiHandlers } from './handlers/ui.ts';
import { exportHandlers } from './handlers/export.ts';
import { proxyHandlers } from './handlers/proxy.ts';

import type { Handler, Handlers } from './handlers/types.ts';

/** Every command of the contract has exactly one handler: a missing one is a type error here. */
const handlers: Handlers = {
  ...inventory.inventoryHandlers,
  ...deployHandlers,
  ...discoveryHandlers,
  ...updatesHandlers,
  ...uiHandlers,
  ...exportHandlers,
  ...proxyHandlers,
};

/** The service behind every front end: validates input, runs the handler, returns a Result envelope. */
export function createService(store: Store): ServiceApi {
  useStoredCatalog(store.home);
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
