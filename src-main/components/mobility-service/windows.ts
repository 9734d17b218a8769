import { win32 } from 'node:path';
import { fail } from '../../model/errors.ts';
import type { Transport } from '../../remote/transport.ts';
import { loadCatalog, type Catalog } from '../catalog.ts';
import type { Recipe, RecipeStep, RecipeTarget, StepContext } from '../recipe.ts';
import { renderArgv } from '../recipe.ts';
import { compareVersions } from '../version.ts';
import { judgeExit } from '../exit-codes.ts';
import {
  cleanupStaging,
  detectComponent,
  displayStagingDir,
  fetchWindowsLogs,
  outcomeOf,
  runInstallerStep,
  runLine,
  runPs,
  stageInstaller,
  stagingDir,
  type WinLine,
} from '../windows/common.ts';
import { configRequestFrom } from './linux.ts';
import { applianceConfigureGuard } from './configure-guard.ts';

/**
 * The Mobility service on Windows. The catalog's generation decides the command lines:
 * - 9.x (unified-9x): `<installer> /q /x:<dir>`, `UnifiedAgent.exe /Role "MS" /InstallLocation …
 *   /Platform "VmWare" /Silent`, then `UnifiedAgentConfigurator.exe /CSEndPoint … /PassphraseFilePath …`;
 * - 8.x (legacy-8x): one installer line that registers with -ip/-port and /PassphrasePath.
 * Detection: the MSI product code {275197FC-14FD-4560-A5EB-38217F80CBD1} (DisplayVersion) and
 * InMage Systems\Installed Products\5 AgentConfigurationStatus = Succeeded; service svagents.
 */
const detect = (t: Transport, signal?: AbortSignal) => detectComponent(t, loadCatalog(), 'mobility-service', signal);

function lines(
  catalog: Catalog,
  target: RecipeTarget,
  dir: string,
  installerPath: string,
  installDir?: string | null,
  setupProgram?: string | null,
): { extract: WinLine | null; main: WinLine; configure: WinLine | null; registersAtInstall: boolean; configFile: string } {
  const cl = catalog.commandLines('mobility-service', target.version, 'windows', target.appliance ? 'appliance' : 'cs');
  const x = win32.join(dir, 'x');
  const passphraseFile = win32.join(dir, 'connection.passphrase');
  const configFile = win32.join(dir, 'config.json');
  const values = {
    setupProgram: setupProgram ?? cl.setupPrograms?.[0] ?? null,
    configFile,
    installer: installerPath,
    extractDir: x,
    installDir: installDir || cl.installDir,
    csAddress: target.csAddress,
    csPort: target.csPort ?? cl.csPort,
    passphraseFile,
    logFile: win32.join(dir, 'ua-install.log'),
  };
  const template = target.action === 'upgrade' ? cl.upgrade : cl.install;
  const registersAtInstall = template.some((p) => p.includes('{passphraseFile}'));
  const secret = target.appliance
    ? target.configFile
      ? [{ path: configFile, value: target.configFile }]
      : []
    : target.passphrase
      ? [{ path: passphraseFile, value: target.passphrase }]
      : [];
  const extract = cl.extract ? { step: 'extract' as const, argv: renderArgv(cl.extract, values), cwd: dir, secretFiles: [], secretArgs: [] } : null;
  const main: WinLine = {
    step: target.action,
    argv: renderArgv(template, values),
    cwd: extract ? x : dir,
    secretFiles: registersAtInstall ? secret : [],
    secretArgs: [],
  };
  const configure: WinLine | null =
    cl.configure && (target.csAddress || target.appliance)
      ? { step: 'configure', argv: renderArgv(cl.configure, values), cwd: win32.join(values.installDir, 'agent'), secretFiles: secret, secretArgs: [] }
      : null;
  return { extract, main, configure, registersAtInstall, configFile };
}

/**
 * Modernized replication appliance (CSPrime): `<installer> /q /x:<dir>`, then the setup program the
 * package holds (UnifiedAgentInstaller.exe or UnifiedAgent.exe: the documents name both; the one
 * that ran is journalled) `/Platform vmware /Silent /Role MS /CSType CSPrime /InstallLocation <dir>`
 * (vmware-physical-mobility-service-overview.md) or `/Role MS /Platform VmWare /Silent
 * /InstallationType Upgrade /CSType CSPrime /InstallLocation <dir>` (upgrade-mobility-service-modernized.md).
 * The setup prints "Agent Config Input"; once `jobs configure` brings the appliance's file,
 * `<dir>\agent\UnifiedAgentConfigurator.exe /SourceConfigFilePath <file> /CSType CSPrime` registers,
 * the file written (Administrators + SYSTEM) just before and removed right after.
 */
function applianceSteps(catalog: Catalog, target: RecipeTarget, host: string): RecipeStep[] {
  const cl = catalog.commandLines('mobility-service', target.version, 'windows', 'appliance');
  const stagingOf = (ctx: StepContext) => stagingDir(ctx, host);
  return [
    { name: 'stage', skipIfDone: true, run: (ctx) => stageInstaller(ctx, target) },
    {
      name: 'extract',
      skipIfDone: true,
      async run(ctx) {
        const dir = stagingOf(ctx);
        return runLine(
          ctx,
          catalog,
          'mobility-service',
          'Mobility service installer /x',
          dir,
          lines(catalog, target, dir, win32.join(dir, target.installer.file)).extract!,
          host,
          async () => false,
        );
      },
    },
    {
      name: target.action,
      skipIfDone: true,
      async run(ctx) {
        const dir = stagingOf(ctx);
        const names = cl.setupPrograms ?? ['UnifiedAgentInstaller.exe'];
        const found = await runPs<{ found: string | null }>(
          ctx.transport,
          'find-setup-program.ps1',
          { Dir: win32.join(dir, 'x'), Names: names },
          { signal: ctx.signal },
        );
        if (!found.found) {
          fail('install_failed', `The extracted Mobility service package on ${host} holds none of ${names.join(', ')}.`, {
            host,
            remedy:
              'Check that the installer is the Windows Mobility service package (Microsoft-ASR_UA_<version>_Windows_GA_<date>_release.exe) and not damaged.',
            details: { reason: 'setup_program_missing' },
          });
        }
        const l = lines(catalog, target, dir, win32.join(dir, target.installer.file), null, found.found);
        ctx.log(`[${target.action}] setup program in the package: ${found.found}`);
        const r = await runInstallerStep(ctx, dir, target.action, { argv: l.main.argv, cwd: l.main.cwd });
        if (r.code === null)
          fail('install_failed', `${found.found} on ${host} ended without an exit code.`, {
            host,
            remedy: 'See ASRUnifiedAgentInstaller.log in the host log.',
          });
        const out = await outcomeOf(ctx, catalog, 'mobility-service', found.found, dir, target.action, r.code, r.output, host);
        return {
          ...out,
          detail: { ...out.detail, setupProgram: found.found, configRequest: configRequestFrom(r.output, cl.configRequest?.marker ?? 'Agent Config Input:') },
        };
      },
    },
    {
      name: 'config-request',
      skipIfDone: true,
      async run(ctx) {
        const state = await detect(ctx.transport, ctx.signal);
        if (state.configured === true) return { detail: { needsConfig: false, configRequest: null } };
        const printed = ctx.previous(target.action)?.configRequest;
        if (typeof printed !== 'string' || !printed) {
          fail('install_failed', `${host}'s setup printed no Agent Config Input string.`, {
            host,
            remedy: 'See ASRUnifiedAgentInstaller.log in the host log; the setup program shows the string when run by hand.',
            details: { reason: 'config_request_missing' },
          });
        }
        return { detail: { needsConfig: true, configRequest: printed, via: 'setup output' } };
      },
    },
    {
      name: 'configure',
      phase: 'configure',
      skipIfDone: true,
      async run(ctx) {
        const guard = await applianceConfigureGuard(ctx, target, host, detect);
        if ('skip' in guard) return guard.skip;
        const { state } = guard;
        // The install half's cleanup removed the staging folder: prepare it again for the config file.
        const prep = await runPs<{ dir: string }>(ctx.transport, 'prepare-staging.ps1', { Job: ctx.jobId }, { signal: ctx.signal });
        const l = lines(catalog, target, prep.dir, win32.join(prep.dir, target.installer.file), state.installDir).configure!;
        return runLine(
          ctx,
          catalog,
          'mobility-service',
          'UnifiedAgentConfigurator.exe',
          prep.dir,
          l,
          host,
          async () => (await detect(ctx.transport, ctx.signal)).configured === true,
        );
      },
    },
    {
      name: 'verify',
      phase: 'configure',
      skipIfDone: false,
      async run(ctx) {
        const s = await detect(ctx.transport, ctx.signal);
        if (!s.installed || (s.version !== null && compareVersions(s.version, target.version) !== 0))
          fail('install_failed', `After setup ${host} reports Mobility service ${s.version ?? 'none'}, not ${target.version}.`, {
            host,
            remedy: 'See ASRUnifiedAgentInstaller.log in the host log.',
          });
        if (s.configured !== true)
          fail(
            'install_failed',
            `${host} is installed but not registered with the replication appliance ${target.appliance} (AgentConfigurationStatus is not Succeeded).`,
            { host, remedy: 'See ASRUnifiedAgentConfigurator.log; check that the host reaches the appliance on 443 and 9443.' },
          );
        if (s.service !== 'running')
          return { warning: `svagents is ${s.service ?? 'in an unknown state'} after setup`, detail: s as unknown as Record<string, unknown> };
        return { detail: s as unknown as Record<string, unknown> };
      },
    },
  ];
}

export const mobilityServiceWindows: Recipe = {
  component: 'mobility-service',
  platform: 'windows',
  detect,

  commandLines(catalog, target) {
    const l = lines(catalog, target, displayStagingDir('JOB'), target.installer.file);
    return [...(l.extract ? [l.extract.argv] : []), l.main.argv, ...(l.configure ? [l.configure.argv] : [])];
  },

  steps(catalog, target): RecipeStep[] {
    const host = target.host.name;
    if (target.appliance) return applianceSteps(catalog, target, host);
    const atTarget = (ctx: StepContext) => async () => {
      const s = await detect(ctx.transport, ctx.signal);
      return !!s.version && compareVersions(s.version, target.version) === 0;
    };
    const at = (ctx: StepContext) => {
      const dir = stagingDir(ctx, host);
      return { dir, l: lines(catalog, target, dir, win32.join(dir, target.installer.file)) };
    };
    const steps: RecipeStep[] = [{ name: 'stage', skipIfDone: true, run: (ctx) => stageInstaller(ctx, target) }];
    if (catalog.commandLines('mobility-service', target.version, 'windows').extract) {
      steps.push({
        name: 'extract',
        skipIfDone: true,
        async run(ctx) {
          const { dir, l } = at(ctx);
          return runLine(ctx, catalog, 'mobility-service', 'Mobility service installer /x', dir, l.extract!, host, async () => false);
        },
      });
    }
    steps.push(
      {
        name: target.action,
        skipIfDone: true,
        async run(ctx) {
          const { dir, l } = at(ctx);
          if (l.registersAtInstall && (!target.passphrase || !target.csAddress)) {
            fail('validation', `Mobility service ${target.version} registers during install: it needs --cs and --passphrase-file.`, { host });
          }
          return runLine(ctx, catalog, 'mobility-service', l.extract ? 'UnifiedAgent.exe' : 'Mobility service installer', dir, l.main, host, atTarget(ctx));
        },
      },
      {
        name: 'configure',
        skipIfDone: true,
        async run(ctx) {
          const dir = stagingDir(ctx, host);
          const state = await detect(ctx.transport, ctx.signal);
          const l = lines(catalog, target, dir, win32.join(dir, target.installer.file), state.installDir).configure;
          if (!l) return;
          if (state.configured === true) return { detail: { skipped: 'already registered' } };
          if (!target.passphrase) fail('validation', 'Registering with the configuration server needs --passphrase-file.', { host });
          return runLine(
            ctx,
            catalog,
            'mobility-service',
            'UnifiedAgentConfigurator.exe',
            dir,
            l,
            host,
            async () => (await detect(ctx.transport, ctx.signal)).configured === true,
          );
        },
      },
      {
        name: 'verify',
        skipIfDone: false,
        async run(ctx) {
          const s = await detect(ctx.transport, ctx.signal);
          if (!s.installed)
            fail('install_failed', `After setup ${host} has no Mobility service (product {275197FC-14FD-4560-A5EB-38217F80CBD1} not registered).`, {
              host,
              remedy: 'See ASRUnifiedAgentInstaller.log in the host log.',
            });
          if (s.version !== null && compareVersions(s.version, target.version) !== 0)
            fail('install_failed', `After setup ${host} reports Mobility service ${s.version}, not ${target.version}.`, {
              host,
              remedy: 'See ASRUnifiedAgentInstaller.log in the host log.',
            });
          if (target.csAddress && s.configured !== true)
            fail('install_failed', `${host} is installed but not registered with ${target.csAddress} (AgentConfigurationStatus is not Succeeded).`, {
              host,
              remedy: 'Check the passphrase and that the host reaches the configuration server on 443; see ASRUnifiedAgentConfigurator.log.',
            });
          if (s.service !== 'running')
            return { warning: `svagents is ${s.service ?? 'in an unknown state'} after setup`, detail: s as unknown as Record<string, unknown> };
          return { detail: s as unknown as Record<string, unknown> };
        },
      },
    );
    return steps;
  },

  cleanup: (ctx) => cleanupStaging(ctx),

  async uninstall(t, catalog, opts) {
    const before = await detect(t, opts.signal);
    if (!before.installed) return 'absent';
    const cl = catalog.commandLines('mobility-service', before.version ?? catalog.latest('mobility-service').version, 'windows');
    if (!cl.uninstall) fail('unsupported', 'The catalog has no Windows uninstall command line for this version.');
    const job = `uninstall-${Date.now()}`;
    const prep = await runPs<{ dir: string }>(t, 'prepare-staging.ps1', { Job: job }, opts.signal ? { signal: opts.signal } : {});
    const [exe, ...args] = cl.uninstall;
    try {
      const r = await runPs<{ state: string; exitCode?: number; output?: string }>(
        t,
        'run-step.ps1',
        {
          Dir: prep.dir,
          Name: 'uninstall',
          Mode: 'run',
          Exe: exe!,
          ArgList: args,
          Cwd: prep.dir,
          WaitSeconds: Math.max(30, Math.floor(opts.timeoutMs / 1000) - 15),
        },
        { timeoutMs: opts.timeoutMs + 60_000, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      const after = await detect(t, opts.signal);
      const verdict = r.exitCode === undefined ? 'fail' : judgeExit(catalog, 'mobility-service', r.exitCode);
      if (r.state !== 'done' || verdict === 'fail' || verdict === 'retry' || after.installed) {
        fail('command_failed', `Uninstalling the Mobility service failed (${r.state}, exit ${r.exitCode ?? 'none'}).`, {
          ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
          remedy: `Run ${cl.uninstall.join(' ')} as an administrator on the host; see C:\\ProgramData\\ASRSetupLogs\\UnifiedAgentMSIUninstall.log.`,
        });
      }
      return 'removed';
    } finally {
      await runPs(t, 'remove-files.ps1', { Paths: [], Job: job }, { timeoutMs: 60_000 }).catch(() => undefined);
    }
  },

  fetchLogs: (t, catalog) => fetchWindowsLogs(t, catalog, 'mobility-service'),
};
