import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { fail } from '../../model/errors.ts';
import { startRepositoryServer } from '../../components/repository-server.ts';
import { type CliRuntime, untilStopped } from '../runtime.ts';

/** `--listen ADDR:PORT` (IPv6 as [ADDR]:PORT); a bare port listens on every address. */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(v) ?? (/^\d{1,5}$/.test(v) ? [v, undefined, '0.0.0.0', v] : null);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !host || !isIP(host) || !Number.isInteger(port) || port < 0 || port > 65535)
    fail('usage', `--listen takes ADDR:PORT (an IP address of this machine and a port), not "${v}".`, {
      remedy: 'For example --listen 0.0.0.0:8443 or --listen 10.0.0.5:8443.',
    });
  return { host, port };
}

/** This machine's own non-loopback addresses: the names a 0.0.0.0 listener's certificate carries. */
function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a): a is NonNullable<typeof a> => !!a && !a.internal && a.family === 'IPv4')
    .map((a) => a.address);
}

/** `sources serve DIR [--listen ADDR:PORT]` on the `sources` command: the read-only HTTPS repository, until SIGINT/SIGTERM. */
export function registerSourcesServe(program: Command, rt: CliRuntime): void {
  const sources = program.commands.find((c) => c.name() === 'sources') ?? program.command('sources').description('installer sources');
  sources
    .command('serve <dir>')
    .description('a read-only HTTPS repository of DIR that targets pull installers from (prints the certificate fingerprint to pin)')
    .option('--listen <addr:port>', 'address and port to listen on (default 0.0.0.0:8443)', parseListen)
    .action(async (dir: string, o: { listen?: { host: string; port: number } }) => {
      const listen = o.listen ?? { host: '0.0.0.0', port: 8443 };
      const all = listen.host === '0.0.0.0' || listen.host === '::';
      const names = all ? ownAddresses() : [listen.host];
      const server = await startRepositoryServer({ dir, host: listen.host, port: listen.port, names, log: (l) => process.stderr.write(`${l}\n`) });
      const hostPart = (a: string) => (a.includes(':') ? `[${a}]` : a);
      const urls = (names.length ? names : [server.address]).map((a) => `https://${hostPart(a)}:${server.port}/`);
      rt.out.result({ url: urls[0], urls, fingerprint: server.fingerprint, listen: `${hostPart(listen.host)}:${server.port}`, dir }, () => urls.join('\n'));
      rt.out.info(`Serving ${dir} read-only on ${hostPart(listen.host)}:${server.port} (index: ${urls[0]}index.json).`);
      rt.out.info(
        `Certificate SHA-256 ${server.fingerprint} (self-signed, new at each start). On the workstation that plans: asr-deploy trust approve ${hostPart(names[0] ?? server.address)}:${server.port} --fingerprint ${server.fingerprint}`,
      );
      rt.out.info('Each request is logged here (who fetched what). Ctrl+C stops.');
      await untilStopped(rt.signal);
      await server.close();
      rt.out.info('Repository stopped.');
    });
}
