/** Thrown by a command that has printed its result and wants a particular exit code (1, 3 or 4). */
export class ExitRequest extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/**
 * The exit code of a finished job (cli.md): 3 cancelled, 1 a host failed, 4 hosts blocked and none
 * failed, else 0. A job waiting for appliance config files stays `awaiting_config` (resumable by
 * `jobs configure`), but blocked hosts in it still give 4: the run did not do everything.
 */
export function exitForJob(status: string, hosts: readonly { status: string }[] = []): number {
  switch (status) {
    case 'awaiting_config':
      return hosts.some((h) => h.status === 'blocked') ? 4 : 0;
    case 'cancelled':
      return 3;
    case 'failed':
    case 'interrupted':
      return 1;
    case 'completed_with_blocked':
      return 4;
    default:
      return 0;
  }
}
