/** @vitest-environment node */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => import('./mocks/electron.ts'));

const electron = await import('./mocks/electron.ts');
const { BrowserWindow, app, ipcMain, session, protocol } = electron;
const { IPC_CALL, IPC_CHOOSE, IPC_EVENT, COMMANDS_ARG } = await import('../../../src-main/electron/bridge.ts');
const security = await import('../../../src-main/electron/security.ts');
const { registerIpc } = await import('../../../src-main/electron/ipc.ts');

const home = mkdtempSync(join(tmpdir(), 'asr-electron-'));
const savedHome = process.env.ASR_DEPLOY_HOME;
process.env.ASR_DEPLOY_HOME = home;
const main = await import('../../../src-main/electron/main.ts');

/** The exact options every window must have: change this only together with a security review. */
const EXPECTED_WEB_PREFERENCES = {
  preload: '/app/dist/electron/preload.cjs',
  devTools: false,
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webviewTag: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
};

type Invoke = (event: unknown, name: unknown, input?: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>;
const handler = () => ipcMain.handlers.get(IPC_CALL) as Invoke;

let win: InstanceType<typeof BrowserWindow>;
const appFrame = (url = 'app://asr-deploy/index.html') => ({ parent: null, url });
const eventFrom = (w: { webContents: { id: number } }, frame: unknown) => ({ sender: w.webContents, senderFrame: frame });

beforeAll(async () => {
  main.boot();
  await vi.waitFor(() => expect(BrowserWindow.created.length).toBe(1));
  win = BrowserWindow.created[0]!;
});
afterAll(() => {
  process.env.ASR_DEPLOY_HOME = savedHome;
  app.emit('will-quit');
});

describe('Electron main: window', () => {
  it('creates one window whose webPreferences are exactly the locked-down set (fails if any weakens)', () => {
    expect(security.secureWebPreferences('/app/dist/electron/preload.cjs', { packaged: true })).toStrictEqual(EXPECTED_WEB_PREFERENCES);
    // The mock is a packaged app (isPackaged = true): the window has no DevTools; only an unpackaged (dev) run has them.
    expect((win.options.webPreferences as Record<string, unknown>).devTools).toBe(false);
    expect(security.secureWebPreferences('/x/preload.cjs', { packaged: false }).devTools).toBe(true);
    expect(security.secureWebPreferences('/x/preload.cjs').devTools).toBe(false);
    const prefs = win.options.webPreferences as Record<string, unknown>;
    const { additionalArguments, preload, ...rest } = prefs;
    const { preload: _expectedPreload, ...expectedRest } = EXPECTED_WEB_PREFERENCES;
    expect(rest).toStrictEqual(expectedRest);
    expect(String(preload)).toMatch(/preload\.cjs$/);
    expect(additionalArguments).toEqual([expect.stringMatching(new RegExp(`^${COMMANDS_ARG}.*hosts\\.list`))]);
    // No option anywhere on the window that re-enables Node or turns web security off.
    expect(JSON.stringify(win.options)).not.toMatch(/enableBlinkFeatures|"nodeIntegration":true|"sandbox":false|"contextIsolation":false|"webSecurity":false/);
  });

  it('loads the renderer from app://, not file://, and shows on ready-to-show', () => {
    expect(win.loaded).toEqual(['app://asr-deploy/index.html']);
    expect(win.shown).toBe(0);
    win.emit('ready-to-show');
    expect(win.shown).toBe(1);
  });

  it('turns the sandbox on for every renderer, takes the single-instance lock, registers app:// as privileged', () => {
    expect(electron.log).toContain('app.enableSandbox');
    expect(electron.log).toContain('app.requestSingleInstanceLock');
    expect(protocol.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(protocol.handlers.has('app')).toBe(true);
  });
});

describe('Electron main: session and navigation guards', () => {
  const ses = session.defaultSession;

  it('installs deny-all permission handlers', () => {
    for (const call of ['setPermissionRequestHandler', 'setPermissionCheckHandler', 'setDevicePermissionHandler', 'webRequest.onHeadersReceived'])
      expect(electron.log).toContain(`session.${call}`);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      ses.permissionRequestHandler!({}, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(ses.permissionCheckHandler!({}, permission)).toBe(false);
    }
    expect(ses.devicePermissionHandler!({})).toBe(false);
  });

  it('adds the strict CSP header to every response', () => {
    let out: { responseHeaders?: Record<string, string[]> } = {};
    ses.headersListener!({ responseHeaders: { 'Content-Type': ['text/html'] } }, (r) => (out = r));
    expect(out.responseHeaders?.['Content-Security-Policy']).toEqual([security.CSP]);
    expect(security.CSP).toMatch(/default-src 'self'/);
    expect(security.CSP).toMatch(/script-src 'self'(;|$)/);
    expect(security.CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('denies navigation to any other origin (compared with URL, not startsWith), new windows and webviews', () => {
    const wc = win.webContents;
    const navigate = (url: string) => {
      const event = { url, preventDefault: vi.fn() };
      wc.emit('will-navigate', event, url);
      return event.preventDefault.mock.calls.length > 0;
    };
    expect(navigate('https://evil.example/')).toBe(true);
    expect(navigate('app://asr-deploy.evil.example/index.html')).toBe(true);
    expect(navigate('app://evil/index.html')).toBe(true);
    expect(navigate('file:///etc/passwd')).toBe(true);
    expect(navigate('javascript:alert(1)')).toBe(true);
    expect(navigate('app://asr-deploy/index.html')).toBe(false);
    const redirect = { url: 'http://127.0.0.1:1/', preventDefault: vi.fn() };
    wc.emit('will-redirect', redirect);
    expect(redirect.preventDefault).toHaveBeenCalled();
    expect(wc.windowOpenHandler!({ url: 'app://asr-deploy/index.html' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    const webview = { preventDefault: vi.fn() };
    wc.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });
});

describe('Electron main: IPC', () => {
  it('listens on exactly two channels: calls and the native file dialogs', () => {
    expect([...ipcMain.handlers.keys()]).toEqual([IPC_CALL, IPC_CHOOSE]);
    expect(ipcMain.listeners.size).toBe(0);
  });

  it('a dialog choice reaches the page as a handle and a name, never the path; a foreign frame gets nothing', async () => {
    const choose = ipcMain.handlers.get(IPC_CHOOSE) as (event: unknown, req: unknown) => Promise<{ handle: string; name: string } | null>;
    const path = join(home, 'picked', 'site.VaultCredentials');
    electron.dialog.next = path;
    const r = await choose(eventFrom(win, appFrame()), {
      kind: 'file',
      title: 'Vault credentials file',
      filters: [{ name: 'Vault credentials', extensions: ['VaultCredentials'] }],
    });
    expect(r).toEqual({ handle: expect.stringMatching(/^asr-file:/), name: 'site.VaultCredentials' });
    expect(JSON.stringify(r)).not.toContain(home);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(await choose(eventFrom(win, appFrame('https://evil.example/')), { kind: 'file' })).toBeNull();
    warn.mockRestore();
    expect(await choose(eventFrom(win, appFrame()), { kind: 'file', defaultName: '../../etc/passwd' })).toBeNull();
    expect(await choose(eventFrom(win, appFrame()), { kind: 'exec' })).toBeNull();
    electron.dialog.next = null;
    expect(await choose(eventFrom(win, appFrame()), { kind: 'save' })).toBeNull();
    // The page then passes the handle; a path it makes up is refused.
    const h = handler();
    expect(await h(eventFrom(win, appFrame()), 'hosts.import', { file: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'permission_denied' } });
    expect(await h(eventFrom(win, appFrame()), 'hosts.import', { file: r!.handle })).toMatchObject({
      ok: false,
      error: { code: 'not_found', message: expect.not.stringContaining(home) },
    });
  });

  it('serves a call from the main frame of our window on app://', async () => {
    const r = await handler()(eventFrom(win, appFrame()), 'hosts.list', {});
    expect(r).toEqual({ ok: true, value: [] });
  });

  it('refuses a sub-frame, a foreign origin, a destroyed frame and a webContents we did not create', async () => {
    const refused = { ok: false, error: expect.objectContaining({ code: 'permission_denied' }) };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const h = handler();
    expect(await h(eventFrom(win, { parent: appFrame(), url: 'app://asr-deploy/index.html' }), 'hosts.list', {})).toEqual(refused);
    expect(await h(eventFrom(win, appFrame('https://evil.example/')), 'hosts.list', {})).toEqual(refused);
    expect(await h(eventFrom(win, appFrame('app://asr-deploy.evil.example/')), 'hosts.list', {})).toEqual(refused);
    expect(await h(eventFrom(win, appFrame('file:///work/main/dist/renderer/index.html')), 'hosts.list', {})).toEqual(refused);
    expect(await h(eventFrom(win, null), 'hosts.list', {})).toEqual(refused);
    const stranger = { webContents: new electron.MockWebContents() };
    expect(await h(eventFrom(stranger, appFrame()), 'hosts.list', {})).toEqual(refused);
    // Nothing was written by the refused calls.
    expect(await h(eventFrom(win, appFrame()), 'hosts.add', { address: '10.9.9.9' })).toMatchObject({ ok: true });
    expect(await h(eventFrom(win, { parent: { url: 'x' }, url: 'app://asr-deploy/' }), 'hosts.remove', { hosts: 'all' })).toEqual(refused);
    expect(((await h(eventFrom(win, appFrame()), 'hosts.list', {})).value as unknown[]).length).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/refused/));
    warn.mockRestore();
  });

  it('validates the payload against the contract schema before the service sees it', async () => {
    const h = handler();
    expect(await h(eventFrom(win, appFrame()), 'hosts.add', { address: 5 })).toMatchObject({
      ok: false,
      error: { code: 'validation', message: expect.stringMatching(/address/) },
    });
    expect(await h(eventFrom(win, appFrame()), 'hosts.add', { address: '10.0.0.1', os: 'solaris' })).toMatchObject({
      ok: false,
      error: { code: 'validation' },
    });
    expect(await h(eventFrom(win, appFrame()), 'fs.readFile', { path: '/etc/shadow' })).toMatchObject({
      ok: false,
      error: { code: 'usage', message: 'Unknown command fs.readFile.' },
    });
    expect(await h(eventFrom(win, appFrame()), 'constructor', {})).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(await h(eventFrom(win, appFrame()), { name: 'hosts.list' }, {})).toMatchObject({ ok: false, error: { code: 'usage' } });
    expect(await h(eventFrom(win, appFrame()), '__proto__.x', {})).toMatchObject({ ok: false, error: { code: 'usage' } });
  });

  it('streams service events to our windows on the one event channel', async () => {
    ipcMain.handlers.delete(IPC_CALL);
    ipcMain.handlers.delete(IPC_CHOOSE);
    const service = {
      call: vi.fn(async (_n: string, _i: unknown, opts?: { onEvent?: (e: unknown) => void }) => {
        opts?.onEvent?.({ type: 'progress', done: 1, total: 2 });
        return { ok: true as const, value: null };
      }),
    };
    const sent: unknown[] = [];
    const dispose = registerIpc({
      service: service as never,
      ourWebContents: new Set([win.webContents.id]),
      origins: security.trustedOrigins(),
      broadcast: (e) => sent.push(e),
    });
    await handler()(eventFrom(win, appFrame()), 'hosts.list', {});
    expect(sent).toEqual([{ type: 'progress', done: 1, total: 2 }]);
    dispose();
    expect(ipcMain.handlers.has(IPC_CALL)).toBe(false);
    expect(IPC_EVENT).toBe('asr-deploy:event');
  });
});
