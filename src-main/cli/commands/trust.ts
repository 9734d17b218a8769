import type { Command } from 'commander';
import type { CliRuntime } from '../runtime.ts';
import { table } from '../io.ts';

export function registerTrust(program: Command, rt: CliRuntime): Command {
  const trust = program.command('trust').description('pinned SSH host keys and TLS certificates (enrolment happens only here)');
  trust
    .command('list')
    .description('list pins')
    .action(async () => {
      const pins = await rt.call('trust.list', {});
      rt.out.result(pins, () => table(pins, ['host', 'port', 'kind', 'fingerprint', 'notAfter', 'approvedAt']));
    });
  trust
    .command('revoke <hosts...>')
    .description('forget the pins of hosts (HOST or HOST:PORT)')
    .action(async (hosts: string[]) => {
      const r = await rt.call('trust.revoke', { hosts });
      rt.out.result(r, () => `revoked ${r.revoked} pin(s)`);
    });
  return trust;
}
