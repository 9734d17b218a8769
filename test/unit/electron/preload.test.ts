/** @vitest-environment node */
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./mocks/electron.ts'));
const electron = await import('./mocks/electron.ts');
const { createBridge } = await import('../../../src-main/electron/preload.ts');
const { COMMANDS_ARG, IPC_CALL, IPC_EVENT } = await import('../../../src-main/electron/bridge.ts');

const argv = ['electron', `${COMMANDS_ARG}hosts.list,ui.state.get`];

describe('preload bridge', () => {
  it('exposes one narrow, frozen API as window.asrDeploy — never ipcRenderer', async () => {
    const p = process as { contextIsolated?: boolean };
    p.contextIsolated = true;
    process.argv.push(`${COMMANDS_ARG}hosts.list`);
    vi.resetModules();
    await import('../../../src-main/electron/preload.ts');
    const api = electron.contextBridge.exposed.get('asrDeploy') as Record<string, unknown>;
    expect([...electron.contextBridge.exposed.keys()]).toEqual(['asrDeploy']);
    expect(Object.keys(api).sort()).toEqual(['call', 'choose', 'commands', 'onEvent']);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
    expect(api).not.toHaveProperty('invoke');
    process.argv.pop();
    delete p.contextIsolated;
  });

  it('forwards contract command names only, on the one call channel', async () => {
    const ipc = { invoke: vi.fn(async () => ({ ok: true, value: [] })), on: vi.fn(), removeListener: vi.fn() };
    const bridge = createBridge(ipc, argv);
    expect(bridge.commands()).toEqual(['hosts.list', 'ui.state.get']);
    expect(await bridge.call('hosts.list', {})).toEqual({ ok: true, value: [] });
    expect(ipc.invoke).toHaveBeenCalledWith(IPC_CALL, 'hosts.list', {});
    for (const name of ['fs.readFile', 'constructor', '__proto__', 123 as unknown as string]) {
      expect(await bridge.call(name, {})).toMatchObject({ ok: false, error: { code: 'usage', message: expect.stringMatching(/^Unknown command/) } });
    }
    expect(ipc.invoke).toHaveBeenCalledTimes(1);
  });

  it('relays events without the IPC event object, and onEvent returns an unsubscribe', () => {
    const ipc = Object.assign(new EventEmitter(), { invoke: vi.fn() });
    const bridge = createBridge(ipc, argv);
    const seen: unknown[][] = [];
    const off = bridge.onEvent((...args: unknown[]) => seen.push(args));
    ipc.emit(IPC_EVENT, { sender: 'secret-webcontents' }, { type: 'log', level: 'info', message: 'hi' });
    expect(seen).toEqual([[{ type: 'log', level: 'info', message: 'hi' }]]);
    off();
    ipc.emit(IPC_EVENT, {}, { type: 'log', level: 'info', message: 'again' });
    expect(seen).toHaveLength(1);
    expect(ipc.listenerCount(IPC_EVENT)).toBe(0);
  });
});
