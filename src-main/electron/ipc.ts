import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import type { Result, ServiceApi, ServiceEvent } from '../service/contract.ts';
import type { FileGrants } from '../service/files.ts';
import { dispatch } from '../service/call-boundary.ts';
import { isTrustedSender } from './security.ts';

import { IPC_CALL, IPC_CHOOSE, type ChooseRequest, type ChooseResult } from './bridge.ts';

/** Calls come in on IPC_CALL, dialog requests on IPC_CHOOSE, events go out on IPC_EVENT (bridge.ts); nothing else is listened on. */

export interface IpcOptions {
  service: ServiceApi;
  /** ids of the webContents of windows we created */
  ourWebContents: ReadonlySet<number>;
  origins: readonly string[];
  /** Sends an event to every window of ours. */
  broadcast: (event: ServiceEvent) => void;
  onRefused?: (why: string) => void;
  /** The service's file grants and the native dialog (main.ts: Electron's dialog); without them IPC_CHOOSE is not registered. */
  files?: FileGrants;
  showDialog?: (event: IpcMainInvokeEvent, request: ChooseRequest) => Promise<string | null>;
}

const refused: Result<never> = { ok: false, error: { code: 'permission_denied', message: 'Refused: this frame may not call the service.', retryable: false } };

export const ChooseRequestSchema = z.strictObject({
  kind: z.enum(['file', 'dir', 'save']),
  title: z.string().max(200).optional(),
  defaultName: z
    .string()
    .max(255)
    .regex(/^[^/\\\0]+$/, 'a file name, not a path')
    .optional(),
  filters: z
    .array(z.strictObject({ name: z.string().max(100), extensions: z.array(z.string().regex(/^[A-Za-z0-9*]{1,32}$/)).max(20) }))
    .max(10)
    .optional(),
});

/** Registers the handlers: sender check, then contract validation, then the service. */
export function registerIpc(opts: IpcOptions): () => void {
  ipcMain.handle(IPC_CALL, async (event: IpcMainInvokeEvent, name: unknown, input: unknown) => {
    if (!isTrustedSender(event, opts.ourWebContents, opts.origins)) {
      opts.onRefused?.(`IPC from ${event.senderFrame?.url ?? 'a destroyed frame'} refused`);
      return refused;
    }
    return dispatch(opts.service, name, input, { onEvent: opts.broadcast, frontEnd: 'desktop' });
  });
  const { files, showDialog } = opts;
  if (files && showDialog) {
    // The user picks the file; the page learns only a handle and the file's name.
    ipcMain.handle(IPC_CHOOSE, async (event: IpcMainInvokeEvent, request: unknown): Promise<ChooseResult | null> => {
      if (!isTrustedSender(event, opts.ourWebContents, opts.origins)) {
        opts.onRefused?.(`IPC from ${event.senderFrame?.url ?? 'a destroyed frame'} refused`);
        return null;
      }
      const req = ChooseRequestSchema.safeParse(request);
      if (!req.success) return null;
      const path = await showDialog(event, req.data);
      if (!path) return null;
      const g = files.grantPath(path, req.data.kind);
      return { handle: g.handle, name: g.name };
    });
  }
  return () => {
    ipcMain.removeHandler(IPC_CALL);
    ipcMain.removeHandler(IPC_CHOOSE);
  };
}
