import { defineCheck, type CheckDefinition } from './definition.ts';
import { result } from './helpers.ts';
import type { Matrix } from './matrix.ts';
import type { CheckSettings, ReachabilityProbe, ReachabilityTarget } from './types.ts';

/**
 * The TCP connections the engine should attempt FROM the host (over its transport, e.g.
 * `bash -c 'exec 3<>/dev/tcp/H/P'` or `Test-NetConnection H -Port P`). Classic: configuration
 * server on its control port (443) and process server on its data port (9443; 9080 in 2015).
 * Modernized: the replication appliance on the same two ports (control 443, data 9443). Pure.
 */
export function reachabilityProbesFor(matrix: Matrix, settings: CheckSettings): ReachabilityTarget[] {
  if (!matrix.ports) return [];
  const out: ReachabilityTarget[] = [];
  if (settings.appliance) {
    out.push({ role: 'appliance-control', target: settings.appliance, port: matrix.ports.configurationServer });
    out.push({ role: 'appliance-data', target: settings.appliance, port: settings.processServerPort ?? matrix.ports.processServer });
    return out;
  }
  const cs = settings.configurationServer ?? null;
  // The configuration server carries a built-in process server unless a scale-out one is named.
  const ps = settings.processServer ?? cs;
  if (cs) out.push({ role: 'configuration-server', target: cs, port: matrix.ports.configurationServer });
  if (ps) out.push({ role: 'process-server', target: ps, port: settings.processServerPort ?? matrix.ports.processServer });
  return out;
}

const LABELS: Record<ReachabilityTarget['role'], string> = {
  'configuration-server': 'configuration server',
  'process-server': 'process server',
  'appliance-control': 'replication appliance (control channel)',
  'appliance-data': 'replication appliance (data transport)',
};

function reachCheck(role: ReachabilityTarget['role'], id: string, title: string): CheckDefinition {
  const label = LABELS[role];
  const modernized = role.startsWith('appliance');
  return defineCheck({
    id,
    title,
    families: ['linux', 'windows'],
    components: ['mobility-service'],
    needs: {},
    appliesTo: (m) => m.ports !== undefined,
    // A plan registers with one architecture: the appliance's checks replace the configuration server's.
    appliesToSettings: (s) => (modernized ? !!s.appliance : !s.appliance),
    run(facts, matrix, settings, extra) {
      const t = reachabilityProbesFor(matrix, settings).find((p) => p.role === role);
      if (!t) {
        return result(
          this,
          'warn',
          `No replication appliance or ${label} address was given, so reachability from the host was not tested.`,
          role === 'configuration-server'
            ? 'Give the replication appliance address (--appliance), or for classic the configuration server (--cs), and run the check again.'
            : 'Give --ps, or --cs for its built-in process server (classic), or --appliance (modernized), and run the check again.',
        );
      }
      const probe: ReachabilityProbe | undefined = extra?.probes?.find((p) => p.target === t.target && p.port === t.port);
      const host = facts.hostName ?? 'the host';
      if (!probe)
        return result(
          this,
          'unknown',
          `${host} → ${t.target}:${t.port} was not probed.`,
          'Run the check with connectivity probes (the engine tests the connection from the host).',
        );
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
export const reachApplianceControl = reachCheck(
  'appliance-control',
  'reach-appliance-control',
  'Replication appliance reachable from the host (control, TCP 443)',
);
export const reachApplianceData = reachCheck('appliance-data', 'reach-appliance-data', 'Replication appliance reachable from the host (data, TCP 9443)');

/**
 * Classic ASR (configuration server + passphrase) still works where a configuration server runs,
 * but Microsoft retired it: a `warn` with the date from the catalog's data, never a block.
 */
export const classicRetired = defineCheck({
  id: 'classic-retired',
  title: 'Registration architecture is supported by Microsoft',
  families: ['linux', 'windows'],
  components: ['mobility-service'],
  needs: {},
  // Only where the run knows the catalog's dates (registrationSettings); the pure matrix runs have none.
  appliesToSettings: (s) => !!s.configurationServer && !s.appliance && !!s.classicRetired,
  run(_facts, _matrix, settings) {
    const r = settings.classicRetired!;
    return result(
      this,
      'warn',
      `classic is retired since ${r.date}: the plan registers with the configuration server ${settings.configurationServer} and a passphrase (source: ${r.source}).`,
      'It still works where your configuration server runs. New deployments register with a modernized replication appliance: plan with --appliance ADDRESS instead of --cs.',
    );
  },
});

export const REACHABILITY_CHECKS: readonly CheckDefinition[] = [
  classicRetired,
  reachConfigurationServer,
  reachProcessServer,
  reachApplianceControl,
  reachApplianceData,
];
