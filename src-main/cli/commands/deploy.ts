import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CommandOutput } from '../../service/contract.ts';
import { fail } from '../../model/errors.ts';
import { EXIT } from '../../model/errors.ts';
import { ExitRequest, exitForJob } from '../exit.ts';
import { formatCounts } from '../../model/status.ts';
import { formatPlanCounts, planCounts } from '../../deploy/plan.ts';
import { table } from '../io.ts';
import { progressPrinter } from '../progress.ts';
import type { CliRuntime } from '../runtime.ts';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail('usage', `${name} must be a whole number ≥ ${min}, not "${v}".`);
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

interface RunFlags {
  concurrency?: number;
  maxFailures?: number;
  retries?: number;
  stepTimeout?: number;
  uploadMethod?: string;
}
const runOptions = (o: RunFlags) => ({
  ...(o.uploadMethod ? { uploadMethod: uploadMethod(o.uploadMethod) } : {}),
  ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
  ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures } : {}),
  ...(o.retries !== undefined ? { retries: o.retries } : {}),
  ...(o.stepTimeout !== undefined ? { stepTimeoutMs: o.stepTimeout * 1000 } : {}),
});

const uploadMethod = (v: string): 'sftp' | 'exec-cat' | 'tar-stream' => {
  if (v !== 'sftp' && v !== 'exec-cat' && v !== 'tar-stream') fail('usage', `--upload-method is sftp, exec-cat or tar-stream, not "${v}".`);
  return v;
};

/** The human rendering of a finished job: its status, the outcome counts, one row per host. */
function jobText(r: {
  jobId: string;
  status: string;
  outcome: Parameters<typeof formatCounts>[0];
  hosts: { host: string; status: string; version: string | null; error?: { code: string; message: string }; warning?: string }[];
}): string {
  return [
    `job ${r.jobId}: ${r.status.replace(/_/g, ' ')}`,
    `  ${formatCounts(r.outcome)}`,
    table(
      r.hosts.map((h) => ({ ...h, error: h.error ? `${h.error.code}: ${h.error.message}` : (h.warning ?? null) })),
      ['host', 'status', 'version', 'error'],
    ),
  ].join('\n');
}

/** After a modernized apply: what the admin does next. */
function awaitingHint(r: { jobId: string; hosts: { status: string }[] }): string[] {
  const n = r.hosts.filter((h) => h.status === 'awaiting_config').length;
  return n
    ? [
        `${n} host(s) await their replication appliance config file: asr-deploy jobs config-requests ${r.jobId} --out DIR, then asr-deploy jobs configure ${r.jobId} --from DIR`,
      ]
    : [];
}

export function registerDeploy(program: Command, rt: CliRuntime): void {
  const components = program.command('components').description('components the catalog knows');
  components
    .command('list')
    .description('components, platforms and versions')
    .action(async () => {
      const list = await rt.call('components.list', {});
      rt.out.result(
        list.map(({ id, name, platforms, versions }) => ({ id, name, platforms, versions })),
        () =>
          table(
            list.map((c) => ({ ...c, versions: `${c.versions.length} (latest ${c.latest})` })),
            ['id', 'name', 'platforms', 'versions'],
          ),
      );
    });

  components
    .command('uninstall')
    .description('remove a component from hosts with its documented uninstall command')
    .requiredOption('--component <id>', 'mobility-service | provider | mars-agent')
    .requiredOption('--hosts <sel>', 'names,addresses,ids | tag:NAME | all')
    .option('--yes', 'confirm: this removes the component and stops its protection')
    .action(async (o: { component: string; hosts: string; yes?: boolean }) => {
      if (!o.yes) fail('usage', 'Uninstalling stops replication of the hosts: pass --yes to confirm.');
      await rt.needVault();
      // A journalled job: its id comes in the job event (the JSON answer stays the array of cli.md).
      let jobId: string | undefined;
      const progress = progressPrinter(rt.out);
      const list = await rt.call(
        'components.uninstall',
        { component: o.component as never, hosts: o.hosts },
        { onEvent: (e) => ((jobId ??= e.type === 'job' ? e.jobId : undefined), progress(e)) },
      );
      rt.out.result(list, () =>
        [
          ...(jobId ? [`job ${jobId} (asr-deploy jobs show|logs|resume ${jobId})`] : []),
          table(
            list.map((r) => ({ ...r, error: r.error ? `${r.error.code}: ${r.error.message}` : null })),
            ['host', 'status', 'error'],
          ),
        ].join('\n'),
      );
      if (list.some((r) => r.status === 'failed')) throw new ExitRequest(EXIT.failed);
    });

  const sources = program.command('sources').description('installer source folders');
  const shown = (files: CommandOutput<'sources.scan'>) =>
    files.map(({ file, component, platform, osId, version, sha256, hashStatus, trusted, pinnedBy, pinnedAt }) => ({
      file,
      component,
      platform,
      osId,
      version,
      sha256,
      hashStatus,
      trusted: trusted ?? false,
      ...(pinnedAt ? { pinnedBy: pinnedBy ?? null, pinnedAt } : {}),
    }));
  sources
    .command('scan <dir>')
    .description('identify installers by file name and SHA-256, and whether each is trusted (catalog hash or pin)')
    .action(async (dir: string) => {
      const files = await rt.call('sources.scan', { dir });
      rt.out.result(shown(files), () =>
        table(
          files.map((f) => ({ ...f, trusted: f.trusted ? 'yes' : 'no', sha256: f.sha256.slice(0, 16) + '…' })),
          ['file', 'component', 'osId', 'version', 'hashStatus', 'trusted', 'sha256'],
        ),
      );
    });
  sources
    .command('trust <files...>')
    .description('pin installers whose SHA-256 no document gives (records the hash, what it is, who and when)')
    .action(async (paths: string[]) => {
      // One call per folder: the service takes a folder and names in it (front ends grant folders, not paths).
      const byDir = new Map<string, string[]>();
      for (const p of paths) {
        const abs = resolve(p);
        byDir.set(dirname(abs), [...(byDir.get(dirname(abs)) ?? []), basename(abs)]);
      }
      const files: CommandOutput<'sources.trust'> = [];
      for (const [dir, names] of byDir) files.push(...(await rt.call('sources.trust', { dir, files: names })));
      rt.out.result(shown(files), () =>
        table(
          files.map((f) => ({ ...f, sha256: f.sha256.slice(0, 16) + '…', pinned: f.pinnedAt ? `${f.pinnedBy ?? 'unknown'} ${f.pinnedAt}` : 'catalog hash' })),
          ['file', 'component', 'osId', 'version', 'hashStatus', 'pinned', 'sha256'],
        ),
      );
    });

  program
    .command('plan')
    .description('check mode: what apply would do on each host (changes nothing)')
    .requiredOption('--component <id>', 'mobility-service | provider | mars-agent')
    .option('--version <v>', 'component version (default: the newest in the catalog)')
    .requiredOption('--source <dir>', 'folder with the installers')
    .option('--hosts <sel>', 'all | names,addresses,ids | tag:NAME', 'all')
    .option('--appliance <address>', 'modernized replication appliance to register with (CSPrime: a config file per machine after apply)')
    .option('--cs <address>', 'classic configuration server to register with (retired by Microsoft; needs --passphrase-file)')
    .option('--passphrase-file <file>', 'classic configuration server passphrase (stored encrypted with the plan)')
    .option('--vault-credentials <file>', 'Provider registration key from the Recovery Services vault (stored encrypted with the plan)')
    .option('--friendly-name <name>', 'name the Provider registers under (one host only; default: the host name)')
    .option('--proxy <name>', 'a proxy defined with `proxy set`')
    .option('--accept <checkId>', 'accept a failing prerequisite check (recorded in the journal; repeatable)', collect, [])
    .option('--concurrency <n>', 'hosts examined at once', int('--concurrency', 1))
    .action(
      async (o: {
        component: string;
        version?: string;
        source: string;
        hosts: string;
        cs?: string;
        appliance?: string;
        passphraseFile?: string;
        vaultCredentials?: string;
        friendlyName?: string;
        proxy?: string;
        accept: string[];
        concurrency?: number;
      }) => {
        if (o.passphraseFile || o.vaultCredentials || o.proxy) await rt.needVault();
        const plan = await rt.call(
          'plan.create',
          {
            component: o.component as never,
            source: o.source,
            hosts: o.hosts,
            accept: o.accept,
            ...(o.version ? { version: o.version } : {}),
            ...(o.cs !== undefined ? { cs: o.cs } : {}),
            ...(o.appliance !== undefined ? { appliance: o.appliance } : {}),
            ...(o.passphraseFile ? { passphraseFile: o.passphraseFile } : {}),
            ...(o.vaultCredentials ? { vaultCredentialsFile: o.vaultCredentials } : {}),
            ...(o.friendlyName !== undefined ? { friendlyName: o.friendlyName } : {}),
            ...(o.proxy ? { proxy: o.proxy } : {}),
            ...(o.concurrency ? { concurrency: o.concurrency } : {}),
          },
          { onEvent: progressPrinter(rt.out) },
        );
        const doc = rt.out.verbose
          ? plan
          : { ...plan, items: plan.items.map(({ commandLines: _c, installer, ...i }) => ({ ...i, ...(installer ? { installer: installer.file } : {}) })) };
        const counts = plan.counts ?? planCounts(plan.items);
        const work = counts.install + counts.upgrade;
        rt.out.result(doc, () => {
          const rows = plan.items.map((i) => ({ host: i.host, action: i.action, from: i.from, to: i.to, reason: i.reason }));
          const lines = rt.out.verbose ? plan.items.flatMap((i) => (i.commandLines ?? []).map((c) => `  ${i.host}$ ${c.join(' ')}`)) : [];
          const next = work
            ? `apply it with: asr-deploy apply ${plan.planId}${counts.blocked ? ` (the ${counts.blocked} blocked host${counts.blocked > 1 ? 's are' : ' is'} not touched)` : ''}`
            : counts.blocked
              ? `nothing to apply: ${counts.blocked === plan.items.length ? 'every host is' : `${counts.blocked} host${counts.blocked > 1 ? 's are' : ' is'}`} blocked (see the reasons above, fix them, then plan again)`
              : 'nothing to apply: every host is already current';
          const title = plan.versionChoice === 'per-host' ? `(per host: the newest the source holds for its OS; up to ${plan.version})` : plan.version;
          return [
            `plan ${plan.planId}: ${plan.component} ${title}${plan.appliance ? ` → replication appliance ${plan.appliance}` : plan.cs ? ` → configuration server ${plan.cs} (classic)` : ''}: ${formatPlanCounts(counts)}`,
            table(rows, ['host', 'action', 'from', 'to', 'reason']),
            ...planNotes(plan.items),
            ...lines,
            next,
          ].join('\n');
        });
        // Nothing can be installed and hosts are blocked: the plan is blocked (cli.md, exit 4).
        if (!work && counts.blocked) throw new ExitRequest(EXIT.blocked);
      },
    );

  program
    .command('apply <planId>')
    .description('run a plan on its hosts (journalled; `jobs resume` finishes an interrupted run)')
    .option('--concurrency <n>', 'hosts at once (sliding window; default 8)', int('--concurrency', 1))
    .option('--max-failures <n>', 'stop starting hosts after more than N failures', int('--max-failures', 0))
    .option('--retries <n>', 'attempts per host for transient errors (default 3)', int('--retries', 1))
    .option('--step-timeout <seconds>', 'wall-clock bound of each remote step (default 1800)', int('--step-timeout', 1))
    .option(
      '--upload-method <m>',
      'tar-stream (default: a Linux .tar.gz is unpacked on the target as it arrives, hashed on the way; other files by sftp), sftp (fastPut, then an SFTP stream, then cat) or exec-cat first; sftp and exec-cat stage the tarball as a file',
    )
    .option('--yes', 'do not ask for confirmation (needed when there is no terminal to ask on)')
    .action(async (planId: string, o: RunFlags & { yes?: boolean }) => {
      // Like `terraform apply`: a terminal is asked, a script must say --yes; without either nothing runs.
      if (!o.yes && !rt.interactive) {
        fail('usage', `apply changes hosts and asks first, but there is no terminal to ask on; plan ${planId} was not applied.`, {
          remedy: `Review the plan (asr-deploy plan …), then run \`asr-deploy apply ${planId} --yes\`.`,
        });
      }
      const plan = await rt.call('plan.show', { planId });
      if (!o.yes) {
        const c = plan.counts ?? planCounts(plan.items);
        rt.out.info(
          `plan ${plan.planId}: ${plan.component} ${plan.version} on ${plan.items.length} host${plan.items.length === 1 ? '' : 's'}: ${formatPlanCounts(c)}`,
        );
        for (const i of plan.items.filter((x) => x.action === 'install' || x.action === 'upgrade'))
          rt.out.info(`  ${i.action.padEnd(7)} ${i.host}${i.from ? ` (${i.from} → ${i.to})` : ''}`);
        if (!(await rt.confirm(`Apply it to ${c.install + c.upgrade} host${c.install + c.upgrade === 1 ? '' : 's'}? [y/N] `))) {
          rt.out.info('not applied: nothing was changed.');
          throw new ExitRequest(EXIT.cancelled);
        }
      }
      await rt.needVault();
      const r = await rt.call('apply.start', { planId, ...runOptions(o) }, { onEvent: progressPrinter(rt.out, { resultShowsStatus: true }) });
      rt.out.result(r, () => [jobText(r), ...awaitingHint(r)].join('\n'));
      const code = exitForJob(r.status, r.hosts);
      if (code !== EXIT.ok) throw new ExitRequest(code);
    });

  const jobs = program.command('jobs').description('the deployment journal');
  jobs
    .command('list')
    .description('recent jobs')
    .action(async () => {
      const list = await rt.call('jobs.list', { limit: 50 });
      rt.out.result(list, () =>
        table(
          list.map((j) => ({ ...j, outcome: formatCounts(j.outcome) })),
          ['id', 'kind', 'status', 'planId', 'createdAt', 'outcome'],
        ),
      );
    });
  jobs
    .command('show <jobId>')
    .description('a job with its hosts and steps')
    .action(async (jobId: string) => {
      const j = await rt.call('jobs.show', { jobId });
      rt.out.result(j, () =>
        [
          `job ${j.id} (${j.kind}) ${j.status.replace(/_/g, ' ')}`,
          `  ${formatCounts(j.outcome)}`,
          table(
            j.hosts.map((h) => ({
              host: h.host,
              status: h.status,
              version: h.version,
              attempts: h.attempts,
              steps: h.steps.map((s) => `${s.step}:${s.status}`).join(' '),
              error: h.error ? `${h.error.code}: ${h.error.message}` : null,
            })),
            ['host', 'status', 'version', 'attempts', 'steps', 'error'],
          ),
          ...(j.pendingCleanups?.length
            ? [
                `pending clean-ups on targets (asr-deploy jobs resume ${j.id} does them):`,
                ...j.pendingCleanups.map((c) => `  ${c.host}: ${c.kind} ${c.path} (since ${c.since})`),
              ]
            : []),
        ].join('\n'),
      );
    });
  jobs
    .command('logs <jobId>')
    .description('per-host logs (secrets redacted)')
    .option('--host <host>', 'only this host')
    .action(async (jobId: string, o: { host?: string }) => {
      const logs = await rt.call('jobs.logs', { jobId, ...(o.host ? { host: o.host } : {}) });
      rt.out.result(logs, () => logs.map((l) => `==> ${l.host} (${l.path})\n${l.text}`).join('\n'));
    });
  jobs
    .command('cancel <jobId>')
    .description('ask a running job to stop')
    .action(async (jobId: string) => {
      const r = await rt.call('jobs.cancel', { jobId });
      rt.out.result(r, () => `job ${r.jobId}: ${r.status}`);
    });
  jobs
    .command('config-requests <jobId>')
    .description("write each awaiting host's Agent Config Input (DIR/<host>.txt) and DIR/requests.csv, for the replication appliance")
    .requiredOption('--out <dir>', 'folder to write (created when missing)')
    .action(async (jobId: string, o: { out: string }) => {
      const r = await rt.call('jobs.configRequests', { jobId, out: o.out });
      rt.out.result(r, () =>
        [
          `${r.requests.length} request(s) in ${r.dir}:`,
          table(
            r.requests.map(({ host, address, file }) => ({ host, address, file })),
            ['host', 'address', 'file'],
          ),
          'At the appliance (Microsoft Azure Appliance Configuration Manager → Mobility service configuration details): paste each <host>.txt string,',
          `"Download configuration file", save it as <host>.json in one folder, then: asr-deploy jobs configure ${jobId} --from DIR`,
        ].join('\n'),
      );
    });
  jobs
    .command('configure <jobId>')
    .description('register the awaiting hosts with the replication appliance from DIR/<host>.json (every file is checked before anything changes)')
    .requiredOption('--from <dir>', 'folder with the config files from the appliance')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1))
    .option('--retries <n>', 'attempts per host', int('--retries', 1))
    .option('--step-timeout <seconds>', 'bound of each remote step', int('--step-timeout', 1))
    .action(async (jobId: string, o: RunFlags & { from: string }) => {
      await rt.needVault();
      const r = await rt.call('jobs.configure', { jobId, from: o.from, ...runOptions(o) }, { onEvent: progressPrinter(rt.out, { resultShowsStatus: true }) });
      rt.out.result(r, () =>
        [
          jobText(r),
          ...r.configFiles.matched.map(
            (m) => `  ${m.name} → ${m.host}${m.matchedBy === 'name-only' ? ' (by name; no machine identity could be read in the file)' : ''}`,
          ),
          ...r.configFiles.ignored.map((i) => `  ${i.name}: ignored (${i.why})`),
          ...awaitingHint(r),
        ].join('\n'),
      );
      const code = exitForJob(r.status, r.hosts);
      if (code !== EXIT.ok) throw new ExitRequest(code);
    });
  jobs
    .command('resume <jobId>')
    .description('finish an interrupted job; hosts already done are not touched')
    .option('--retry-failed', 'also retry hosts that failed')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1))
    .option('--max-failures <n>', 'failure budget', int('--max-failures', 0))
    .option('--retries <n>', 'attempts per host', int('--retries', 1))
    .option('--step-timeout <seconds>', 'bound of each remote step', int('--step-timeout', 1))
    .action(async (jobId: string, o: RunFlags & { retryFailed?: boolean }) => {
      await rt.needVault();
      const before = await rt.call('jobs.show', { jobId });
      for (const c of before.pendingCleanups ?? []) rt.out.info(`pending clean-up on ${c.host}: ${c.kind} ${c.path} (since ${c.since})`);
      const r = await rt.call(
        'jobs.resume',
        { jobId, retryFailed: !!o.retryFailed, ...runOptions(o) },
        { onEvent: progressPrinter(rt.out, { resultShowsStatus: true }) },
      );
      rt.out.result(r, () =>
        [
          jobText(r),
          ...(r.cleanups ?? []).map((c) => `clean-up on ${c.host}: ${c.kind} ${c.path} ${c.done ? 'removed' : 'still pending'}`),
          ...awaitingHint(r),
        ].join('\n'),
      );
      const code = exitForJob(r.status, r.hosts);
      if (code !== EXIT.ok) throw new ExitRequest(code);
    });

  program
    .command('versions')
    .description('installed component versions on each host, queried live')
    .option('--hosts <sel>', 'all | names,addresses,ids | tag:NAME', 'all')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1))
    .action(async (o: { hosts: string; concurrency?: number }) => {
      await rt.needVault();
      const list = await rt.call(
        'versions.query',
        { hosts: o.hosts, ...(o.concurrency ? { concurrency: o.concurrency } : {}) },
        { onEvent: progressPrinter(rt.out) },
      );
      rt.out.result(list, () =>
        table(
          list.flatMap((h): Record<string, unknown>[] =>
            h.ok
              ? h.components.map((c) => ({
                  host: h.host,
                  component: c.id,
                  version: c.version,
                  configured: c.configured,
                  service: c.service,
                  support: c.support,
                  'N-4': c.n4
                    ? `${c.n4.behind ?? '?'} behind ${c.n4.latest}${c.n4.directUpgrade ? '' : `; hops ${c.n4.hops.map((x) => `${x.rebootBefore ? 'reboot, ' : ''}${x.version ?? `≤${x.upTo}`}`).join(' → ')}`}${c.n4.rebootDue ? '; reboot due' : ''}`
                    : null,
                }))
              : [{ host: h.host, component: '-', support: h.error?.code }],
          ),
          ['host', 'component', 'version', 'configured', 'service', 'support', 'N-4'],
        ),
      );
      if (list.some((h) => !h.ok)) throw new ExitRequest(EXIT.failed);
    });
}

/** Plan notes for people: each host's warnings and upgrade hops under its table row. */
export function planNotes(
  items: readonly { host: string; warnings?: string[] | undefined; hops?: { version: string | null; upTo: string; rebootBefore: boolean }[] | undefined }[],
): string[] {
  return items.flatMap((i) => [
    ...(i.warnings ?? []).map((w) => `  warn ${i.host}: ${w}`),
    ...(i.hops?.length ? [`  hops ${i.host}: ${i.hops.map((h) => `${h.rebootBefore ? 'reboot, ' : ''}${h.version ?? `a ${h.upTo} build`}`).join(' → ')}`] : []),
  ]);
}
