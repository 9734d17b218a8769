import { contextBridge, ipcRenderer } from 'electron';
import { COMMANDS_ARG, IPC_CALL, IPC_CHOOSE, IPC_EVENT, type AsrDeployBridge, type ChooseRequest } from './bridge.ts';

/**
 * The only thing the page gets: `window.asrDeploy` with call/onEvent/commands. Never the
 * ipcRenderer itself, never the IPC event object (it carries `sender`).
 */
/** The part of ipcRenderer the bridge uses (and nothing it hands to the page). */
export interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createBridge(ipc: IpcLike, argv: readonly string[]): AsrDeployBridge {
  const arg = argv.find((a) => a.startsWith(COMMANDS_ARG));
  const names = new Set(arg ? arg.slice(COMMANDS_ARG.length).split(',').filter(Boolean) : []);
  return Object.freeze({
    call(name: string, input: unknown) {
      if (typeof name !== 'string' || !names.has(name)) {
        return Promise.resolve({ ok: false as const, error: { code: 'usage' as const, message: `Unknown command ${String(name)}.`, retryable: false } });
      }
      return ipc.invoke(IPC_CALL, name, input) as ReturnType<AsrDeployBridge['call']>;
    },
    onEvent(listener: Parameters<AsrDeployBridge['onEvent']>[0]) {
      const relay = (_e: unknown, event: unknown) => listener(event as never);
      ipc.on(IPC_EVENT, relay);
      return () => {
        ipc.removeListener(IPC_EVENT, relay);
      };
    },
    commands: () => [...names],
    choose(request: ChooseRequest) {
      return ipc.invoke(IPC_CHOOSE, request) as ReturnType<AsrDeployBridge['choose']>;
    },
  });
}

if (process.contextIsolated) contextBridge.exposeInMainWorld('asrDeploy', createBridge(ipcRenderer, process.argv));
