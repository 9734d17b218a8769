import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentTypeOf, resolveStatic } from '../service/static-files.ts';
import { APP_HOST, APP_SCHEME, CSP } from './security.ts';

/**
 * The renderer is served from app://asr-deploy/ rather than file://: a real origin (so the CSP's
 * 'self' and the IPC sender check mean something), and no read access to the rest of the disk.
 */

/** Must run before app `ready` (Electron registers privileged schemes once, at start). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Answers one app:// request from the renderer folder; anything outside it, or another host, is 404. */
export async function serveAppRequest(rendererDir: string, request: { url: string; method?: string }): Promise<Response> {
  const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' };
  const url = new URL(request.url);
  if (url.host !== APP_HOST || (request.method && request.method !== 'GET')) return new Response('Not found', { status: 404, headers });
  const file = await resolveStatic(rendererDir, url.pathname);
  if (!file) return new Response('Not found', { status: 404, headers });
  const body = await readFile(file);
  return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': contentTypeOf(file) } });
}

/** After ready: serve app:// from the built renderer. */
export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request));
}
