import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { Result, ServiceApi, ServiceEvent } from '../service/contract.ts';
import { dispatch } from '../service/call-boundary.ts';
import { isTrustedSender } from './security.ts';

import { IPC_CALL } from './bridge.ts';

/** Calls come in on IPC_CALL and events go out on IPC_EVENT (bridge.ts); nothing else is listened on. */

export interface IpcOptions {
  service: ServiceApi;
  /** ids of the webContents of windows we created */
  ourWebContents: ReadonlySet<number>;
  origins: readonly string[];
  /** Sends an event to every window of ours. */
  broadcast: (event: ServiceEvent) => void;
  onRefused?: (why: string) => void;
}

const refused: Result<never> = { ok: false, error: { code: 'permission_denied', message: 'Refused: this frame may not call the service.', retryable: false } };

/** Registers the one call handler: sender check, then contract validation, then the service. */
export function registerIpc(opts: IpcOptions): () => void {
  ipcMain.handle(IPC_CALL, async (event: IpcMainInvokeEvent, name: unknown, input: unknown) => {
    if (!isTrustedSender(event, opts.ourWebContents, opts.origins)) {
      opts.onRefused?.(`IPC from ${event.senderFrame?.url ?? 'a destroyed frame'} refused`);
      return refused;
    }
    return dispatch(opts.service, name, input, { onEvent: opts.broadcast });
  });
  return () => ipcMain.removeHandler(IPC_CALL);
}
