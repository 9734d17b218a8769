import { join } from 'node:path';
import { app, BrowserWindow, dialog, session, type IpcMainInvokeEvent } from 'electron';
import { commands, type ServiceApi, type ServiceEvent } from '../service/contract.ts';
import { createService, type LocalService } from '../service/service.ts';
import { resolveHome } from '../store/home.ts';
import { DbSecretStore } from '../store/secrets/vault.ts';
import { openStore, type Store } from '../store/store.ts';
import { handleAppProtocol, registerAppScheme } from './app-protocol.ts';
import { COMMANDS_ARG, IPC_EVENT, type ChooseRequest } from './bridge.ts';
import { registerIpc } from './ipc.ts';
import { SafeStorageCipher } from './safe-storage-secrets.ts';
import { APP_URL, hardenSession, hardenWebContents, secureWebPreferences, trustedOrigins } from './security.ts';

/**
 * The desktop shell: one window onto the same service the CLI uses (in process, same data
 * directory), served from app://, talking over one validated IPC handler.
 */

const here = import.meta.dirname;
/** The Vite dev server, only for an unpackaged app (never trust an environment variable in a shipped build). */
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const origins = trustedOrigins(devServerUrl);
const ourWebContents = new Set<number>();
let store: Store | undefined;
let service: LocalService | undefined;

function broadcast(event: ServiceEvent): void {
  for (const win of BrowserWindow.getAllWindows()) {
    if (!win.isDestroyed() && ourWebContents.has(win.webContents.id)) win.webContents.send(IPC_EVENT, event);
  }
}

/** The one window; its webPreferences are those of secureWebPreferences, unchanged. */
export function createMainWindow(preload = join(here, 'preload.cjs')): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 960,
    minHeight: 640,
    show: false,
    title: 'ASR Deploy',
    backgroundColor: '#f6f7f9',
    webPreferences: { ...secureWebPreferences(preload, { packaged: app.isPackaged }), additionalArguments: [COMMANDS_ARG + Object.keys(commands).join(',')] },
  });
  const id = win.webContents.id;
  ourWebContents.add(id);
  win.on('closed', () => ourWebContents.delete(id));
  win.once('ready-to-show', () => win.show());
  void win.loadURL(devServerUrl ?? APP_URL);
  return win;
}

/** The native dialog, modal to the asking window: open a file, open a folder, or save. */
async function showDialog(event: IpcMainInvokeEvent, req: ChooseRequest): Promise<string | null> {
  const win = BrowserWindow.fromWebContents(event.sender);
  if (!win) return null;
  if (req.kind === 'save') {
    const r = await dialog.showSaveDialog(win, {
      title: req.title,
      defaultPath: req.defaultName,
      filters: req.filters,
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    });
    return r.canceled || !r.filePath ? null : r.filePath;
  }
  const r = await dialog.showOpenDialog(win, {
    title: req.title,
    filters: req.kind === 'file' ? req.filters : undefined,
    properties: req.kind === 'dir' ? ['openDirectory'] : ['openFile'],
  });
  return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
}

/** Wires everything in order; IPC is registered before the window loads (fiddle's ready barrier). */
export async function start(): Promise<ServiceApi> {
  await app.whenReady();
  hardenSession(session.defaultSession);
  // The same data directory as the CLI, so the inventory and jobs are shared; secrets use safeStorage.
  store = openStore(resolveHome(undefined, process.env), (db) => new DbSecretStore(db, new SafeStorageCipher()));
  service = createService(store);
  handleAppProtocol(join(here, '../renderer'));
  registerIpc({ service, ourWebContents, origins, broadcast, onRefused: (why) => console.warn(why), files: service.files, showDialog });
  createMainWindow();
  return service;
}

function boot(): void {
  registerAppScheme();
  app.enableSandbox();
  app.on('web-contents-created', (_e, contents) => hardenWebContents(contents, origins));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0];
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    service?.dispose();
    store?.close();
  });
  start().catch((e: unknown) => {
    console.error(e);
    app.exit(1);
  });
}

// Tests import this module with a mocked electron and call the pieces themselves.
if (!process.env.VITEST) boot();
export { boot };
