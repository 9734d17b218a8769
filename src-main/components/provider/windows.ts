import { win32 } from 'node:path';
import { fail } from '../../model/errors.ts';
import type { Transport } from '../../remote/transport.ts';
import { loadCatalog, type Catalog } from '../catalog.ts';
import { compareVersions } from '../version.ts';
import type { InstalledState, Recipe, RecipeStep, RecipeTarget, StepContext } from '../recipe.ts';
import { renderArgv } from '../recipe.ts';
import {
  cleanupStaging,
  detectComponent,
  displayStagingDir,
  fetchWindowsLogs,
  REDACTED,
  renderLine,
  runLine,
  runPs,
  shownLine,
  stageInstaller,
  stagingDir,
  type WinLine,
} from '../windows/common.ts';
import { isVmmServer } from './roles.ts';

interface ServiceAnswer {
  name: string;
  exists: boolean;
  before: string | null;
  status: string | null;
}

async function detect(t: Transport, signal?: AbortSignal) {
  const r = await detectComponent(t, loadCatalog(), 'provider', signal);
  // On a VMM server the Provider runs inside VMM (DRAdapter): its health is the VMM service's.
  if (r.vmm && r.vmm.state !== 'absent') return { ...r, service: r.vmm.state as InstalledState['service'] };
  return r;
}

/** The command lines of this target; `dir` is the staging folder, `configuratorDir` where DRConfigurator.exe is. */
function lines(
  catalog: Catalog,
  target: RecipeTarget,
  dir: string,
  configuratorDir: string | null,
): { extract: WinLine; main: WinLine; configure: WinLine | null } {
  const cl = catalog.commandLines('provider', target.version, 'windows');
  const vmmServer = isVmmServer(target.host);
  const x = win32.join(dir, 'x');
  const credentials = win32.join(dir, 'vault.VaultCredentials');
  const proxyPasswordFile = win32.join(dir, 'proxy.secret');
  const proxy = target.proxy ?? null;
  const values = {
    installer: win32.join(dir, target.installer.file),
    extractDir: x,
    configuratorDir: configuratorDir ?? (vmmServer ? cl.vmm?.binDir : cl.installDir),
    friendlyName: target.friendlyName || target.host.name,
    vaultCredentialsFile: credentials,
    proxyAddress: proxy?.address,
    proxyPort: proxy?.port,
    proxyUser: proxy?.user,
    proxyPassword: REDACTED,
  };
  const apply = { proxy: !!proxy, proxyAuth: !!proxy?.user, vmmServer };
  const extract: WinLine = { step: 'extract', argv: renderArgv(cl.extract ?? ['{installer}', '/x:.', '/q'], values), cwd: x, secretFiles: [], secretArgs: [] };
  const main: WinLine = {
    step: target.action,
    argv: renderArgv(target.action === 'upgrade' ? cl.upgrade : cl.install, values),
    cwd: x,
    secretFiles: [],
    secretArgs: [],
  };
  let configure: WinLine | null = null;
  if (cl.configure) {
    const c = renderLine(cl, 'configure', values, apply);
    configure = {
      step: 'configure',
      argv: c.argv,
      cwd: values.configuratorDir ?? cl.installDir,
      secretFiles: [
        ...(target.vaultCredentials ? [{ path: credentials, value: target.vaultCredentials }] : []),
        ...(proxy?.password && apply.proxyAuth ? [{ path: proxyPasswordFile, value: proxy.password }] : []),
      ],
      secretArgs: c.secretKeys.map((s) => ({ index: s.index, file: proxyPasswordFile })),
    };
  }
  return { extract, main, configure };
}

async function vmmService(ctx: StepContext, catalog: Catalog, action: 'stop' | 'start' | 'status'): Promise<ServiceAnswer> {
  const name = catalog.commandLines('provider', catalog.latest('provider').version, 'windows').vmm?.service;
  if (!name) fail('unsupported', 'The catalog names no VMM service.');
  return runPs<ServiceAnswer>(
    ctx.transport,
    'service-control.ps1',
    { Name: name, Action: action, TimeoutSeconds: 300 },
    { timeoutMs: 360_000, signal: ctx.signal },
  );
}

export const providerWindows: Recipe = {
  component: 'provider',
  platform: 'windows',
  detect,

  commandLines(catalog, target) {
    const dir = displayStagingDir('JOB');
    const l = lines(catalog, target, dir, null);
    // Shown as documented: extract and setup run in the extracted folder (`/x:.`, `setupdr.exe /i`).
    const shownExtract = [target.installer.file, ...l.extract.argv.slice(1)];
    const out = [shownExtract, l.main.argv];
    if (l.configure && (target.action === 'install' || target.vaultCredentials)) out.push(shownLine(l.configure));
    return out;
  },

  steps(catalog, target): RecipeStep[] {
    const host = target.host.name;
    const vmmServer = isVmmServer(target.host);
    const isDone = (ctx: StepContext) => async () => {
      const s = await detect(ctx.transport, ctx.signal);
      return !!s.installed && !!s.version && compareVersions(s.version, target.version) === 0;
    };
    const steps: RecipeStep[] = [{ name: 'stage', skipIfDone: true, run: (ctx) => stageInstaller(ctx, target) }];
    if (vmmServer) {
      steps.push({
        name: 'stop-vmm',
        skipIfDone: true,
        async run(ctx) {
          // Documented: stop the VMM service before Provider setup (site-recovery-vmm-to-vmm.md).
          const s = await vmmService(ctx, catalog, 'stop');
          if (!s.exists)
            fail('validation', `${host} is planned as a VMM server, but it has no ${s.name} service.`, {
              host,
              remedy: 'Remove the tag role:vmm-server (or the VMM evidence) from the host and plan again.',
            });
          ctx.log(`[stop-vmm] ${s.name}: ${s.before} → ${s.status}`);
          return { detail: { service: s.name, before: s.before, status: s.status } };
        },
      });
    }
    steps.push(
      {
        name: 'extract',
        skipIfDone: true,
        async run(ctx) {
          const dir = stagingDir(ctx, host);
          return runLine(ctx, catalog, 'provider', 'AzureSiteRecoveryProvider.exe /x', dir, lines(catalog, target, dir, null).extract, host, async () => false);
        },
      },
      {
        name: target.action,
        skipIfDone: true,
        async run(ctx) {
          const dir = stagingDir(ctx, host);
          return runLine(ctx, catalog, 'provider', 'setupdr.exe', dir, lines(catalog, target, dir, null).main, host, isDone(ctx));
        },
      },
      {
        name: 'configure',
        skipIfDone: true,
        async run(ctx) {
          const dir = stagingDir(ctx, host);
          const state = await detect(ctx.transport, ctx.signal);
          if (state.configured === true) return { detail: { skipped: 'already registered' } };
          if (!target.vaultCredentials) {
            fail('validation', `${host}: registering the Provider needs the vault credentials file.`, {
              host,
              remedy: 'Plan again with --vault-credentials FILE (the registration key from the Recovery Services vault; valid for five days).',
            });
          }
          const binDir = vmmServer ? (state.vmm?.binDir ?? null) : (state.installDir ?? null);
          const l = lines(catalog, target, dir, binDir).configure;
          if (!l) return { detail: { skipped: 'no configure line in the catalog' } };
          return runLine(
            ctx,
            catalog,
            'provider',
            'DRConfigurator.exe /r',
            dir,
            l,
            host,
            async () => (await detect(ctx.transport, ctx.signal)).configured === true,
          );
        },
      },
    );
    if (vmmServer) {
      steps.push({
        name: 'start-vmm',
        skipIfDone: false,
        async run(ctx) {
          // /startvmmservice starts it; when it did not (or setup failed before), start it here.
          const s = await vmmService(ctx, catalog, 'start');
          return { detail: { service: s.name, status: s.status } };
        },
      });
    }
    steps.push({
      name: 'verify',
      skipIfDone: false,
      async run(ctx) {
        const s = await detect(ctx.transport, ctx.signal);
        if (!s.installed)
          fail('install_failed', `After setup ${host} shows no Provider (no ${vmmServer ? 'DRAdapter key' : 'DRConfigurator.exe'}).`, {
            host,
            remedy: 'See DRASetupWizard.log in the host log.',
          });
        if (s.version && compareVersions(s.version, target.version) !== 0)
          fail('install_failed', `After setup ${host} reports Provider ${s.version}, not ${target.version}.`, {
            host,
            remedy: 'See DRASetupWizard.log in the host log.',
          });
        const detail = s as unknown as Record<string, unknown>;
        if (s.configured === false)
          fail('install_failed', `${host} has the Provider but is not registered with the vault.`, {
            host,
            remedy: 'Check the vault credentials (valid five days) and that the host reaches *.hypervrecoverymanager.windowsazure.com on 443.',
          });
        if (s.service !== 'running')
          return { warning: `${vmmServer ? 'the VMM service' : 'dra/obengine'} ${s.service ?? 'in an unknown state'} after setup`, detail };
        if (!s.version) return { warning: 'the Provider version could not be read (no DRConfigurator.exe file version)', detail };
        return { detail };
      },
    });
    return steps;
  },

  async cleanup(ctx) {
    // The VMM service must not stay stopped when setup failed between stop-vmm and start-vmm.
    const stopped = ctx.previous('stop-vmm');
    if (stopped && stopped.before === 'Running') {
      await vmmService(ctx, loadCatalog(), 'start').catch((e: Error) => ctx.log(`could not start the VMM service again: ${e.message}`));
    }
    await cleanupStaging(ctx);
  },

  async uninstall() {
    return fail('unsupported', 'Microsoft documents no command line to uninstall the Azure Site Recovery Provider.', {
      remedy: 'Unregister the server in the vault, then remove "Microsoft Azure Site Recovery Provider" in Programs and Features on the host.',
    });
  },

  fetchLogs: (t, catalog) => fetchWindowsLogs(t, catalog, 'provider'),
};
