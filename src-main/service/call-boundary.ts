import { z } from 'zod';
import type { AsrError } from '../model/errors.ts';
import { commands, type CallOptions, type CommandName, type FrontEnd, type Result, type ServiceApi } from './contract.ts';

/**
 * The check every front end runs where untrusted data comes in (Electron IPC, the loopback
 * WebSocket): a known command name, and input that parses with that command's schema. Anything
 * else is answered with an error envelope and never reaches a handler.
 */

/** A command name as the contract spells them: `feature.verb[.more]`, lower-case. */
export const COMMAND_NAME = /^[a-z][a-z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/;

const usage = (message: string): AsrError => ({ code: 'usage', message, retryable: false });
const validation = (message: string): AsrError => ({ code: 'validation', message, retryable: false });

export type Checked = { ok: true; name: CommandName; input: unknown } | { ok: false; error: AsrError };

/** Validates a call's name and input against the contract (the service parses again; this keeps junk out of it). */
export function checkCall(name: unknown, input: unknown): Checked {
  if (typeof name !== 'string' || !COMMAND_NAME.test(name)) return { ok: false, error: usage('A command name is required.') };
  if (!Object.hasOwn(commands, name)) return { ok: false, error: usage(`Unknown command ${name}.`) };
  const spec = commands[name as CommandName];
  const parsed = (spec.input as z.ZodType).safeParse(input ?? {});
  if (!parsed.success) {
    return { ok: false, error: validation(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')) };
  }
  return { ok: true, name: name as CommandName, input };
}

/** One message from a WebSocket client: `{id, name, input}`. */
export const CallMessageSchema = z.object({
  id: z.union([z.string().max(64), z.number().int()]),
  name: z.string().max(128),
  input: z.unknown().optional(),
});

/**
 * Runs a checked call on the service; a thrown error (a bug) still comes back as data. The front
 * end is required: a window names files only by handle (contract/files.ts), never by path.
 */
export async function dispatch(
  service: ServiceApi,
  name: unknown,
  input: unknown,
  opts: CallOptions & { frontEnd: Exclude<FrontEnd, 'cli'> },
): Promise<Result<unknown>> {
  const checked = checkCall(name, input);
  if (!checked.ok) return checked;
  try {
    return await service.call(checked.name, (checked.input ?? {}) as never, opts);
  } catch (e) {
    return { ok: false, error: { code: 'internal', message: e instanceof Error ? e.message : String(e), retryable: false } };
  }
}
