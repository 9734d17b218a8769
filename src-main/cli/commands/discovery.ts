import type { Command } from 'commander';
import { documentVerdict } from '../../checks/document.ts';
import { EXIT, fail } from '../../model/errors.ts';
import { ExitRequest } from '../exit.ts';
import { table } from '../io.ts';
import { progressPrinter } from '../progress.ts';
import type { CliRuntime } from '../runtime.ts';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail('usage', `${name} must be a whole number ≥ ${min}, not "${v}".`);
  return n;
};
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Discovery never overwrites what a person set or facts verified: say what was kept, and warnings. */
function reportKept(
  rt: CliRuntime,
  rows: readonly {
    warning?: string;
    conflicts?: { id: string; host: string; field: string; current: string | null; discovered: string | null; keptBecause: string }[];
  }[],
): void {
  for (const r of rows) {
    if (r.warning) rt.out.info(`warning: ${r.warning}`);
    for (const c of r.conflicts ?? [])
      rt.out.info(
        `conflict ${c.id}: ${c.host}: kept ${c.field} "${c.current}" (${c.keptBecause}); discovery says "${c.discovered}". Accept with: asr-deploy hosts accept-conflict ${c.id}`,
      );
  }
}

export function registerDiscovery(program: Command, rt: CliRuntime, trust: Command): void {
  trust
    .command('scan <targets...>')
    .description('read SSH host keys / TLS certificates of HOST[:PORT] (no login, nothing stored)')
    .option('--timeout <ms>', 'per target', int('--timeout', 100), 5000)
    .action(async (targets: string[], o: { timeout: number }) => {
      const rows = await rt.call('trust.scan', { targets, timeoutMs: o.timeout });
      const ok = rows.filter((r) => r.fingerprint);
      for (const r of rows.filter((x) => x.error)) rt.out.info(`${r.host}:${r.port}: ${r.error!.code}: ${r.error!.message}`);
      rt.out.result(
        ok.map(({ host, port, kind, fingerprint, notAfter }) => ({ host, port, kind, fingerprint, ...(notAfter ? { notAfter } : {}) })),
        () =>
          table(
            ok.map((r) => ({ ...r, change: r.pinned ? (r.pinned === r.fingerprint ? 'pinned' : `CHANGED (pinned ${r.pinned})`) : 'new' })),
            ['host', 'port', 'kind', 'fingerprint', 'notAfter', 'change'],
          ),
      );
      if (ok.length < new Set(rows.map((r) => r.host)).size) throw new ExitRequest(EXIT.failed);
    });
  trust
    .command('approve <targets...>')
    .description('pin what a fresh scan sees, or --fingerprint FP (checked against the scan)')
    .option('--fingerprint <fp>', 'expected SHA256:… (SSH) or 64-hex SHA-256 (TLS)')
    .option('--replace', 'replace a pin whose key or certificate changed (shows old and new)', false)
    .option('--timeout <ms>', 'per target', int('--timeout', 100), 5000)
    .action(async (targets: string[], o: { fingerprint?: string; timeout: number; replace: boolean }) => {
      const pins = await rt.call('trust.approve', {
        targets,
        timeoutMs: o.timeout,
        replace: o.replace,
        ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}),
      });
      rt.out.result(pins, () =>
        pins
          .map((p) =>
            p.previous
              ? `replaced ${p.host}:${p.port} ${p.kind}: old ${p.previous}, new ${p.fingerprint}`
              : `pinned ${p.host}:${p.port} ${p.kind} ${p.fingerprint}`,
          )
          .join('\n'),
      );
    });

  const discover = program.command('discover').description('find hosts: network ranges, vCenter, VMM, Hyper-V');
  discover
    .command('network <targets...>')
    .description('probe addresses, CIDR blocks (10.0.0.0/24) and ranges (10.0.0.5-10.0.0.20)')
    .option('--ports <list>', 'ports to probe', '22,5985,5986')
    .option('--concurrency <n>', 'probes in flight', int('--concurrency', 1))
    .option('--timeout <ms>', 'connect timeout per probe', int('--timeout', 50))
    .option('--force', 'allow a single block larger than /16 (the run still stops at --max-addresses)')
    .option('--max-addresses <n>', 'most addresses probed in this run, all targets together (default 65536, a /16)', int('--max-addresses', 1))
    .option('--add', 'store what was found as hosts (re-running updates, never duplicates)')
    .option('--credential <name>', 'credential for the hosts added')
    .option('--tag <tag>', 'tag the hosts added (repeatable)', collect, [])
    .action(
      async (
        targets: string[],
        o: { ports: string; concurrency?: number; timeout?: number; force?: boolean; maxAddresses?: number; add?: boolean; credential?: string; tag: string[] },
      ) => {
        const ports = o.ports.split(',').map((p) => {
          const n = Number(p.trim());
          if (!Number.isInteger(n) || n < 1 || n > 65535) fail('usage', `--ports: "${p}" is not a port number.`);
          return n;
        });
        const found = await rt.call(
          'discover.network',
          {
            targets,
            ports,
            force: !!o.force,
            ...(o.maxAddresses ? { maxAddresses: o.maxAddresses } : {}),
            add: !!o.add,
            tags: o.tag,
            ...(o.concurrency ? { concurrency: o.concurrency } : {}),
            ...(o.timeout ? { timeoutMs: o.timeout } : {}),
            ...(o.credential ? { credential: o.credential } : {}),
          },
          { onEvent: rt.out.verbose ? progressPrinter(rt.out) : undefined },
        );
        rt.out.result(found, () =>
          table(
            found.map((d) => ({
              address: d.address,
              open: d.open,
              os: d.os ?? null,
              ssh: d.ssh?.banner ?? null,
              winrm: d.winrm
                ? `${d.winrm.https ? 'https' : 'http'}${d.winrm.certificate ? ` ${d.winrm.certificate.subject}${d.winrm.certificate.expired ? ' EXPIRED' : d.winrm.certificate.expiresSoon ? ' expires soon' : ''}` : ''}`
                : null,
            })),
            ['address', 'open', 'os', 'ssh', 'winrm'],
          ),
        );
        reportKept(rt, found);
      },
    );
  discover
    .command('vcenter')
    .description('inventory VMs of a vCenter (vim25 SOAP)')
    .requiredOption('--server <url>', 'https://vcenter.example/sdk or a host name')
    .requiredOption('--credential <name>', 'vCenter account (credentials add … --password-stdin)')
    .option('--fingerprint <sha256>', 'pin this certificate SHA-256 (64 hex)')
    .option('--add', 'turn powered-on VMs with addresses into hosts')
    .option('--host-credential <name>', 'credential for the hosts added')
    .option('--page-size <n>', 'VMs per RetrievePropertiesEx page', int('--page-size', 1))
    .action(async (o: { server: string; credential: string; fingerprint?: string; add?: boolean; hostCredential?: string; pageSize?: number }) => {
      await rt.needVault();
      const vms = await rt.call('discover.vcenter', {
        server: o.server,
        credential: o.credential,
        add: !!o.add,
        ...(o.fingerprint ? { fingerprint: o.fingerprint } : {}),
        ...(o.hostCredential ? { hostCredential: o.hostCredential } : {}),
        ...(o.pageSize ? { pageSize: o.pageSize } : {}),
      });
      rt.out.result(vms, () =>
        table(
          vms.map((v) => ({ ...v, addresses: v.addresses.join(' ') })),
          ['name', 'family', 'powerState', 'addresses', 'cluster', 'esxHost', 'disks'],
        ),
      );
      reportKept(rt, vms);
    });

  discover
    .command('vmm')
    .description('inventory a VMM server over PowerShell: host groups, clouds, Hyper-V hosts, VMs')
    .requiredOption('--server <host>', 'the VMM management server (runs the virtualmachinemanager module)')
    .requiredOption('--credential <name>', 'an account with VMM read access (credentials add … --password-stdin)')
    .option('--add', 'store the VMM server (role:vmm-server) and its Hyper-V hosts (role:hyperv-host, cloud:, hostgroup:, cluster: tags)')
    .action(async (o: { server: string; credential: string; add?: boolean }) => {
      await rt.needVault();
      const inv = await rt.call('discover.vmm', { server: o.server, credential: o.credential, add: !!o.add });
      rt.out.result(inv, () =>
        [
          `VMM ${inv.server.fqdn ?? inv.server.name} ${inv.server.version ?? ''}: ${inv.hostGroups.length} host groups, ${inv.clouds.length} clouds (${inv.clouds.map((c) => c.name).join(', ')}), ${inv.hosts.length} hosts, ${inv.vms.length} VMs`,
          table(
            inv.hosts.map((h) => ({
              name: h.name,
              hostGroup: h.hostGroup,
              cluster: h.cluster,
              clouds: h.clouds.join(' '),
              vms: h.vms,
              state: h.state,
              added: h.hostId ?? null,
            })),
            ['name', 'hostGroup', 'cluster', 'clouds', 'vms', 'state', ...(o.add ? ['added'] : [])],
          ),
        ].join('\n'),
      );
    });
  discover
    .command('hyperv <hosts...>')
    .description('Hyper-V role, version, cluster and VMs of each host over PowerShell')
    .requiredOption('--credential <name>', 'a local administrator of the hosts')
    .option('--add', 'store the hosts (role:hyperv-host, cluster: tag)')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1))
    .action(async (hosts: string[], o: { credential: string; add?: boolean; concurrency?: number }) => {
      await rt.needVault();
      const rows = await rt.call(
        'discover.hyperv',
        { hosts, credential: o.credential, add: !!o.add, ...(o.concurrency ? { concurrency: o.concurrency } : {}) },
        { onEvent: rt.out.verbose ? progressPrinter(rt.out) : undefined },
      );
      rt.out.result(rows, () =>
        table(
          rows.map((r) => ({
            address: r.address,
            ok: r.ok,
            computer: r.computer ?? null,
            version: r.hyperv?.version ?? null,
            cluster: r.cluster ?? null,
            vms: r.vms?.length ?? null,
            error: r.error ? `${r.error.code}: ${r.error.message}${r.error.remedy ? ` (${r.error.remedy})` : ''}` : null,
          })),
          ['address', 'ok', 'computer', 'version', 'cluster', 'vms', 'error'],
        ),
      );
      if (rows.some((r) => !r.ok)) throw new ExitRequest(rows.every((r) => r.error?.code === 'prerequisite_failed') ? EXIT.blocked : EXIT.failed);
    });

  program
    .command('facts')
    .description('gather facts from each host over its transport and store them')
    .option('--hosts <sel>', 'all | names,addresses,ids | tag:NAME', 'all')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1))
    .action(async (o: { hosts: string; concurrency?: number }) => {
      await rt.needVault();
      const list = await rt.call(
        'facts.gather',
        { hosts: o.hosts, ...(o.concurrency ? { concurrency: o.concurrency } : {}) },
        { onEvent: progressPrinter(rt.out) },
      );
      rt.out.result(list, () =>
        table(
          list.map((f) => ({
            host: f.host,
            ok: f.ok,
            os: f.facts ? `${f.facts.os.id ?? '?'} ${f.facts.os.version ?? ''}` : null,
            hostName: f.facts?.hostName ?? null,
            error: f.error ? `${f.error.code}: ${f.error.message}` : null,
          })),
          ['host', 'ok', 'os', 'hostName', 'error'],
        ),
      );
      if (list.some((f) => !f.ok)) throw new ExitRequest(EXIT.failed);
    });

  program
    .command('check')
    .description('prerequisite checks against the support matrix (exit 4 when a host fails)')
    .requiredOption('--component <id>', 'mobility-service | provider | mars-agent')
    .option('--version <v>', 'component version (default: newest in the catalog)')
    .option('--hosts <sel>', 'all | names,addresses,ids | tag:NAME', 'all')
    .option('--cs <address>', 'configuration server: tested for reachability from each host')
    .option('--ps <address>', 'process server (default: the configuration server)')
    .option('--appliance <address>', 'modernized replication appliance: TCP 443 and 9443 tested from each host')
    .option('--concurrency <n>', 'hosts at once', int('--concurrency', 1))
    .action(async (o: { component: string; version?: string; hosts: string; cs?: string; ps?: string; appliance?: string; concurrency?: number }) => {
      await rt.needVault();
      const doc = await rt.call(
        'check.run',
        {
          component: o.component as never,
          hosts: o.hosts,
          ...(o.version ? { version: o.version } : {}),
          ...(o.cs ? { cs: o.cs } : {}),
          ...(o.ps ? { ps: o.ps } : {}),
          ...(o.appliance !== undefined ? { appliance: o.appliance } : {}),
          ...(o.concurrency ? { concurrency: o.concurrency } : {}),
        },
        { onEvent: progressPrinter(rt.out) },
      );
      rt.out.result(doc, () => {
        const lines = [`check ${doc.runId}: ${doc.component} ${doc.version ?? ''}`];
        for (const h of doc.hosts) {
          lines.push(`${h.host}: ${h.verdict.toUpperCase()}`);
          for (const c of h.checks.filter((x) => x.verdict !== 'pass' || rt.out.verbose))
            lines.push(`  [${c.verdict}] ${c.id}: ${c.evidence}${c.remedy && c.verdict !== 'pass' ? `\n      remedy: ${c.remedy}` : ''}`);
        }
        const unexamined = doc.hosts.filter((h) => h.error).length;
        if (unexamined)
          lines.push(`${unexamined === doc.hosts.length ? 'no host' : `${doc.hosts.length - unexamined} of ${doc.hosts.length} hosts`} could be examined`);
        lines.push(`report: asr-deploy report ${doc.runId} --format html --out report.html`);
        return lines.join('\n');
      });
      // 4: a host fails a prerequisite; 1: none fails, but a host could not be examined (its checks are unknown).
      if (documentVerdict(doc) === 'fail') throw new ExitRequest(EXIT.blocked);
      if (doc.hosts.some((h) => h.error)) throw new ExitRequest(EXIT.failed);
    });

  program
    .command('report <id>')
    .description('report of a job or check run (or `latest`)')
    .requiredOption('--format <fmt>', 'html | csv | json')
    .requiredOption('--out <file>', 'file to write')
    .action(async (id: string, o: { format: string; out: string }) => {
      if (!['html', 'csv', 'json'].includes(o.format)) fail('usage', `--format must be html, csv or json, not "${o.format}".`);
      const r = await rt.call('report.create', { id, format: o.format as never, out: o.out });
      rt.out.result(r, () => `wrote ${r.kind} report ${r.id} to ${r.out}`);
    });
}
