import { exportAnsible } from '../../deploy/export-ansible.ts';
import type { CommandInput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

export const exportHandlers = {
  'export.ansible': (input: CommandInput<'export.ansible'>, { store, signal }: HandlerContext) =>
    exportAnsible(store, input.planId, input.out, { signal, ...(input.scanTimeoutMs ? { scanTimeoutMs: input.scanTimeoutMs } : {}) }),
} satisfies HandlerPart<'export.ansible'>;
