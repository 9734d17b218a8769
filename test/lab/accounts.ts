// Accounts of the lab hosts.
//
// Choice: the accounts live only inside the hosts' /etc overlay. Each host's upper /etc holds a
// copy of the machine's passwd/shadow/group/gshadow with the asrlab-* users appended, plus
// /etc/sudoers.d/asrlab. The machine's own /etc is never changed, so `down` has nothing to undo
// and two labs (with different passwords) can coexist. The users' uids are picked among ids the
// machine does not use; their home directories live in each host's private /home.

import { chmodSync, chownSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabUsers } from './types.ts';
import { run, secret } from './util.ts';

export interface AccountFiles {
  passwd: string;
  shadow: string;
  group: string;
  gshadow: string;
  sudoers: string;
}

export interface Accounts {
  users: LabUsers;
  files: AccountFiles;
}

async function keygen(path: string, comment: string, passphrase = ''): Promise<string> {
  // -a 16 is OpenSSH's default number of bcrypt rounds for an encrypted key.
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-a', '16', '-N', passphrase, '-C', comment, '-f', path]);
  chmodSync(path, 0o600);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

async function sha512crypt(password: string): Promise<string> {
  const r = await run('openssl', ['passwd', '-6', '-stdin'], { input: password + '\n' });
  return r.stdout.trim();
}

function freeIds(count: number): number[] {
  const used = new Set<number>();
  for (const f of ['/etc/passwd', '/etc/group']) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      const id = Number(line.split(':')[2]);
      if (Number.isInteger(id)) used.add(id);
    }
  }
  const ids: number[] = [];
  for (let id = 61001; ids.length < count && id < 65000; id++) if (!used.has(id)) ids.push(id);
  return ids;
}

/** Generates the lab's keys and passwords (into <stateDir>/keys, 0600) and the account files. */
export async function createAccounts(stateDir: string, labId: string): Promise<Accounts> {
  const keys = join(stateDir, 'keys');
  mkdirSync(keys, { recursive: true, mode: 0o700 });
  const [adminUid, nopwUid] = freeIds(2);
  if (adminUid === undefined || nopwUid === undefined) throw new Error('no free uid for the lab users');

  const adminPassword = secret();
  const nopwPassword = secret();
  const adminPassphrase = secret(12);
  const [rootPub, adminPub, nopwPub, adminHash, nopwHash] = await Promise.all([
    keygen(join(keys, 'root_ed25519'), `root@asrlab-${labId}`),
    keygen(join(keys, 'asrlab-admin_ed25519'), `asrlab-admin@asrlab-${labId}`, adminPassphrase),
    keygen(join(keys, 'asrlab-nopw_ed25519'), `asrlab-nopw@asrlab-${labId}`),
    sha512crypt(adminPassword),
    sha512crypt(nopwPassword),
  ]);

  const root: LabUsers['root'] = {
    name: 'root',
    uid: 0,
    home: '/root',
    keyPath: join(keys, 'root_ed25519'),
    publicKey: rootPub,
    sudo: 'root',
  };
  const admin: LabUsers['admin'] = {
    name: 'asrlab-admin',
    uid: adminUid,
    home: '/home/asrlab-admin',
    password: adminPassword,
    keyPath: join(keys, 'asrlab-admin_ed25519'),
    keyPassphrase: adminPassphrase,
    publicKey: adminPub,
    sudo: 'password',
  };
  const nopw: LabUsers['nopw'] = {
    name: 'asrlab-nopw',
    uid: nopwUid,
    home: '/home/asrlab-nopw',
    password: nopwPassword,
    keyPath: join(keys, 'asrlab-nopw_ed25519'),
    publicKey: nopwPub,
    sudo: 'nopasswd',
  };

  const days = Math.floor(Date.now() / 86_400_000) - 1;
  const nl = (s: string): string => (s.endsWith('\n') || s === '' ? s : s + '\n');
  const machine = (f: string): string =>
    nl(readFileSync(f, 'utf8'))
      .split('\n')
      .filter((l) => !l.startsWith('asrlab-'))
      .join('\n');
  const files: AccountFiles = {
    passwd:
      machine('/etc/passwd') +
      `${admin.name}:x:${admin.uid}:${admin.uid}:ASR lab admin (sudo with password):${admin.home}:/bin/bash\n` +
      `${nopw.name}:x:${nopw.uid}:${nopw.uid}:ASR lab admin (sudo NOPASSWD):${nopw.home}:/bin/bash\n`,
    shadow: machine('/etc/shadow') + `${admin.name}:${adminHash}:${days}:0:99999:7:::\n` + `${nopw.name}:${nopwHash}:${days}:0:99999:7:::\n`,
    group: machine('/etc/group') + `${admin.name}:x:${admin.uid}:\n${nopw.name}:x:${nopw.uid}:\n`,
    gshadow: machine('/etc/gshadow') + `${admin.name}:!::\n${nopw.name}:!::\n`,
    sudoers: [
      '# ASR Deploy test lab',
      `Defaults:${admin.name} timestamp_timeout=0`,
      `${admin.name} ALL=(ALL:ALL) ALL`,
      `${nopw.name} ALL=(ALL:ALL) NOPASSWD: ALL`,
      '',
    ].join('\n'),
  };
  return { users: { root, admin, nopw }, files };
}

/** Writes the account files into a host's upper /etc and the users' homes into its private /home and /root. */
export function installAccounts(acc: Accounts, etcUpper: string, rootDir: string, homeDir: string): void {
  writeFileSync(join(etcUpper, 'passwd'), acc.files.passwd, { mode: 0o644 });
  writeFileSync(join(etcUpper, 'group'), acc.files.group, { mode: 0o644 });
  writeFileSync(join(etcUpper, 'shadow'), acc.files.shadow, { mode: 0o640 });
  writeFileSync(join(etcUpper, 'gshadow'), acc.files.gshadow, { mode: 0o640 });
  mkdirSync(join(etcUpper, 'sudoers.d'), { recursive: true, mode: 0o755 });
  writeFileSync(join(etcUpper, 'sudoers.d', 'asrlab'), acc.files.sudoers, { mode: 0o440 });

  const ssh = (home: string, uid: number, pub: string | undefined): void => {
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'authorized_keys'), (pub ?? '') + '\n', { mode: 0o600 });
    chownR(home, uid);
  };
  mkdirSync(rootDir, { recursive: true, mode: 0o700 });
  chmodSync(rootDir, 0o700);
  ssh(rootDir, 0, acc.users.root.publicKey);
  for (const u of [acc.users.admin, acc.users.nopw]) {
    const home = join(homeDir, u.name);
    mkdirSync(home, { recursive: true, mode: 0o750 });
    writeFileSync(join(home, '.profile'), '# ASR lab\n', { mode: 0o644 });
    ssh(home, u.uid, u.publicKey);
  }
}

function chownR(dir: string, uid: number): void {
  // Few entries: the home, .profile, .ssh and authorized_keys.
  chownSync(dir, uid, uid);
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) chownR(p, uid);
    else chownSync(p, uid, uid);
  }
}
