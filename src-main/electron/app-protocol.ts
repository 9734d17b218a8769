import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { protocol } from 'electron';
import { resolveStatic } from '../server/server.ts';
import { APP_HOST, APP_SCHEME, CSP } from './security.ts';

/**
 * The renderer is served from app://asr-deploy/ rather than file://: a real origin (so the CSP's
 * 'self' and the IPC sender check mean something), and no read access to the rest of the disk.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

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
  return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream' } });
}

/** After ready: serve app:// from the built renderer. */
export function handleAppProtocol(rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request));
}
