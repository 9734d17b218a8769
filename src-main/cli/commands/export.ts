import type { Command } from 'commander';
import { table } from '../io.ts';
import type { CliRuntime } from '../runtime.ts';

export function registerExport(program: Command, rt: CliRuntime): void {
  const exp = program.command('export').description('hand a plan to other tools');
  exp
    .command('ansible <planId>')
    .description('write a plan as an Ansible project (inventory, pinned known_hosts, playbook); no secret is written')
    .requiredOption('--out <dir>', 'a new or empty folder')
    .action(async (planId: string, o: { out: string }) => {
      const r = await rt.call('export.ansible', { planId, out: o.out });
      rt.out.result(r, () =>
        [
          `plan ${r.planId} exported to ${r.dir}: ${r.files.join(', ')}`,
          table(
            r.hosts.map((h) => ({ host: h.host, exported: h.exported ? 'yes' : 'no', reason: h.reason })),
            ['host', 'exported', 'reason'],
          ),
          r.passphraseVariable ? `the playbook needs ${r.passphraseVariable} (e.g. from ansible-vault): see ${r.dir}/README.md` : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
}
