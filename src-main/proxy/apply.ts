import { randomBytes } from 'node:crypto';
import { remoteScript } from '../components/scripts.ts';
import type { ScriptRunner } from '../discovery/hyperv/discover.ts';
import { toAsrError, type AsrError } from '../model/errors.ts';
import type { Host } from '../model/host.ts';
import type { Transport } from '../remote/transport.ts';
import type { ProxyRecord } from './proxies.ts';

/**
 * Where DRConfigurator.exe lives (asr-components.md §1.2/§1.3): in the VMM `bin` folder on a VMM
 * server, in the Provider's own folder on a Hyper-V host. Only the documented paths; other VMM
 * versions install elsewhere, so `proxy apply --drconfigurator PATH` adds a path to try first.
 */
export const DRCONFIGURATOR_PATHS = {
  vmm: ['C:\\Program Files\\Microsoft System Center 2012 R2\\Virtual Machine Manager\\bin\\DRConfigurator.exe'],
  hyperv: ['C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe'],
} as const;
/** Documented display name (the short name is not documented): asr-components.md §1.4. */
export const VMM_SERVICE_DISPLAY_NAME = 'System Center Virtual Machine Manager Service';
export const MARS_SERVICE = 'obengine';
export const DRA_PROXY_ACCOUNT = 'DRAProxyAccount';

export type ApplyStepId = 'provider' | 'mars-agent' | 'vmm-proxy-account';
export interface PlannedStep {
  id: ApplyStepId;
  why: string;
}

/** Which proxy settings a host carries, from its role tags (set by `discover vmm|hyperv --add` or by hand). */
export function proxyStepsFor(host: Host, proxy: ProxyRecord): { steps: PlannedStep[]; skip: string | null } {
  const tags = new Set(host.tags);
  const vmm = tags.has('role:vmm-server');
  const hyperv = tags.has('role:hyperv-host');
  if (host.os === 'linux') return { steps: [], skip: 'a Linux host: the Provider, MARS agent and DRAProxyAccount are Windows-side settings' };
  if (!vmm && !hyperv)
    return {
      steps: [],
      skip: 'neither role:vmm-server nor role:hyperv-host: nothing of the Provider or MARS agent is known to run here (tag the host, or run `discover vmm|hyperv --add`)',
    };
  const steps: PlannedStep[] = [];
  if (vmm) {
    steps.push({
      id: 'provider',
      why: 'role:vmm-server: the Provider runs on the VMM server; re-registered with the proxy (DRConfigurator.exe /r … /proxyAddress)',
    });
    if (proxy.credential)
      steps.push({
        id: 'vmm-proxy-account',
        why: `role:vmm-server with an authenticating proxy: the ${DRA_PROXY_ACCOUNT} Run As account holds the proxy credential; the VMM service is restarted for it to take effect`,
      });
  }
  if (hyperv) {
    const managedBy = host.tags.find((t) => t.startsWith('vmm:'));
    if (!managedBy) steps.push({ id: 'provider', why: 'role:hyperv-host without VMM: the Provider runs on the host; re-registered with the proxy' });
    steps.push({
      id: 'mars-agent',
      why: managedBy
        ? `role:hyperv-host managed by VMM (${managedBy}): the Provider is on the VMM server, the host carries the MARS agent (Set-OBMachineSetting, restart obengine)`
        : 'role:hyperv-host: the MARS agent replicates from here (Set-OBMachineSetting, restart obengine)',
    });
  }
  return { steps: steps.filter((s, i) => steps.findIndex((x) => x.id === s.id) === i), skip: null };
}

export interface StepResult {
  id: ApplyStepId;
  status: 'applied' | 'not_installed' | 'failed';
  why: string;
  detail: string | null;
  exitCode?: number;
}

/** What applying needs of a transport: scripts, an upload (the vault credentials file) and the session's temp folder. */
export type ApplyRunner = ScriptRunner & Pick<Transport, 'upload' | 'remoteTemp'>;

export interface ApplyContext {
  proxy: ProxyRecord;
  account: { user: string; password: string } | null;
  vaultCredentialsFile?: string;
  drconfigurator?: string;
  signal?: AbortSignal;
}

interface ScriptAnswer {
  ok: boolean;
  status: string;
  detail?: string;
  exitCode?: number;
  output?: string;
  account?: string;
  serviceStatus?: string;
}

/** Runs the planned steps in order (Provider, then DRAProxyAccount + VMM restart, then MARS); stops at the first failure. */
export async function applyProxySteps(
  runner: ApplyRunner,
  host: Host,
  steps: readonly PlannedStep[],
  ctx: ApplyContext,
): Promise<{ steps: StepResult[]; error: AsrError | null }> {
  const out: StepResult[] = [];
  const secrets: Record<string, string> = ctx.account ? { ProxyPassword: ctx.account.password } : {};
  const proxyParams = { ProxyAddress: `http://${ctx.proxy.host}`, ProxyPort: ctx.proxy.port, ProxyUser: ctx.account?.user ?? '' };
  const order: ApplyStepId[] = ['provider', 'vmm-proxy-account', 'mars-agent'];
  for (const step of [...steps].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))) {
    try {
      let a: ScriptAnswer;
      if (step.id === 'provider') {
        const paths = [
          ...(ctx.drconfigurator ? [ctx.drconfigurator] : []),
          ...(host.tags.includes('role:vmm-server') ? DRCONFIGURATOR_PATHS.vmm : DRCONFIGURATOR_PATHS.hyperv),
        ];
        const remotePath = `${(runner.remoteTemp ?? 'C:\\Windows\\Temp').replace(/[\\/]+$/, '')}\\asr-deploy-${randomBytes(4).toString('hex')}.vaultcredentials`;
        await runner.upload(ctx.vaultCredentialsFile!, remotePath, ctx.signal ? { signal: ctx.signal } : {});
        a = await runner.runScript<ScriptAnswer>(
          remoteScript('windows', 'proxy-apply-provider.ps1'),
          { DRConfiguratorPaths: paths, VaultCredentialsPath: remotePath, FriendlyName: '', ...proxyParams },
          { secrets, what: 'Provider proxy (DRConfigurator)', timeoutMs: 15 * 60_000, ...(ctx.signal ? { signal: ctx.signal } : {}) },
        );
      } else if (step.id === 'vmm-proxy-account') {
        a = await runner.runScript<ScriptAnswer>(
          remoteScript('windows', 'proxy-apply-vmm-account.ps1'),
          { AccountName: DRA_PROXY_ACCOUNT, ProxyUser: ctx.account!.user, ServiceDisplayName: VMM_SERVICE_DISPLAY_NAME },
          { secrets, what: `${DRA_PROXY_ACCOUNT} Run As account`, timeoutMs: 10 * 60_000, ...(ctx.signal ? { signal: ctx.signal } : {}) },
        );
      } else {
        a = await runner.runScript<ScriptAnswer>(
          remoteScript('windows', 'proxy-apply-mars.ps1'),
          { ...proxyParams, ServiceName: MARS_SERVICE },
          { secrets, what: 'MARS agent proxy', timeoutMs: 5 * 60_000, ...(ctx.signal ? { signal: ctx.signal } : {}) },
        );
      }
      const status: StepResult['status'] = a.status === 'not_installed' ? 'not_installed' : a.ok ? 'applied' : 'failed';
      const detail =
        a.detail ??
        (a.account
          ? `${DRA_PROXY_ACCOUNT} ${a.account}; VMM service ${a.serviceStatus ?? '?'}`
          : a.serviceStatus
            ? `service ${a.serviceStatus}`
            : a.output?.trim().split(/\r?\n/).slice(-3).join(' / ') || null);
      out.push({ id: step.id, status, why: step.why, detail, ...(a.exitCode !== undefined ? { exitCode: a.exitCode } : {}) });
      if (status === 'failed')
        return {
          steps: out,
          error: {
            code: 'command_failed',
            message: `${host.name}: ${step.id}: ${detail ?? 'failed'}`,
            host: host.name,
            retryable: false,
            remedy: 'See the host’s Provider log (%ProgramData%\\ASRLogs) or the MARS agent event log, fix, and run `proxy apply` again.',
          },
        };
    } catch (e) {
      const error = toAsrError(e, host.name);
      out.push({ id: step.id, status: 'failed', why: step.why, detail: error.message });
      return { steps: out, error };
    }
  }
  return { steps: out, error: null };
}
