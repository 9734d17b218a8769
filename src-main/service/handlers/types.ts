import type { z } from 'zod';
import type { CommandName, CommandOutput, Commands } from '../contract.ts';
import type { HandlerContext } from '../context.ts';

export type Handler<N extends CommandName> = (input: z.output<Commands[N]['input']>, ctx: HandlerContext) => CommandOutput<N> | Promise<CommandOutput<N>>;
export type Handlers = { [N in CommandName]: Handler<N> };
/** A feature's part of the handler table. */
export type HandlerPart<K extends CommandName> = { [N in K]: Handler<N> };
