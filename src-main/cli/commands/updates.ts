import type { Command } from 'commander';
import { EXIT, fail } from '../../model/errors.ts';
import { ExitRequest, exitForJob } from '../exit.ts';
import { table } from '../io.ts';
import { planNotes } from './deploy.ts';
import { progressPrinter } from '../progress.ts';
import type { CliRuntime } from '../runtime.ts';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail('usage', `${name} must be a whole number ≥ ${min}, not "${v}".`);
  return n;
};

export function registerUpdates(program: Command, rt: CliRuntime): void {
  program
    .command('sweep')
    .description('update sweep: inventory → plan upgrades → apply (hosts already current are skipped; offline hosts go to the retry list)')
    .option('--hosts <sel>', 'all | names,addresses,ids | tag:NAME', 'all')
    .option('--source <dir>', 'folder with the installers (needed unless --check)')
    .option('--check', 'plan only: list what is outdated')
    .option('--version <v>', 'target version (default: the newest in the catalog)')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1))
    .option('--max-failures <n>', 'failure budget', int('--max-failures', 0))
    .option('--step-timeout <seconds>', 'bound of each remote step', int('--step-timeout', 1))
    .option('--schedule <name>', 'run on behalf of a schedule (keeps its last report)')
    .option('--webhook <url>', 'POST the summary as JSON to this URL')
    .action(
      async (o: {
        hosts: string;
        source?: string;
        check?: boolean;
        version?: string;
        concurrency?: number;
        maxFailures?: number;
        stepTimeout?: number;
        schedule?: string;
        webhook?: string;
      }) => {
        await rt.needVault();
        const r = await rt.call(
          'sweep.run',
          {
            hosts: o.hosts,
            check: !!o.check,
            ...(o.source ? { source: o.source } : {}),
            ...(o.version ? { version: o.version } : {}),
            ...(o.concurrency ? { concurrency: o.concurrency } : {}),
            ...(o.maxFailures !== undefined ? { maxFailures: o.maxFailures } : {}),
            ...(o.stepTimeout ? { stepTimeoutMs: o.stepTimeout * 1000 } : {}),
            ...(o.schedule ? { schedule: o.schedule } : {}),
            ...(o.webhook ? { webhook: o.webhook } : {}),
          },
          { onEvent: progressPrinter(rt.out) },
        );
        for (const x of r.retry) rt.out.info(`retry list: ${x.host} (${x.lastError}; since ${x.since})`);
        if (o.check) {
          const { plans: _p, outdated: _o, retry: _r, jobId: _j, status: _s, hosts: _h, report: _rep, ...planDoc } = r;
          rt.out.result({ ...planDoc, plans: r.plans.map((p) => p.planId), outdated: r.outdated, retry: r.retry }, () =>
            [
              table(
                r.items.map((i) => ({ host: i.host, action: i.action, from: i.from, to: i.to, reason: i.reason })),
                ['host', 'action', 'from', 'to', 'reason'],
              ),
              ...planNotes(r.items),
            ].join('\n'),
          );
          return;
        }
        rt.out.result(
          { jobId: r.jobId ?? null, planId: r.planId, status: r.status, hosts: r.hosts ?? [], outdated: r.outdated, retry: r.retry, report: r.report ?? null },
          () =>
            [
              `sweep ${r.jobId ?? '(nothing to upgrade)'}: ${r.status}`,
              table(
                (r.hosts ?? []).map((h) => ({ ...h, error: h.error ? `${h.error.code}: ${h.error.message}` : null })),
                ['host', 'status', 'version', 'error'],
              ),
            ].join('\n'),
        );
        const code = exitForJob(r.status ?? 'succeeded', r.hosts ?? []);
        if (code !== EXIT.ok) throw new ExitRequest(code);
      },
    );

  const catalog = program.command('catalog').description('the catalog of component versions');
  catalog
    .command('show')
    .description('which catalog is in use')
    .action(async () => {
      const c = await rt.call('catalog.info', {});
      rt.out.result(c, () =>
        [`catalog: ${c.source}${c.sha256 ? ` (sha256 ${c.sha256}, loaded ${c.loadedAt})` : ''}`, table(c.components, ['id', 'versions', 'latest'])].join('\n'),
      );
    });
  catalog
    .command('update <source>')
    .description('load a newer catalog bundle from a file or HTTPS URL; it must match the pinned --sha256')
    .requiredOption('--sha256 <hex>', 'SHA-256 of the bundle, as published with it')
    .action(async (source: string, o: { sha256: string }) => {
      const c = await rt.call('catalog.update', { source, sha256: o.sha256 });
      rt.out.result(c, () => `catalog updated from ${c.source}: ${c.components.map((x) => `${x.id} ${x.latest}`).join(', ')}`);
    });

  const schedule = program.command('schedule').description('unattended update sweeps as OS scheduled tasks (cron, systemd timer, Task Scheduler)');
  schedule
    .command('add <name>')
    .description('create a scheduled task running `asr-deploy sweep [SWEEP OPTIONS]`; options after -- go to sweep')
    .requiredOption('--every <when>', 'daily | weekly | a cron expression ("0 3 * * 1")')
    .option('--at <HH:MM>', 'time of day for daily/weekly', '03:00')
    .option('--vault-key-file <file>', 'file (mode 0600) the unattended run reads the vault key from')
    .argument('[sweepOptions...]')
    .action(async (name: string, sweepArgs: string[], o: { every: string; at: string; vaultKeyFile?: string }) => {
      const s = await rt.call('schedule.add', { name, every: o.every, at: o.at, sweepArgs, ...(o.vaultKeyFile ? { vaultKeyFile: o.vaultKeyFile } : {}) });
      rt.out.result(s, () => `schedule ${s.name}: ${s.cron} (${s.backend}: ${s.files.join(', ')}); next run ${s.nextRun}`);
    });
  schedule
    .command('list')
    .description('schedules and their next run')
    .action(async () => {
      const list = await rt.call('schedule.list', {});
      rt.out.result(list, () =>
        table(
          list.map((s) => ({ ...s, sweep: s.sweepArgs.join(' ') })),
          ['name', 'every', 'cron', 'backend', 'nextRun', 'installed', 'sweep'],
        ),
      );
    });
  schedule
    .command('remove <name>')
    .description('remove a schedule and its OS task')
    .action(async (name: string) => {
      const s = await rt.call('schedule.remove', { name });
      rt.out.result(s, () => `removed schedule ${s.name}`);
    });
}
