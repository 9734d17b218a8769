import type { z } from 'zod';
import { commands, type CommandInput, type CommandOutput, type Commands } from '../contract.ts';
import { WizardStateSchema } from '../contract/ui.ts';
import type { HandlerContext } from '../context.ts';
import { importHostText } from './inventory.ts';
import type { HandlerPart } from './types.ts';

const STATE_KEY = 'ui.wizard';

/** Input after the schema ran (defaults filled in). */
type Parsed<N extends keyof Commands> = z.output<Commands[N]['input']>;

export function uiStateGet(_input: CommandInput<'ui.state.get'>, { store }: HandlerContext): CommandOutput<'ui.state.get'> {
  // A state written by another version may not parse: fall back to defaults rather than break the app.
  const parsed = WizardStateSchema.safeParse(store.settings.get<unknown>(STATE_KEY) ?? {});
  return parsed.success ? parsed.data : WizardStateSchema.parse({});
}

export function uiStateSet(input: Parsed<'ui.state.set'>, { store }: HandlerContext): CommandOutput<'ui.state.set'> {
  store.settings.set(STATE_KEY, input);
  return input;
}

export function uiCommandsList(): CommandOutput<'ui.commands'> {
  return Object.keys(commands).sort();
}

/** Same rules and report as `hosts import`, from the text the page read (no file on this machine is involved). */
export function uiHostsImportText(input: Parsed<'ui.hosts.importText'>, ctx: HandlerContext): CommandOutput<'ui.hosts.importText'> {
  return importHostText(input.fileName, input.text, input.skipInvalid, ctx);
}

export const uiHandlers = {
  'ui.state.get': uiStateGet,
  'ui.state.set': uiStateSet,
  'ui.commands': uiCommandsList,
  'ui.hosts.importText': uiHostsImportText,
} satisfies HandlerPart<'ui.state.get' | 'ui.state.set' | 'ui.commands' | 'ui.hosts.importText'>;
