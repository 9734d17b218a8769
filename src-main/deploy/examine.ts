import {
  loadMatrices,
  matrixFor,
  reachabilityProbesFor,
  runChecks,
  type CheckSettings,
  type ReachabilityProbe,
  type RunChecksResult,
} from '../checks/index.ts';
import type { ComponentId } from '../components/catalog.ts';
import type { InstalledState } from '../components/recipe.ts';
import { recipeFor } from '../components/recipes.ts';
import type { StagingPlan } from '../components/recipe.ts';
import { probeRepository, type RepositoryProbe } from '../components/staging.ts';
import { remoteScript, shScript } from '../components/scripts.ts';
import { gatherFacts } from '../facts/index.ts';
import { AsrFailure, toAsrError, type AsrError } from '../model/errors.ts';
import type { Facts } from '../model/facts.ts';
import type { Host } from '../model/host.ts';
import type { Transport } from '../remote/transport.ts';
import type { Store } from '../store/store.ts';
import { hostSecrets, transportFor } from './connect.ts';

export interface Examination {
  host: Host;
  facts: Facts | null;
  checks: RunChecksResult;
  installed: InstalledState | null;
  /** Reachability probes run from the host (so the checks can be judged again for another version). */
  probes?: ReachabilityProbe[];
  /** Pull staging: whether the host reaches and trusts the repository (probed from the host, like the reachability checks). */
  repository?: RepositoryProbe;
  /** Set when the host could not be reached or read: the checks are then `unknown`. */
  error?: AsrError;
}

/**
 * Facts → reachability probes (from the host itself) → checks → detection, over the host's own
 * transport. Shared by `check` and `plan`; changes nothing on the host.
 */
export async function examineHost(
  store: Store,
  host: Host,
  want: {
    component: ComponentId;
    version: string | null;
    settings: CheckSettings;
    detect: boolean;
    signal?: AbortSignal;
    repository?: { url: string; pin: StagingPlan['pin'] };
  },
): Promise<Examination> {
  const base = { componentId: want.component, version: want.version, settings: want.settings };
  if (!host.os)
    return {
      host,
      facts: null,
      installed: null,
      checks: runChecks({ ...base, facts: null }),
      error: { code: 'validation', message: 'the host’s OS family is unknown', retryable: false },
    };
  let transport: Transport | undefined;
  try {
    transport = transportFor(store, host, hostSecrets(store, host));
    await transport.connect(want.signal ? { signal: want.signal } : {});
    const facts = await gatherFacts(host.os, transport, want.signal ? { signal: want.signal } : {});
    store.hosts.setFacts(host.id, facts);
    const matrix = matrixFor(want.component, want.version, loadMatrices());
    const targets =
      matrix && (want.settings.configurationServer || want.settings.processServer || want.settings.appliance)
        ? reachabilityProbesFor(matrix, want.settings)
        : [];
    const probes = targets.length ? await probeFrom(transport, targets, want.signal) : undefined;
    const checks = runChecks({ ...base, facts, ...(probes ? { probes } : {}) });
    const recipe = want.detect ? recipeFor(want.component, host.os) : undefined;
    const installed = recipe ? await recipe.detect(transport, want.signal) : null;
    const repository = want.repository ? await probeRepository(transport, want.repository.url, want.repository.pin, want.signal) : undefined;
    return { host, facts, checks, installed, ...(probes ? { probes } : {}), ...(repository ? { repository } : {}) };
  } catch (e) {
    if (e instanceof AsrFailure && e.data.code === 'cancelled') throw e;
    const error = toAsrError(e, host.name);
    return { host, facts: null, installed: null, checks: runChecks({ ...base, facts: null }), error };
  } finally {
    await transport?.close().catch(() => undefined);
  }
}

/**
 * TCP probes from the host itself: resources/scripts/linux/tcp-probe.sh over SSH, or
 * resources/scripts/windows/tcp-probe.ps1 in the host's PSSession.
 */
export async function probeFrom(transport: Transport, targets: { target: string; port: number }[], signal?: AbortSignal): Promise<ReachabilityProbe[]> {
  const timeoutMs = 10_000 * targets.length;
  if (transport.capabilities.scripts) {
    const params = { Targets: targets.map((t) => t.target), Ports: targets.map((t) => String(t.port)), TimeoutMs: 5000 };
    const out = await transport.runScript<ReachabilityProbe[] | ReachabilityProbe>(remoteScript('windows', 'tcp-probe.ps1'), params, {
      timeoutMs,
      what: 'reachability probes',
      ...(signal ? { signal } : {}),
    });
    return (Array.isArray(out) ? out : [out]).map((p) => ({
      target: String(p.target),
      port: Number(p.port),
      ok: p.ok === true,
      ...(p.error ? { error: String(p.error) } : {}),
    }));
  }
  const args = targets.flatMap((t) => [t.target, String(t.port)]);
  const r = await transport.exec(shScript('tcp-probe.sh', '5', ...args), { timeoutMs, allowNonZero: true, ...(signal ? { signal } : {}) });
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as ReachabilityProbe);
}
