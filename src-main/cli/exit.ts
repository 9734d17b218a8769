/** Thrown by a command that has printed its result and wants a particular exit code (1, 3 or 4). */
export class ExitRequest extends Error {
  readonly exitCode: number;
  constructor(exitCode: number) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
