import { posix } from 'node:path';
import { AsrFailure, fail } from '../../model/errors.ts';
import type { Transport } from '../../remote/transport.ts';
import type { Catalog, Registration } from '../catalog.ts';
import { judgeExit } from '../exit-codes.ts';
import type { InstalledState, Recipe, RecipeStep, RecipeTarget, StepContext } from '../recipe.ts';
import { renderArgv } from '../recipe.ts';
import { shScript } from '../scripts.ts';
import { stageFile, stageUnpacked } from '../staging.ts';
import { applianceConfigureGuard } from './configure-guard.ts';

/** Where a job stages on a Linux host: private (0700), named by job so `jobs resume` finds it again. */
export const stagingDir = (jobId: string): string => `/tmp/asr-deploy-${jobId}`;

/** Room for the tarball, its extracted copy and the logs: the installer's size twice plus a margin. */
const stagingBytesNeeded = (installerBytes: number): number => installerBytes * 2 + 16 * 1024 * 1024;

async function detect(t: Transport, signal?: AbortSignal): Promise<InstalledState> {
  const r = await t.exec(shScript('mobility-detect.sh'), { elevate: true, timeoutMs: 60_000, ...(signal ? { signal } : {}) });
  let doc: {
    installed: boolean | null;
    version: string | null;
    installDir: string | null;
    configured: boolean | null;
    service: InstalledState['service'];
    error?: string;
  };
  try {
    doc = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '');
  } catch {
    return fail('command_failed', `Mobility service detection printed no JSON: ${r.stdout.slice(0, 200)}`);
  }
  if (doc.error)
    fail('permission_denied', `Mobility service detection: ${doc.error}`, {
      remedy: 'Use root or a sudo-capable account (ASR error 95108).',
      asrErrorId: 95108,
    });
  return { installed: doc.installed, version: doc.version, configured: doc.configured, service: doc.service, installDir: doc.installDir };
}

/** The registration target decides the catalog generation: the appliance's (CSPrime) or the classic one. */
const registrationOf = (target: RecipeTarget): Registration => (target.appliance ? 'appliance' : 'cs');

function lines(catalog: Catalog, target: RecipeTarget, dir: string, installDir?: string | null) {
  const cl = catalog.commandLines('mobility-service', target.version, 'linux', registrationOf(target));
  const values = {
    installDir: installDir || cl.installDir,
    csAddress: target.csAddress,
    csPort: target.csPort ?? cl.csPort,
    passphraseFile: posix.join(dir, 'passphrase'),
    configFile: posix.join(dir, 'config.json'),
    installer: target.installer.file,
  };
  const registers = !!(target.csAddress || target.appliance);
  return {
    main: renderArgv(target.action === 'upgrade' ? cl.upgrade : cl.install, values),
    configure: cl.configure && registers ? renderArgv(cl.configure, values) : null,
    configRequest: cl.configRequest ? { ...cl.configRequest, command: cl.configRequest.command ? renderArgv(cl.configRequest.command, values) : null } : null,
    configFile: values.configFile,
    needsPassphraseAtInstall: (target.action === 'upgrade' ? cl.upgrade : cl.install).some((p) => p.includes('{passphraseFile}')),
  };
}

/** The machine's "Agent Config Input" string: the text after the marker on its line (trimmed). */
export function configRequestFrom(output: string, marker: string): string | null {
  for (const line of output.split(/\r?\n/)) {
    const i = line.indexOf(marker);
    if (i >= 0) {
      const v = line.slice(i + marker.length).trim();
      if (v) return v;
    }
  }
  return null;
}

/** Runs a documented command line as a detached, resumable step (resources/scripts/linux/run-step.sh). */
async function runStep(ctx: StepContext, catalog: Catalog, name: string, cwd: string, argv: string[]): Promise<{ code: number; output: string }> {
  const dir = stagingDir(ctx.jobId);
  try {
    const r = await ctx.transport.exec(shScript('run-step.sh', dir, name, cwd, '--', ...argv), {
      elevate: true,
      timeoutMs: ctx.stepTimeoutMs,
      signal: ctx.signal,
      allowNonZero: true,
      onStdout: (s) => ctx.log(`[${name}] ${s.trimEnd()}`),
    });
    return { code: r.exitCode, output: r.stdout };
  } catch (e) {
    // The waiting shell was stopped (timeout/cancel); the detached installer must be stopped too.
    if (e instanceof AsrFailure && (e.data.code === 'timeout' || e.data.code === 'cancelled')) {
      await ctx.transport.exec(shScript('kill-step.sh', dir, name), { elevate: true, timeoutMs: 30_000, allowNonZero: true }).catch(() => undefined);
    }
    throw e;
  }
}

function stepFailure(catalog: Catalog, name: string, code: number, output: string, host: string): never {
  const verdict = judgeExit(catalog, 'mobility-service', code);
  if (verdict === 'retry')
    fail('install_in_progress', `Another installation is in progress on ${host} (exit ${code}).`, {
      host,
      exitCode: code,
      remedy: 'It is retried later; wait for the other installation to finish.',
    });
  if (/No space left on device/i.test(output))
    fail('disk_full', `The ${name} step ran out of disk space on ${host}.`, {
      host,
      exitCode: code,
      remedy: 'Free space under /usr/local and /tmp (the installer needs about twice its size), then retry.',
    });
  return fail(
    'install_failed',
    `The Mobility service ${name} step failed on ${host} with exit code ${code}: ${output.trim().split('\n').slice(-3).join(' / ').slice(0, 300)}`,
    {
      host,
      exitCode: code,
      remedy: 'See the installer log in the host log (asr-deploy jobs logs JOB --host HOST) and the Mobility service troubleshooting guide.',
    },
  );
}

function classicSteps(catalog: Catalog, target: RecipeTarget, host: string): RecipeStep[] {
  return [
    {
      name: 'stage',
      skipIfDone: true,
      async run(ctx) {
        const dir = stagingDir(ctx.jobId);
        ctx.pendingCleanup?.('staging', dir);
        const prep = await ctx.transport.exec(shScript('prepare-staging.sh', dir), { timeoutMs: 60_000, signal: ctx.signal, allowNonZero: true });
        const info = JSON.parse(prep.stdout.trim().split('\n').at(-1) || '{}') as { error?: string; freeKiB?: number | null };
        if (prep.exitCode !== 0 || info.error)
          fail('permission_denied', `Cannot prepare ${dir} on ${host}: ${info.error ?? prep.stderr.trim()}`, {
            host,
            remedy: 'Check /tmp on the host (a symlink or a directory of another user there is refused).',
          });
        const need = stagingBytesNeeded(target.installer.size);
        if (typeof info.freeKiB === 'number' && info.freeKiB * 1024 < need) {
          fail(
            'disk_full',
            `${host} has ${Math.floor(info.freeKiB / 1024)} MiB free under /tmp; staging ${target.installer.file} needs ${Math.ceil(need / 1048576)} MiB.`,
            {
              host,
              remedy: 'Free space in /tmp on the host (or enlarge it) and retry; ASR also needs at least 100 MB free (error 95524).',
              asrErrorId: 95524,
            },
          );
        }
        const up = (await stageUnpacked(ctx, target, posix.join(dir, 'x'))) ?? (await stageFile(ctx, target, posix.join(dir, target.installer.file)));
        return { detail: { ...up } };
      },
    },
    {
      name: 'extract',
      skipIfDone: true,
      async run(ctx) {
        // Streamed into tar while staging (tar-stream): already unpacked, and no tarball to read.
        if (ctx.previous('stage')?.unpacked === true) return { detail: { skipped: 'unpacked while staging' } };
        const dir = stagingDir(ctx.jobId);
        const x = posix.join(dir, 'x');
        const r = await ctx.transport.exec(
          ['sh', '-c', 'rm -rf "$2" && mkdir "$2" && tar -xzf "$1" -C "$2"', 'extract', posix.join(dir, target.installer.file), x],
          {
            timeoutMs: ctx.stepTimeoutMs,
            signal: ctx.signal,
            allowNonZero: true,
          },
        );
        if (r.exitCode !== 0) {
          if (/No space left/i.test(r.stderr))
            fail('disk_full', `Extracting the installer on ${host} ran out of space.`, { host, remedy: 'Free space in /tmp on the host and retry.' });
          fail('command_failed', `Extracting ${target.installer.file} failed on ${host}: ${r.stderr.trim().slice(0, 300)}`, { host, exitCode: r.exitCode });
        }
      },
    },
    {
      name: 'passphrase',
      skipIfDone: false,
      async run(ctx) {
        if (!target.passphrase) return;
        // 0600 in the private staging directory; never in argv.
        ctx.pendingCleanup?.('secret', posix.join(stagingDir(ctx.jobId), 'passphrase'));
        await ctx.transport.exec(shScript('write-secret.sh', posix.join(stagingDir(ctx.jobId), 'passphrase')), {
          stdin: target.passphrase,
          timeoutMs: 60_000,
          signal: ctx.signal,
        });
      },
    },
    {
      name: target.action,
      skipIfDone: true,
      async run(ctx) {
        const dir = stagingDir(ctx.jobId);
        const l = lines(catalog, target, dir);
        if (l.needsPassphraseAtInstall && (!target.passphrase || !target.csAddress)) {
          fail('validation', `Mobility service ${target.version} registers during install: it needs --cs and --passphrase-file.`, { host });
        }
        const { code, output } = await runStep(ctx, catalog, 'install', posix.join(dir, 'x'), l.main);
        const v = judgeExit(catalog, 'mobility-service', code);
        if (v === 'ok') return { detail: { exitCode: code } };
        // On Linux a reboot-required code (3010/1641) is reported as installed with warnings.
        if (v === 'warn' || v === 'reboot') return { warning: `installer exit code ${code}: installed with warnings`, detail: { exitCode: code } };
        return stepFailure(catalog, target.action, code, output, host);
      },
    },
    {
      name: 'configure',
      skipIfDone: true,
      async run(ctx) {
        const dir = stagingDir(ctx.jobId);
        const l = lines(catalog, target, dir);
        if (!l.configure) return;
        if (!target.passphrase) fail('validation', 'Registering with the configuration server needs --passphrase-file.', { host });
        const { code, output } = await runStep(ctx, catalog, 'configure', dir, l.configure);
        if (judgeExit(catalog, 'mobility-service', code) === 'fail') stepFailure(catalog, 'configure', code, output, host);
        return { detail: { exitCode: code } };
      },
    },
    {
      name: 'verify',
      skipIfDone: false,
      async run(ctx) {
        const s = await detect(ctx.transport, ctx.signal);
        if (s.version !== target.version)
          fail('install_failed', `After the install ${host} reports Mobility service ${s.version ?? 'none'}, not ${target.version}.`, {
            host,
            remedy: 'See the installer log in the host log.',
          });
        if (s.service !== 'running')
          return { warning: `svagents is ${s.service ?? 'in an unknown state'} after the install`, detail: s as unknown as Record<string, unknown> };
        if (target.csAddress && s.configured !== true)
          fail('install_failed', `${host} is installed but not registered with ${target.csAddress}.`, {
            host,
            remedy: 'Check the passphrase and that the host reaches the configuration server on 443.',
          });
        return { detail: s as unknown as Record<string, unknown> };
      },
    },
  ];
}

/**
 * Modernized replication appliance (CSPrime), documented lines (vmware-physical-mobility-service-overview.md,
 * upgrade-mobility-service-modernized.md): `./install -q -r MS -v VmWare -c CSPrime [-d DIR]` or
 * `./install -q -r MS -v VmWare -a Upgrade -c CSPrime`; the install prints "Agent Config Input:
 * <string>" (read again with `AzureRcmCli --getagentconfiginput` when the output is gone); the
 * appliance turns it into this machine's config file; `<dir>/Vx/bin/UnifiedAgentConfigurator.sh
 * -c CSPrime -S config.json -q` registers with it. The file is staged 0600 and removed right after.
 */
function applianceSteps(catalog: Catalog, target: RecipeTarget, host: string): RecipeStep[] {
  return [
    {
      name: target.action,
      skipIfDone: true,
      async run(ctx) {
        const dir = stagingDir(ctx.jobId);
        const before = await detect(ctx.transport, ctx.signal);
        // Installed at the target already (an earlier job, or by hand): the request is read from the agent instead.
        if (before.version === target.version && target.action === 'install' && !ctx.previous(target.action))
          return { detail: { exitCode: null, skipped: `Mobility service ${before.version} is already installed` } };
        const l = lines(catalog, target, dir);
        const { code, output } = await runStep(ctx, catalog, 'install', posix.join(dir, 'x'), l.main);
        const v = judgeExit(catalog, 'mobility-service', code);
        const configRequest = l.configRequest ? configRequestFrom(output, l.configRequest.marker) : null;
        if (v === 'ok') return { detail: { exitCode: code, configRequest } };
        if (v === 'warn' || v === 'reboot')
          return { warning: `installer exit code ${code}: installed with warnings`, detail: { exitCode: code, configRequest } };
        return stepFailure(catalog, target.action, code, output, host);
      },
    },
    {
      name: 'config-request',
      skipIfDone: true,
      async run(ctx) {
        const state = await detect(ctx.transport, ctx.signal);
        // An upgrade keeps the registration ("Registration will be triggered automatically after the agent has been updated").
        if (state.configured === true) return { detail: { needsConfig: false, configRequest: null } };
        const l = lines(catalog, target, stagingDir(ctx.jobId), state.installDir);
        const printed = ctx.previous(target.action)?.configRequest;
        let request = typeof printed === 'string' && printed ? printed : null;
        let via = 'install output';
        if (!request && l.configRequest?.command && l.configRequest.commandMarker) {
          const r = await ctx.transport.exec(l.configRequest.command, { elevate: true, timeoutMs: 120_000, signal: ctx.signal, allowNonZero: true });
          request = configRequestFrom(r.stdout, l.configRequest.commandMarker);
          via = l.configRequest.command.join(' ');
        }
        if (!request) {
          fail(
            'install_failed',
            `${host} gave no Agent Config Input string (neither in the install output nor from ${l.configRequest?.command?.join(' ') ?? 'the agent'}).`,
            {
              host,
              remedy: 'Check that the installer ran with -c CSPrime (see the host log); run AzureRcmCli --getagentconfiginput on the host to read it by hand.',
              details: { reason: 'config_request_missing' },
            },
          );
        }
        ctx.log(`[config-request] Agent Config Input read from ${via}`);
        return { detail: { needsConfig: true, configRequest: request, via } };
      },
    },
    {
      name: 'configure',
      phase: 'configure',
      skipIfDone: true,
      async run(ctx) {
        const guard = await applianceConfigureGuard(ctx, target, host, detect);
        if ('skip' in guard) return guard.skip;
        const { state, configFile } = guard;
        const dir = stagingDir(ctx.jobId);
        ctx.pendingCleanup?.('staging', dir);
        const prep = await ctx.transport.exec(shScript('prepare-staging.sh', dir), { timeoutMs: 60_000, signal: ctx.signal, allowNonZero: true });
        if (prep.exitCode !== 0) fail('permission_denied', `Cannot prepare ${dir} on ${host}: ${prep.stdout.trim() || prep.stderr.trim()}`, { host });
        const l = lines(catalog, target, dir, state.installDir);
        try {
          // 0600 in the private staging directory, from stdin; never in argv or a log.
          ctx.pendingCleanup?.('secret', l.configFile);
          await ctx.transport.exec(shScript('write-secret.sh', l.configFile), { stdin: configFile, timeoutMs: 60_000, signal: ctx.signal });
          const { code, output } = await runStep(ctx, catalog, 'configure', dir, l.configure!);
          if (judgeExit(catalog, 'mobility-service', code) === 'fail') {
            const mismatch = /another machine|different machine|not.*this machine/i.test(output);
            fail(
              'install_failed',
              `Registering ${host} with the replication appliance ${target.appliance} failed with exit code ${code}: ${output.trim().split('\n').slice(-2).join(' / ').slice(0, 300)}`,
              {
                host,
                exitCode: code,
                remedy: mismatch
                  ? `The config file is not this machine's: make it at the appliance from ${host}'s request (DIR/${host}.txt) and run jobs configure again.`
                  : 'See the configurator log in the host log; check that the host reaches the appliance on 443 and 9443.',
                ...(mismatch ? { details: { reason: 'config_mismatch' } } : {}),
              },
            );
          }
          return { detail: { exitCode: code } };
        } finally {
          await ctx.transport.exec(['rm', '-f', '--', l.configFile], { elevate: true, timeoutMs: 60_000, allowNonZero: true }).catch(() => undefined);
        }
      },
    },
    {
      name: 'verify',
      phase: 'configure',
      skipIfDone: false,
      async run(ctx) {
        const s = await detect(ctx.transport, ctx.signal);
        if (s.version !== target.version)
          fail('install_failed', `After the install ${host} reports Mobility service ${s.version ?? 'none'}, not ${target.version}.`, {
            host,
            remedy: 'See the installer log in the host log.',
          });
        if (s.configured !== true)
          fail('install_failed', `${host} is installed but not registered with the replication appliance ${target.appliance}.`, {
            host,
            remedy: 'See the configurator log in the host log; check that the host reaches the appliance on 443 and 9443.',
          });
        if (s.service !== 'running')
          return { warning: `svagents is ${s.service ?? 'in an unknown state'} after the registration`, detail: s as unknown as Record<string, unknown> };
        return { detail: s as unknown as Record<string, unknown> };
      },
    },
  ];
}

export const mobilityServiceLinux: Recipe = {
  component: 'mobility-service',
  platform: 'linux',
  detect,

  commandLines(catalog, target) {
    const dir = stagingDir('JOB');
    const l = lines(catalog, target, dir);
    return [
      ['tar', '-xzf', target.installer.file, '-C', posix.join(dir, 'x')],
      l.main,
      ...(l.configRequest?.command ? [l.configRequest.command] : []),
      ...(l.configure ? [l.configure] : []),
    ];
  },

  steps(catalog, target): RecipeStep[] {
    const host = target.host.name;
    const all = classicSteps(catalog, target, host);
    if (!target.appliance) return all;
    // Modernized: the same staging, then install with -c CSPrime, the machine's config request,
    // and (once `jobs configure` brings the appliance's file) configure and verify.
    return [...all.filter((s) => s.name === 'stage' || s.name === 'extract'), ...applianceSteps(catalog, target, host)];
  },

  async cleanup(ctx) {
    await ctx.transport.exec(['rm', '-rf', '--', stagingDir(ctx.jobId)], { elevate: true, timeoutMs: 60_000, allowNonZero: true });
  },

  async uninstall(t, catalog, opts) {
    const before = await detect(t, opts.signal);
    if (!before.installed) return 'absent';
    const cl = catalog.commandLines('mobility-service', before.version ?? catalog.latest('mobility-service').version, 'linux');
    if (!cl.uninstall) fail('unsupported', 'The catalog has no uninstall command line for this version.');
    const argv = renderArgv(cl.uninstall, { installDir: before.installDir ?? cl.installDir });
    const r = await t.exec(argv, { elevate: true, timeoutMs: opts.timeoutMs, allowNonZero: true, ...(opts.signal ? { signal: opts.signal } : {}) });
    const after = await detect(t, opts.signal);
    if (r.exitCode !== 0 || after.installed) {
      fail('command_failed', `Uninstalling the Mobility service failed (exit ${r.exitCode}): ${(r.stdout + r.stderr).trim().slice(0, 300)}`, {
        exitCode: r.exitCode,
        remedy: `Run ${argv.join(' ')} as root on the host and read its output.`,
      });
    }
    return 'removed';
  },

  async fetchLogs(t, catalog) {
    const paths = catalog.component('mobility-service').logs.linux ?? [];
    const r = await t.exec(['sh', '-c', 'for f in "$@"; do [ -r "$f" ] && { echo "== $f"; tail -n 200 "$f"; }; done; exit 0', 'logs', ...paths], {
      elevate: true,
      timeoutMs: 60_000,
      allowNonZero: true,
    });
    return r.stdout;
  },
};
