import { win32 } from 'node:path';
import { fail } from '../../model/errors.ts';
import type { Transport } from '../../remote/transport.ts';
import { loadCatalog, type Catalog } from '../catalog.ts';
import type { Recipe, RecipeStep, RecipeTarget, StepContext } from '../recipe.ts';
import { compareVersions } from '../version.ts';
import {
  cleanupStaging,
  detectComponent,
  displayStagingDir,
  fetchWindowsLogs,
  REDACTED,
  renderLine,
  runLine,
  shownLine,
  stageInstaller,
  stagingDir,
  type WinLine,
} from '../windows/common.ts';

/**
 * The Recovery Services (MARS) agent on the Hyper-V hosts of a VMM cloud: `MARSAgentInstaller.exe
 * /q /nu` with the documented proxy switches (/ph /po /pu /pw); version from cbengine.exe in the
 * install path (HKLM\SOFTWARE\Microsoft\Windows Azure Backup\Setup InstallPath); service obengine.
 * No separate registration: the Provider on the VMM server registers the cloud.
 */
const detect = (t: Transport, signal?: AbortSignal) => detectComponent(t, loadCatalog(), 'mars-agent', signal);

function mainLine(catalog: Catalog, target: RecipeTarget, dir: string, installerPath: string): WinLine {
  const cl = catalog.commandLines('mars-agent', target.version, 'windows');
  const proxy = target.proxy ?? null;
  const passwordFile = win32.join(dir, 'proxy.secret');
  const values = { installer: installerPath, proxyAddress: proxy?.address, proxyPort: proxy?.port, proxyUser: proxy?.user, proxyPassword: REDACTED };
  const r = renderLine(cl, target.action, values, { proxy: !!proxy, proxyAuth: !!proxy?.user, vmmServer: false });
  return {
    step: target.action,
    argv: r.argv,
    cwd: dir,
    secretFiles: proxy?.user && proxy.password ? [{ path: passwordFile, value: proxy.password }] : [],
    secretArgs: r.secretKeys.map((s) => ({ index: s.index, file: passwordFile })),
  };
}

export const marsAgentWindows: Recipe = {
  component: 'mars-agent',
  platform: 'windows',
  detect,

  commandLines(catalog, target) {
    return [shownLine(mainLine(catalog, target, displayStagingDir('JOB'), target.installer.file))];
  },

  steps(catalog, target): RecipeStep[] {
    const host = target.host.name;
    const isDone = (ctx: StepContext) => async () => {
      const s = await detect(ctx.transport, ctx.signal);
      return !!s.version && compareVersions(s.version, target.version) === 0;
    };
    return [
      { name: 'stage', skipIfDone: true, run: (ctx) => stageInstaller(ctx, target) },
      {
        name: target.action,
        skipIfDone: true,
        async run(ctx) {
          const dir = stagingDir(ctx, host);
          return runLine(
            ctx,
            catalog,
            'mars-agent',
            'MARSAgentInstaller.exe',
            dir,
            mainLine(catalog, target, dir, win32.join(dir, target.installer.file)),
            host,
            isDone(ctx),
          );
        },
      },
      {
        name: 'verify',
        skipIfDone: false,
        async run(ctx) {
          const s = await detect(ctx.transport, ctx.signal);
          if (!s.installed || !s.version)
            fail('install_failed', `After setup ${host} shows no Recovery Services agent (no cbengine.exe in the install path).`, {
              host,
              remedy: 'See CBEngineCurr.errlog in the host log.',
            });
          if (compareVersions(s.version, target.version) !== 0)
            fail('install_failed', `After setup ${host} reports the Recovery Services agent ${s.version}, not ${target.version}.`, {
              host,
              remedy: 'See the agent’s logs in the host log.',
            });
          if (s.service !== 'running')
            return { warning: `obengine is ${s.service ?? 'in an unknown state'} after setup`, detail: s as unknown as Record<string, unknown> };
          return { detail: s as unknown as Record<string, unknown> };
        },
      },
    ];
  },

  cleanup: (ctx) => cleanupStaging(ctx),

  async uninstall() {
    return fail(
      'unsupported',
      'The documented uninstall of the Recovery Services agent is the installer itself (MARSAgentInstaller.exe /q /d), which is not kept on the host.',
      {
        remedy: 'Copy MARSAgentInstaller.exe to the host and run `MARSAgentInstaller.exe /q /d` there, or remove it in Programs and Features.',
      },
    );
  },

  fetchLogs: (t, catalog) => fetchWindowsLogs(t, catalog, 'mars-agent'),
};
