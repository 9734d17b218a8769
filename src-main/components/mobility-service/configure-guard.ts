import { fail } from '../../model/errors.ts';
import type { Transport } from '../../remote/transport.ts';
import type { InstalledState, RecipeTarget, StepContext } from '../recipe.ts';

/**
 * The replication appliance's configure step starts the same way on Linux and Windows: an agent
 * already registered skips it; without the appliance's config file for this host it cannot run.
 */
export async function applianceConfigureGuard(
  ctx: StepContext,
  target: RecipeTarget,
  host: string,
  detect: (t: Transport, signal?: AbortSignal) => Promise<InstalledState>,
): Promise<{ skip: { detail: { skipped: string } } } | { state: InstalledState; configFile: string }> {
  const state = await detect(ctx.transport, ctx.signal);
  if (state.configured === true) return { skip: { detail: { skipped: 'already registered' } } };
  if (!target.configFile)
    fail('validation', `${host} has no config file from the replication appliance yet.`, {
      host,
      remedy: 'asr-deploy jobs config-requests JOB --out DIR, make the files at the appliance, then asr-deploy jobs configure JOB --from DIR.',
      details: { reason: 'config_file_missing' },
    });
  return { state, configFile: target.configFile };
}
