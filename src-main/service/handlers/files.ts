import type { CommandInput, CommandOutput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

/** Uploads from the window (contract/files.ts): chunks into this session's private folder. */
export const filesHandlers = {
  'ui.files.begin': (input: CommandInput<'ui.files.begin'>, { files }: HandlerContext): CommandOutput<'ui.files.begin'> =>
    files.begin({ name: input.name, size: input.size, ...(input.folder ? { folder: input.folder } : {}) }),
  'ui.files.chunk': (input: CommandInput<'ui.files.chunk'>, { files }: HandlerContext): CommandOutput<'ui.files.chunk'> =>
    files.chunk(input.handle, input.offset, Buffer.from(input.data, 'base64')),
  'ui.files.finish': (input: CommandInput<'ui.files.finish'>, { files }: HandlerContext): CommandOutput<'ui.files.finish'> => {
    const g = files.finish(input.handle, input.sha256);
    return { handle: g.handle, folder: g.folder, name: g.name, size: g.size ?? 0, sha256: g.sha256 ?? '' };
  },
} satisfies HandlerPart<'ui.files.begin' | 'ui.files.chunk' | 'ui.files.finish'>;
