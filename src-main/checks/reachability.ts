import { defineCheck, type CheckDefinition } from './definition.ts';
import { result } from './helpers.ts';
import type { Matrix } from './matrix.ts';
import type { CheckSettings, ReachabilityProbe, ReachabilityTarget } from './types.ts';

/**
 * The TCP connections the engine should attempt FROM the host (over its transport, e.g.
 * `bash -c 'exec 3<>/dev/tcp/H/P'` or `Test-NetConnection H -Port P`): configuration server on its
 * control port (443) and process server on its data port (9443; 9080 in 2015). Pure.
 */
export function reachabilityProbesFor(matrix: Matrix, settings: CheckSettings): ReachabilityTarget[] {
  if (!matrix.ports) return [];
  const out: ReachabilityTarget[] = [];
  const cs = settings.configurationServer ?? null;
  // The configuration server carries a built-in process server unless a scale-out one is named.
  const ps = settings.processServer ?? cs;
  if (cs) out.push({ role: 'configuration-server', target: cs, port: matrix.ports.configurationServer });
  if (ps) out.push({ role: 'process-server', target: ps, port: settings.processServerPort ?? matrix.ports.processServer });
  return out;
}

function reachCheck(role: ReachabilityTarget['role'], id: string, title: string): CheckDefinition {
  const label = role === 'configuration-server' ? 'configuration server' : 'process server';
  return defineCheck({
    id,
    title,
    families: ['linux', 'windows'],
    components: ['mobility-service'],
    needs: {},
    appliesTo: (m) => m.ports !== undefined,
    run(facts, matrix, settings, extra) {
      const t = reachabilityProbesFor(matrix, settings).find((p) => p.role === role);
      if (!t) {
        return result(this, 'warn', `No ${label} address was given, so reachability from the host was not tested.`, `Give the ${label} address (${role === 'configuration-server' ? '--cs' : '--ps, or --cs for its built-in process server'}) and run the check again.`);
      }
      const probe: ReachabilityProbe | undefined = extra?.probes?.find((p) => p.target === t.target && p.port === t.port);
      const host = facts.hostName ?? 'the host';
      if (!probe) return result(this, 'unknown', `${host} → ${t.target}:${t.port} was not probed.`, 'Run the check with connectivity probes (the engine tests the connection from the host).');
      if (probe.ok) return result(this, 'pass', `${host} reached the ${label} ${t.target} on TCP ${t.port}.`);
      return result(
        this,
        'fail',
        `${host} could not reach the ${label} ${t.target} on TCP ${t.port}${probe.error ? `: ${probe.error}` : ''}.`,
        `Allow outbound TCP ${t.port} from ${host} to ${t.target} (host firewall, network firewall/NSG, routing, name resolution). Test from the host with ${facts.family === 'windows' ? `\`Test-NetConnection ${t.target} -Port ${t.port}\`` : `\`timeout 5 bash -c '</dev/tcp/${t.target}/${t.port}' && echo open\``}.`,
      );
    },
  });
}

export const reachConfigurationServer = reachCheck('configuration-server', 'reach-configuration-server', 'Configuration server reachable from the host');
export const reachProcessServer = reachCheck('process-server', 'reach-process-server', 'Process server reachable from the host');

export const REACHABILITY_CHECKS: readonly CheckDefinition[] = [reachConfigurationServer, reachProcessServer];
