import type { Command } from 'commander';
import { EXIT, fail } from '../../model/errors.ts';
import { ExitRequest } from '../exit.ts';
import { table } from '../io.ts';
import { progressPrinter } from '../progress.ts';
import type { CliRuntime } from '../runtime.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const int = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail('usage', `${name} must be a whole number ${min}-${max}, not "${v}".`);
  return n;
};

export function registerProxy(program: Command, rt: CliRuntime): void {
  const proxy = program.command('proxy').description('HTTP proxies for the Provider, MARS agent and VMM (DRAProxyAccount)');
  proxy
    .command('set <name>')
    .description('add or replace a named proxy (HTTP only: the Provider does not support HTTPS proxies)')
    .requiredOption('--url <url>', 'http://HOST:PORT')
    .option('--credential <name>', 'the proxy account (credentials add NAME --user U --password-stdin)')
    .action(async (name: string, o: { url: string; credential?: string }) => {
      const p = await rt.call('proxy.set', { name, url: o.url, ...(o.credential ? { credential: o.credential } : {}) });
      rt.out.result(p, () => `proxy ${p.name}: ${p.url}${p.credential ? ` (credential ${p.credential})` : ''}`);
    });
  proxy
    .command('list')
    .description('the named proxies')
    .action(async () => {
      const list = await rt.call('proxy.list', {});
      rt.out.result(list, () => table(list, ['name', 'url', 'credential', 'updatedAt']));
    });
  proxy
    .command('test <name>')
    .description('from each host, through the proxy, check the endpoints the Provider and MARS agent need')
    .option('--hosts <sel>', 'all | names,addresses,ids | tag:NAME', 'all')
    .option('--endpoint <spec>', 'HOST:PORT (CONNECT) or http://HOST[:PORT] instead of the required Azure endpoints (repeatable)', collect, [])
    .option('--timeout <s>', 'seconds per endpoint', int('--timeout', 1, 120))
    .option('--method <m>', 'Linux hosts: auto | curl | devtcp (bash /dev/tcp)')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1, 256))
    .action(async (name: string, o: { hosts: string; endpoint: string[]; timeout?: number; method?: string; concurrency?: number }) => {
      if (o.method && !['auto', 'curl', 'devtcp'].includes(o.method)) fail('usage', `--method must be auto, curl or devtcp, not "${o.method}".`);
      await rt.needVault();
      const r = await rt.call(
        'proxy.test',
        {
          name,
          hosts: o.hosts,
          ...(o.endpoint.length ? { endpoints: o.endpoint } : {}),
          ...(o.timeout ? { timeoutSeconds: o.timeout } : {}),
          ...(o.method ? { method: o.method as 'auto' } : {}),
          ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        },
        { onEvent: rt.out.verbose ? progressPrinter(rt.out) : undefined },
      );
      rt.out.result(r, () => {
        const lines = [`proxy ${r.proxy} (${r.url})`];
        for (const h of r.hosts) {
          lines.push(
            `${h.host}: ${h.ok ? 'OK' : 'FAILED'}${h.error ? ` ${h.error.code}: ${h.error.message}${h.error.remedy ? `\n    remedy: ${h.error.remedy}` : ''}` : ''}`,
          );
          for (const e of h.endpoints)
            lines.push(
              `  [${e.outcome}] ${e.kind === 'http' ? 'http://' : ''}${e.endpoint}${e.status ? ` — ${e.status}` : ''}${e.detail && e.outcome !== 'ok' ? ` (${e.detail})` : ''}`,
            );
        }
        return lines.join('\n');
      });
      if (r.hosts.some((h) => !h.ok)) throw new ExitRequest(EXIT.failed);
    });
  proxy
    .command('apply <name>')
    .description('set the proxy on each host by its role: Provider (re-registration), MARS agent, DRAProxyAccount on a VMM server')
    .option('--hosts <sel>', 'all | names,addresses,ids | tag:NAME', 'all')
    .option('--vault-credentials <file>', 'the vault registration key, needed to re-register the Provider')
    .option('--drconfigurator <path>', 'DRConfigurator.exe on the hosts when not in the documented folder')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1, 64))
    .action(async (name: string, o: { hosts: string; vaultCredentials?: string; drconfigurator?: string; concurrency?: number }) => {
      await rt.needVault();
      const r = await rt.call(
        'proxy.apply',
        {
          name,
          hosts: o.hosts,
          ...(o.vaultCredentials ? { vaultCredentialsFile: o.vaultCredentials } : {}),
          ...(o.drconfigurator ? { drconfigurator: o.drconfigurator } : {}),
          ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        },
        { onEvent: progressPrinter(rt.out) },
      );
      rt.out.result(r, () => {
        const lines = [`proxy ${r.proxy} (${r.url})${r.jobId ? `: job ${r.jobId} (asr-deploy jobs show|logs|resume ${r.jobId})` : ''}`];
        for (const h of r.hosts) {
          lines.push(
            `${h.host}: ${h.status.toUpperCase()}${h.status === 'skipped' ? ` — ${h.reason}` : ''}${h.error ? ` ${h.error.code}: ${h.error.message}` : ''}`,
          );
          for (const s of h.steps) lines.push(`  [${s.status}] ${s.id}: ${s.why}${s.detail ? ` — ${s.detail}` : ''}`);
        }
        return lines.join('\n');
      });
      if (r.hosts.some((h) => h.status === 'failed')) throw new ExitRequest(EXIT.failed);
    });
}
