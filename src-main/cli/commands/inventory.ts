import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import ssh2 from 'ssh2';
import { fail } from '../../model/errors.ts';
import type { CliRuntime } from '../runtime.ts';
import { readStdin, splitSecretLines, table } from '../io.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail('usage', `--port must be 1-65535, not "${v}".`);
  return n;
};

export function registerInventory(program: Command, rt: CliRuntime): void {
  const hosts = program.command('hosts').description('the inventory of hosts');

  hosts
    .command('add <address>')
    .description('add a host (or update the one at that address)')
    .option('--name <name>', 'inventory name (default: the address)')
    .option('--os <os>', 'linux | windows')
    .option('--transport <transport>', 'ssh | winrm (default from --os)')
    .option('--port <port>', 'port (default 22 for ssh, 5986 for winrm)', port)
    .option('--credential <name>', 'credential to log in with')
    .option('--tag <tag>', 'a tag (repeatable)', collect, [])
    .action(async (address: string, o: { name?: string; os?: string; transport?: string; port?: number; credential?: string; tag: string[] }) => {
      const host = await rt.call('hosts.add', {
        address,
        name: o.name,
        os: o.os as never,
        transport: o.transport as never,
        port: o.port,
        credential: o.credential,
        tags: o.tag,
      });
      rt.out.result(host, () => `${host.name} (${host.address}) ${host.os ?? 'os unknown'} over ${host.transport ?? '?'}:${host.port ?? '?'} — id ${host.id}`);
    });

  hosts
    .command('winrm <selector>')
    .description('operator settings for WinRM hosts: authentication and HTTP (never taken from imported data)')
    .option('--auth <mechanism>', 'Negotiate (default) | Kerberos | Basic | CredSSP')
    .option('--http', 'WinRM over HTTP 5985 (no certificate, no pin)')
    .option('--https', 'back to HTTPS 5986 (the default)')
    .action(async (selector: string, o: { auth?: string; http?: boolean; https?: boolean }) => {
      if (o.http && o.https) fail('usage', 'Give --http or --https, not both.');
      const r = await rt.call('hosts.winrm', {
        hosts: selector,
        ...(o.auth ? { auth: o.auth as never } : {}),
        ...(o.http ? { http: true } : o.https ? { http: false } : {}),
      });
      for (const h of r) for (const w of h.warnings) rt.out.info(`warning: ${h.host}: ${w}`);
      rt.out.result(r, () => r.map((h) => `${h.host}: WinRM ${h.useSsl ? 'HTTPS' : 'HTTP'} ${h.port}, ${h.auth}`).join('\n'));
    });

  hosts
    .command('list')
    .description('list hosts')
    .option('--hosts <sel>', 'all | name,address,id,… | tag:NAME', 'all')
    .action(async (o: { hosts: string }) => {
      const list = await rt.call('hosts.list', { hosts: o.hosts });
      rt.out.result(list, () =>
        table(
          list.map((h) => ({ ...h, facts: h.facts ? h.facts.collectedAt : null })),
          ['id', 'name', 'address', 'os', 'transport', 'port', 'credential', 'tags', 'source'],
        ),
      );
    });

  hosts
    .command('conflicts')
    .description('what discovery found different from what a person set or facts verified (the inventory keeps its value)')
    .option('--hosts <sel>', 'all | name,address,id,… | tag:NAME', 'all')
    .action(async (o: { hosts: string }) => {
      const list = await rt.call('hosts.conflicts', { hosts: o.hosts });
      rt.out.result(list, () =>
        list.length
          ? [
              table(list, ['id', 'host', 'field', 'current', 'discovered', 'source', 'keptBecause']),
              'accept one with: asr-deploy hosts accept-conflict ID',
            ].join('\n')
          : 'no conflicts',
      );
    });
  hosts
    .command('accept-conflict <ids...>')
    .description("take discovery's value for these conflicts, one by one (see `hosts conflicts`)")
    .action(async (ids: string[]) => {
      const list = await rt.call('hosts.acceptConflict', { ids });
      rt.out.result(list, () =>
        list.map((h) => `updated ${h.name} (${h.address}): os ${h.os ?? '-'}, transport ${h.transport ?? '-'}, credential ${h.credential ?? '-'}`).join('\n'),
      );
    });
  hosts
    .command('remove <selector>')
    .description('remove hosts (names, addresses, ids, or tag:NAME)')
    .action(async (selector: string) => {
      const r = await rt.call('hosts.remove', { hosts: selector });
      rt.out.result(r, () => `removed ${r.removed.length}: ${r.removed.join(', ')}`);
    });

  hosts
    .command('import <file>')
    .description('import hosts from CSV (header row) or a JSON array; an invalid row fails the whole import')
    .option('--skip-invalid', 'import the valid rows and report the others')
    .action(async (file: string, o: { skipInvalid?: boolean }) => {
      const r = await rt.call('hosts.import', { file, skipInvalid: !!o.skipInvalid });
      for (const s of r.skipped) rt.out.info(`skipped line ${s.line}: ${s.message}`);
      rt.out.result(r, () => `${r.file}: ${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.skipped.length} skipped`);
    });

  const creds = program.command('credentials').description('accounts used to reach hosts (secrets kept encrypted)');
  creds
    .command('add <name>')
    .description('store a credential; secrets are read from stdin, one per line: password or key passphrase first, then the sudo password')
    .requiredOption('--user <user>', 'account name (DOMAIN\\user or user@domain for Windows)')
    .option('--password-stdin', 'read the password from stdin')
    .option('--key-file <file>', 'OpenSSH private key file')
    .option('--passphrase-stdin', 'read the key passphrase from stdin')
    .option('--sudo-password-stdin', 'read the sudo password from stdin (after the password/passphrase line)')
    .action(async (name: string, o: { user: string; passwordStdin?: boolean; keyFile?: string; passphraseStdin?: boolean; sudoPasswordStdin?: boolean }) => {
      if (!!o.passwordStdin === !!o.keyFile) fail('usage', 'Give exactly one of --password-stdin or --key-file.');
      if (o.passphraseStdin && !o.keyFile) fail('usage', '--passphrase-stdin goes with --key-file.');
      const wanted = (o.passwordStdin || o.passphraseStdin ? 1 : 0) + (o.sudoPasswordStdin ? 1 : 0);
      const lines = wanted ? splitSecretLines(await readStdin(), wanted) : [];
      const first = o.passwordStdin || o.passphraseStdin ? lines.shift() : undefined;
      const sudoPassword = o.sudoPasswordStdin ? lines.shift() : undefined;
      if ((o.passwordStdin || o.passphraseStdin) && !first)
        fail('usage', `No ${o.passwordStdin ? 'password' : 'passphrase'} arrived on stdin.`, {
          remedy: 'Pipe it in, e.g. `printf %s "$PW" | asr-deploy credentials add …`.',
        });
      if (o.sudoPasswordStdin && !sudoPassword) fail('usage', 'No sudo password arrived on stdin (expected on the line after the password/passphrase).');
      let privateKey: string | undefined;
      if (o.keyFile) {
        try {
          privateKey = readFileSync(o.keyFile, 'utf8');
        } catch (e) {
          fail('validation', `Cannot read the key file ${o.keyFile}: ${(e as Error).message}`);
        }
        const parsed = ssh2.utils.parseKey(privateKey, first);
        if (parsed instanceof Error) {
          const encrypted = /encrypted|passphrase/i.test(parsed.message);
          fail('validation', `The key file ${o.keyFile} cannot be read as a private key${encrypted ? ' with the passphrase given' : ''}: ${parsed.message}`, {
            remedy: encrypted
              ? 'Pass the passphrase with --passphrase-stdin.'
              : 'Give an OpenSSH-format private key (ssh-keygen -p -f KEY converts old formats).',
          });
        }
      }
      await rt.needVault();
      const info = await rt.call('credentials.add', {
        name,
        user: o.user,
        password: o.passwordStdin ? first : undefined,
        privateKey,
        keyFile: o.keyFile,
        passphrase: o.passphraseStdin ? first : undefined,
        sudoPassword,
      });
      rt.out.result(
        { name: info.name, user: info.user, kind: info.kind },
        () => `stored credential ${info.name} (${info.kind}, user ${info.user}${info.hasSudoPassword ? ', with sudo password' : ''})`,
      );
    });
  creds
    .command('list')
    .description('list credentials (never a secret)')
    .action(async () => {
      const list = await rt.call('credentials.list', {});
      rt.out.result(
        list.map((c) => ({ name: c.name, user: c.user, kind: c.kind, keyFile: c.keyFile, hasSudoPassword: c.hasSudoPassword })),
        () => table(list, ['name', 'user', 'kind', 'keyFile', 'hasSudoPassword']),
      );
    });
  creds
    .command('remove <name>')
    .description('remove a credential and its secrets')
    .action(async (name: string) => {
      const r = await rt.call('credentials.remove', { name });
      rt.out.result(r, () => `removed credential ${r.removed}`);
    });
}
