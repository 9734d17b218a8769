/**
 * A hand-written stand-in for the `electron` module (the binary cannot run here): just enough
 * of app, BrowserWindow, ipcMain, session, protocol, safeStorage, contextBridge and ipcRenderer
 * for the main-process and preload code, recording what was called.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';

let nextId = 1;

/** What was called, in order (vitest clears vi.fn() call history between tests; this log is not cleared). */
export const log: string[] = [];
const rec = <A extends unknown[], R>(name: string, fn: (...a: A) => R) =>
  vi.fn((...a: A) => {
    log.push(name);
    return fn(...a);
  });

export class MockWebContents extends EventEmitter {
  readonly id = nextId++;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  sent: { channel: string; args: unknown[] }[] = [];
  mainFrame = { parent: null, url: '' };
  setWindowOpenHandler(h: (details: { url: string }) => { action: string }) {
    this.windowOpenHandler = h;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push({ channel, args });
  }
}

export class BrowserWindow extends EventEmitter {
  static created: BrowserWindow[] = [];
  static getAllWindows() {
    return BrowserWindow.created.filter((w) => !w.destroyed);
  }
  static fromWebContents(wc: MockWebContents) {
    return BrowserWindow.created.find((w) => w.webContents === wc) ?? null;
  }
  readonly options: Record<string, unknown>;
  readonly webContents = new MockWebContents();
  destroyed = false;
  loaded: string[] = [];
  shown = 0;
  loadURL = async (url: string) => {
    this.loaded.push(url);
  };
  show = () => {
    this.shown++;
  };
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    BrowserWindow.created.push(this);
    // Real Electron emits web-contents-created for every new webContents.
    app.emit('web-contents-created', {}, this.webContents);
  }
  isDestroyed() {
    return this.destroyed;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {}
}

class MockApp extends EventEmitter {
  isPackaged = true;
  whenReady = vi.fn(async () => {});
  enableSandbox = rec('app.enableSandbox', () => {});
  requestSingleInstanceLock = rec('app.requestSingleInstanceLock', () => true);
  quit = vi.fn();
  exit = vi.fn();
  getPath = vi.fn(() => '/tmp');
}
export const app = new MockApp();

type Handler = (event: unknown, ...args: unknown[]) => unknown;
export const ipcMain = {
  handlers: new Map<string, Handler>(),
  listeners: new Map<string, Handler>(),
  handle: vi.fn((channel: string, fn: Handler) => {
    if (ipcMain.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    ipcMain.handlers.set(channel, fn);
  }),
  removeHandler: vi.fn((channel: string) => ipcMain.handlers.delete(channel)),
  on: vi.fn((channel: string, fn: Handler) => ipcMain.listeners.set(channel, fn)),
};

type PermissionRequest = (wc: unknown, permission: string, cb: (ok: boolean) => void, details?: unknown) => void;
type PermissionCheck = (wc: unknown, permission: string) => boolean;
type DeviceCheck = (details: unknown) => boolean;
type HeadersDetails = { responseHeaders?: Record<string, string[]> };
type HeadersListener = (details: HeadersDetails, cb: (r: HeadersDetails) => void) => void;

interface MockSession {
  permissionRequestHandler?: PermissionRequest;
  permissionCheckHandler?: PermissionCheck;
  devicePermissionHandler?: DeviceCheck;
  headersListener?: HeadersListener;
  setPermissionRequestHandler(h: PermissionRequest): void;
  setPermissionCheckHandler(h: PermissionCheck): void;
  setDevicePermissionHandler(h: DeviceCheck): void;
  webRequest: { onHeadersReceived(h: HeadersListener): void };
}

function makeSession(): MockSession {
  const s: MockSession = {
    setPermissionRequestHandler: rec('session.setPermissionRequestHandler', (h: PermissionRequest) => void (s.permissionRequestHandler = h)),
    setPermissionCheckHandler: rec('session.setPermissionCheckHandler', (h: PermissionCheck) => void (s.permissionCheckHandler = h)),
    setDevicePermissionHandler: rec('session.setDevicePermissionHandler', (h: DeviceCheck) => void (s.devicePermissionHandler = h)),
    webRequest: { onHeadersReceived: rec('session.webRequest.onHeadersReceived', (h: HeadersListener) => void (s.headersListener = h)) },
  };
  return s;
}
export const session = { defaultSession: makeSession() };

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (req: { url: string; method?: string }) => Promise<Response>>(),
  registerSchemesAsPrivileged: vi.fn((schemes: unknown[]) => protocol.privileged.push(...schemes)),
  handle: vi.fn((scheme: string, fn: (req: { url: string; method?: string }) => Promise<Response>) => protocol.handlers.set(scheme, fn)),
};

export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret' as 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'unknown',
  isEncryptionAvailable: vi.fn(() => safeStorage.available),
  getSelectedStorageBackend: vi.fn(() => safeStorage.backend),
  // Not encryption, but never the plaintext bytes: enough to see the store keeps blobs only.
  encryptString: vi.fn((s: string) => Buffer.concat([Buffer.from('SS1'), Buffer.from(s, 'utf8').map((b) => b ^ 0x5a)])),
  decryptString: vi.fn((b: Buffer) => {
    if (b.subarray(0, 3).toString() !== 'SS1') throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(b.subarray(3).map((x) => x ^ 0x5a)).toString('utf8');
  }),
};

/** The native dialogs: tests set what the user "chooses". */
export const dialog = {
  next: null as string | null,
  showOpenDialog: vi.fn(async () => (dialog.next ? { canceled: false, filePaths: [dialog.next] } : { canceled: true, filePaths: [] })),
  showSaveDialog: vi.fn(async () => (dialog.next ? { canceled: false, filePath: dialog.next } : { canceled: true, filePath: '' })),
};

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld: vi.fn((key: string, api: unknown) => contextBridge.exposed.set(key, api)),
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoke: vi.fn(async (_channel: string, ..._args: unknown[]) => ({ ok: true, value: 'invoked' })),
});

export default { app, BrowserWindow, ipcMain, session, protocol, safeStorage, contextBridge, ipcRenderer };
