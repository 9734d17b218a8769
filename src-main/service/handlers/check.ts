import { randomBytes } from 'node:crypto';
import { groupByCheck, toCheckRunDocument } from '../../checks/index.ts';
import { loadCatalog } from '../../components/catalog.ts';
import { examineHost } from '../../deploy/examine.ts';
import { registrationSettings, resolveRegistration } from '../../deploy/registration.ts';
import { fail } from '../../model/errors.ts';
import { forEachHost, valuesOrThrow } from '../../model/for-each-host.ts';
import { nowIso } from '../../store/db.ts';
import type { CommandInput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

/** Prerequisite checks: each host examined against the support matrix, the run stored for reports. */
export const checkHandlers = {
  'check.run': async (input: CommandInput<'check.run'>, { store, signal, emit }: HandlerContext) => {
    const catalog = loadCatalog();
    const registration = resolveRegistration({ cs: input.cs, ps: input.ps, appliance: input.appliance });
    const settings = registrationSettings(catalog, registration);
    const version = input.version ?? catalog.latest(input.component).version;
    const hosts = store.hosts.select(input.hosts);
    if (!hosts.length)
      fail('validation', 'No hosts are selected: there is nothing to check.', {
        remedy: 'Add hosts with `asr-deploy hosts add` or `discover … --add`, or check --hosts.',
      });
    // examineHost turns a host's failure into its checks' evidence; a throw here is a bug, and fails the run as before.
    const results = valuesOrThrow(
      await forEachHost(
        hosts,
        async (h) => {
          const ex = await examineHost(store, h, { component: input.component, version, settings, detect: false, signal });
          if (ex.error) {
            ex.checks.checks[0] = {
              ...ex.checks.checks[0]!,
              evidence: `${ex.error.code}: ${ex.error.message}`,
              remedy: ex.error.remedy ?? ex.checks.checks[0]!.remedy,
            };
          }
          return { host: h.name, result: ex.checks, ...(ex.error ? { error: ex.error } : {}) };
        },
        {
          concurrency: input.concurrency ?? 16,
          hostOf: (h) => h.name,
          onSettled: (o, p) =>
            o.ok && emit({ type: 'progress', ...p, message: `${o.item.name}: ${o.value.result.verdict}${o.value.error ? ` (${o.value.error.code})` : ''}` }),
        },
      ),
    );
    const doc = toCheckRunDocument(input.component, version, results);
    const runId = `c-${randomBytes(4).toString('hex')}`;
    store.checkRuns.add({ id: runId, createdAt: nowIso(), component: input.component, version }, doc);
    return { ...doc, runId, byCheck: groupByCheck(doc) };
  },
} satisfies HandlerPart<'check.run'>;
