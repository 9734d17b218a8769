import { loadCatalog } from '../../components/catalog.ts';
import { catalogInfo, updateCatalog } from '../../components/catalog-update.ts';
import { addSchedule, listSchedules, removeSchedule } from '../../updates/schedule.ts';
import { runSweep } from '../../updates/sweep.ts';
import type { CommandInput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

export const updatesHandlers = {
  'sweep.run': async (input: CommandInput<'sweep.run'>, { store, signal, emit }: HandlerContext) => {
    const { maxFailures, stepTimeoutMs, ...rest } = input;
    const r = await runSweep(
      store,
      {
        hosts: rest.hosts ?? 'all',
        check: !!rest.check,
        ...(rest.source ? { source: rest.source } : {}),
        ...(rest.version ? { version: rest.version } : {}),
        ...(rest.concurrency ? { concurrency: rest.concurrency } : {}),
        ...(rest.schedule ? { schedule: rest.schedule } : {}),
        ...(rest.webhook ? { webhook: rest.webhook } : {}),
        run: { ...(maxFailures !== undefined ? { maxFailures } : {}), ...(stepTimeoutMs ? { stepTimeoutMs } : {}) },
      },
      { signal, onEvent: emit },
    );
    return r;
  },
  'schedule.add': (input: CommandInput<'schedule.add'>, { store }: HandlerContext) =>
    addSchedule(store, {
      name: input.name,
      every: input.every,
      sweepArgs: input.sweepArgs ?? [],
      ...(input.at ? { at: input.at } : {}),
      ...(input.vaultKeyFile ? { vaultKeyFile: input.vaultKeyFile } : {}),
    }),
  'catalog.update': async (input: CommandInput<'catalog.update'>, { store }: HandlerContext) =>
    catalogInfo(store.home, await updateCatalog(store.home, input.source, input.sha256)),
  'catalog.info': (_i: CommandInput<'catalog.info'>, { store }: HandlerContext) => catalogInfo(store.home, loadCatalog()),
  'schedule.list': (_i: CommandInput<'schedule.list'>, { store }: HandlerContext) => listSchedules(store),
  'schedule.remove': (input: CommandInput<'schedule.remove'>, { store }: HandlerContext) => removeSchedule(store, input.name),
} satisfies HandlerPart<'catalog.update' | 'catalog.info' | 'sweep.run' | 'schedule.add' | 'schedule.list' | 'schedule.remove'>;
