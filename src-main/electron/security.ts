import type { Session, WebContents, WebFrameMain, WebPreferences } from 'electron';

/**
 * The Electron security checklist in one place (docs/tutorial/security.md): locked-down
 * webPreferences, a strict CSP, no navigation away from our origin, no new windows, no
 * permissions, and the sender check every IPC handler runs. test/unit/electron checks each.
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'asr-deploy';
/** Chromium's origin for our standard scheme (Node's URL says "null" for non-special schemes, so compare protocol + host). */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
].join('; ');

/** Every renderer gets exactly these; a test fails if one weakens. */
export function secureWebPreferences(preload: string, opts: { packaged?: boolean } = {}): WebPreferences {
  return {
    preload,
    // A packaged build has no DevTools: its console could call the bridge with anything (issue 12).
    devTools: opts.packaged === false,
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
}

/** Origins the app's own pages come from: app://asr-deploy, plus the Vite dev server when not packaged. */
export function trustedOrigins(devServerUrl?: string): readonly string[] {
  const out = [APP_ORIGIN];
  if (devServerUrl) out.push(new URL(devServerUrl).origin);
  return out;
}

/** Origin of a URL, including our non-special scheme (for which URL.origin is "null"). */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol === `${APP_SCHEME}:`) return `${u.protocol}//${u.host}`;
    return u.origin === 'null' ? null : u.origin;
  } catch {
    return null;
  }
}

export function isTrustedUrl(url: string, origins: readonly string[]): boolean {
  const o = originOf(url);
  return o !== null && origins.includes(o);
}

export interface SenderEvent {
  sender: WebContents;
  senderFrame: WebFrameMain | null;
}

/**
 * IPC is taken only from the main frame of a window we created, showing one of our own origins
 * (VS Code's validatedIpcMain + fiddle's BrowserWindow.fromWebContents check).
 */
export function isTrustedSender(event: SenderEvent, ourWebContents: ReadonlySet<number>, origins: readonly string[]): boolean {
  const frame = event.senderFrame;
  if (!frame) return false; // navigated away or destroyed while the message was in flight
  if (frame.parent !== null) return false; // a sub-frame
  if (!ourWebContents.has(event.sender.id)) return false; // a window or webContents we did not create
  return isTrustedUrl(frame.url, origins);
}

/** Deny-all permissions, CSP on every response, on a session. */
export function hardenSession(ses: Session): void {
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [CSP],
        'X-Content-Type-Options': ['nosniff'],
      },
    });
  });
}

/** No navigation away from our origin, no popups, no webviews, on any webContents. */
export function hardenWebContents(contents: WebContents, origins: readonly string[]): void {
  const guard = (event: { preventDefault(): void }, url: string) => {
    if (!isTrustedUrl(url, origins)) event.preventDefault();
  };
  contents.on('will-navigate', (event) => guard(event, event.url));
  contents.on('will-frame-navigate', (event) => guard(event, event.url));
  contents.on('will-redirect', (event) => guard(event, event.url));
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
