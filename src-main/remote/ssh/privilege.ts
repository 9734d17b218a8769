import { fail } from '../../model/errors.ts';
import type { ExecResult } from '../transport.ts';
import { classifySudoFailure, type Elevation } from './remote-command.ts';
import { truncate } from '../text.ts';

/**
 * Elevation above the connection, the way Ansible keeps `become` above its connection plugins:
 * whether a command needs sudo, the answer to sudo's prompt (the password once, never a guess
 * after a rejection), and what a failed sudo means. The exec layer only wraps the command
 * (remote-command.ts) and passes prompts here.
 */
export class SudoPrivilege {
  private readonly host: string;
  private readonly username: string;
  private readonly sudoPassword: string | undefined;
  private isRoot: boolean | null = null;

  constructor(host: string, username: string, sudoPassword: string | undefined) {
    this.host = host;
    this.username = username;
    this.sudoPassword = sudoPassword;
  }

  /** A sudo password is configured (fed to `sudo -S` on stdin). */
  get withPassword(): boolean {
    return this.sudoPassword !== undefined;
  }

  /** How to run a command: as is (not asked, or the login is root: `id -u` once, unelevated), else through sudo. */
  async elevation(elevate: boolean | undefined, whoami: () => Promise<ExecResult>): Promise<Elevation> {
    if (!elevate) return 'none';
    if (this.isRoot === null) {
      if (this.username === 'root') this.isRoot = true;
      else this.isRoot = (await whoami()).stdout.trim() === '0';
    }
    if (this.isRoot) return 'none';
    return this.sudoPassword !== undefined ? 'sudo-password' : 'sudo-nopasswd';
  }

  /** The line to write for sudo's prompt: the password the first time; null (end stdin) when asked again or when none is set. */
  reply(alreadySent: boolean): string | null {
    return !alreadySent && this.sudoPassword !== undefined ? `${this.sudoPassword}\n` : null;
  }

  /** The command never started under sudo: say why, with a remedy. Never retried (sudo failures count toward lockout). */
  failure(prelude: string, prompts: number, rejected: boolean): never {
    const user = this.username;
    const problem = rejected ? 'wrong_password' : classifySudoFailure(prelude, prompts);
    const base = { host: this.host, retryable: false, asrErrorId: 95517, details: { sudo: problem } };
    switch (problem) {
      case 'wrong_password':
        return fail('permission_denied', `${this.host}: sudo rejected the password given for ${user}`, {
          ...base,
          remedy: `Correct the sudo password of ${user} (usually the account's own password). Not retried: failed sudo attempts count toward lockout.`,
        });
      case 'password_required':
        return fail('permission_denied', `${this.host}: sudo needs a password for ${user} and none is configured`, {
          ...base,
          remedy: `Give a sudo password for ${user}, allow NOPASSWD in sudoers, or connect as root.`,
        });
      case 'not_allowed':
        return fail('permission_denied', `${this.host}: ${user} may not run commands as root through sudo`, {
          ...base,
          remedy: `Add ${user} to sudoers (e.g. the sudo or wheel group), or use root. ASR push install needs root on Linux.`,
        });
      case 'needs_tty':
        return fail('permission_denied', `${this.host}: sudo on this host requires a terminal (requiretty)`, {
          ...base,
          remedy: `Add "Defaults:${user} !requiretty" to sudoers, or use root.`,
        });
      case 'no_sudo':
        return fail('permission_denied', `${this.host}: sudo is not installed and ${user} is not root`, {
          ...base,
          remedy: 'Install sudo or connect as root.',
        });
      default:
        return fail('permission_denied', `${this.host}: elevation through sudo failed: ${truncate(prelude.trim(), 300) || 'no output'}`, {
          ...base,
          remedy: `Check sudo for ${user} on the host (sudo -l).`,
        });
    }
  }
}
