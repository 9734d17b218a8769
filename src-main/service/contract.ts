import { redactValue } from '../model/redact.ts';
import { z } from 'zod';
import type { ServiceEvent } from '../model/events.ts';
import type { Result } from './contract/envelope.ts';
import { deployCommands } from './contract/deploy.ts';
import { discoveryCommands } from './contract/discovery.ts';
import { trustCommands } from './contract/trust.ts';
import { checkCommands } from './contract/check.ts';
import { reportCommands } from './contract/report.ts';
import { inventoryCommands } from './contract/inventory.ts';
import { proxyCommands } from './contract/proxy.ts';
import { updatesCommands } from './contract/updates.ts';
import { uiCommands } from './contract/ui.ts';
import { exportCommands } from './contract/export.ts';
import { filesCommands } from './contract/files.ts';

/**
 * The one contract between the front ends (CLI, Electron IPC, loopback WebSocket) and the
 * service: every command with its input and output schema, every event. Front ends validate
 * against it at their boundary; the renderer imports only types from here.
 */

/**
 * Each feature declares its commands in src-main/service/contract/<feature>.ts (names are
 * `feature.verb`, so parts cannot collide); this is the one place they are put together.
 */
export const commands = {
  ...inventoryCommands,
  ...deployCommands,
  ...trustCommands,
  ...discoveryCommands,
  ...checkCommands,
  ...reportCommands,
  ...updatesCommands,
  ...uiCommands,
  ...exportCommands,
  ...proxyCommands,
  ...filesCommands,
} as const;

export type Commands = typeof commands;
export type CommandName = keyof Commands;
export type CommandInput<N extends CommandName> = z.input<Commands[N]['input']>;
export type CommandOutput<N extends CommandName> = z.output<Commands[N]['output']>;

export type { Result } from './contract/envelope.ts';
export { EventSchema, type ServiceEvent } from '../model/events.ts';

/**
 * Who calls: the CLI (in process, the user's own paths) or a window (the desktop app over IPC, the
 * browser page over the WebSocket), which may name files only by handle (contract/files.ts).
 */
export type FrontEnd = 'cli' | 'desktop' | 'browser';

export interface CallOptions {
  signal?: AbortSignal;
  onEvent?: (e: ServiceEvent) => void;
  /** Absent: the CLI (and tests calling the service in process). */
  frontEnd?: FrontEnd;
}

/** What every front end holds: one function, typed by the contract. */
export interface ServiceApi {
  call<N extends CommandName>(name: N, input: CommandInput<N>, opts?: CallOptions): Promise<Result<CommandOutput<N>>>;
}

export { SECRET_FIELDS } from '../model/redact.ts';

/** The one redactor (model/redact.ts): secret fields and every secret value this process has seen. */
export function redact<T>(value: T): T {
  return redactValue(value);
}
