import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServiceApi, ServiceEvent } from '../service/contract.ts';
import { CallMessageSchema, dispatch } from '../service/call-boundary.ts';
import { contentTypeOf, resolveStatic } from '../service/static-files.ts';

/**
 * The wizard in a browser (`asr-deploy serve`): the built renderer plus a WebSocket carrying the
 * same contract calls and events as Electron IPC. Loopback only, behind a one-time token: the
 * first load with the token trades it for an HttpOnly SameSite=Strict cookie and the token is
 * spent, so a URL left in a shell history or a screenshot opens nothing.
 *
 * Cookies are not bound to a port: every server on 127.0.0.1 the browser visits receives ours. So
 * the cookie alone opens nothing that matters: the WebSocket also needs a second secret, which
 * the sign-in redirect hands to the page in the URL fragment (never sent to any server; the page
 * keeps it in sessionStorage, per tab) and the page presents as its WebSocket subprotocol
 * `asr-key.<secret>`. The session expires (cookie Max-Age and, authoritative, here).
 */

export interface ServerOptions {
  service: ServiceApi;
  /** 0 or absent: any free port. */
  port?: number;
  /** The built renderer (dist/renderer). */
  staticDir: string;
  /** How long a signed-in session lives (default 12 h). */
  sessionMs?: number;
  /** For tests: the clock. */
  now?: () => number;
}

export const DEFAULT_SESSION_MS = 12 * 3600_000;
/** The WebSocket subprotocol that carries the page's second secret. */
export const WS_KEY_PROTOCOL = 'asr-key.';

export interface RunningServer {
  /** Open this once: `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  origin: string;
  port: number;
  /** How long a session lives, counted from sign-in (the token's first use). */
  sessionMs: number;
  close(): Promise<void>;
}

export const HOST = '127.0.0.1';
export const WS_PATH = '/ws';
export const COOKIE = 'asr_session';
const MAX_MESSAGE = 40 * 1024 * 1024;

export function contentSecurityPolicy(origin: string): string {
  const ws = origin.replace(/^http/, 'ws');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(origin: string): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(origin),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

const random = () => randomBytes(32).toString('base64url');

function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const HTML = { 'Content-Type': 'text/html; charset=utf-8' };

/**
 * What a browser shows when it is not signed in: a used (or wrong) one-time link, or no link at
 * all. It says how to get a new link (issue 15 item 10). Static text: no script, no inline style (the CSP allows neither).
 */
export function signInPage(why: 'used' | 'none' | 'expired'): string {
  const title = why === 'used' ? 'This sign-in link was already used' : why === 'expired' ? 'The session expired' : 'Not signed in';
  const lead =
    why === 'expired'
      ? 'A signed-in session of <code>asr-deploy serve</code> lasts a limited time (the terminal said how long when it started); this one is over.'
      : why === 'used'
        ? 'Each link that <code>asr-deploy serve</code> prints opens the wizard once, in one browser. This one was used already (or is not the current one), so it opens nothing: a link left in a shell history or a screenshot is of no use to anyone.'
        : 'The wizard opens only through the one-time link that <code>asr-deploy serve</code> prints when it starts.';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>ASR Deploy: ${title}</title></head>
<body>
<h1>${title}</h1>
<p>${lead}</p>
<h2>To get a new link</h2>
<ol>
<li>If the wizard is already open in another tab of this browser, use that one: it stays signed in until the session ends (a new tab needs a new link).</li>
<li>Otherwise, in the terminal where <code>asr-deploy serve</code> runs, stop it with <kbd>Ctrl</kbd>+<kbd>C</kbd>.</li>
<li>Start it again: <code>asr-deploy serve</code> (or <code>npm run asr-deploy -- serve</code> from the source folder). It prints a new link: open it once, here.</li>
</ol>
<p>Nothing you did in the wizard is lost: the inventory, plans and jobs are kept by ASR Deploy, and the wizard comes back to the step you were on.</p>
</body></html>
`;
}

/** Starts the loopback server; resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const root = resolve(opts.staticDir);
  let token: string | null = random();
  const session = random();
  const wsKey = random();
  const now = opts.now ?? Date.now;
  const sessionMs = opts.sessionMs ?? DEFAULT_SESSION_MS;
  let expiresAt = Number.POSITIVE_INFINITY;
  let origin = '';
  let hostHeader = '';

  const authed = (req: IncomingMessage) => now() < expiresAt && sameSecret(readCookie(req.headers.cookie, COOKIE), session);
  const keyed = (req: IncomingMessage) =>
    String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .some((p) => p.startsWith(WS_KEY_PROTOCOL) && sameSecret(p.slice(WS_KEY_PROTOCOL.length), wsKey));
  // A DNS-rebinding page reaches us under its own host name: only our literal host:port is served.
  const rightHost = (req: IncomingMessage) => req.headers.host === hostHeader;

  const send = (res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...securityHeaders(origin), 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!rightHost(req)) return send(res, 421, 'Misdirected request.\n');
    const url = new URL(req.url ?? '/', origin);
    const offered = url.searchParams.get('token');
    if (offered !== null) {
      // The one-time token: trade it for the session cookie and strip it from the address bar.
      if (token !== null && sameSecret(offered, token)) {
        token = null;
        expiresAt = now() + sessionMs;
        url.searchParams.delete('token');
        return send(res, 303, '', {
          // The fragment reaches the page, never a server (not even this one).
          Location: `${url.pathname}${url.search}#k=${wsKey}`,
          'Set-Cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(sessionMs / 1000)}`,
        });
      }
      if (!authed(req)) return send(res, 401, signInPage('used'), HTML);
    }
    if (!authed(req)) return send(res, 401, signInPage(now() >= expiresAt ? 'expired' : 'none'), HTML);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed.\n', { Allow: 'GET, HEAD' });
    const file = await resolveStatic(root, url.pathname);
    if (!file) return send(res, 404, 'Not found.\n');
    const body = await readFile(file);
    res.writeHead(200, { ...securityHeaders(origin), 'Content-Type': contentTypeOf(file), 'Content-Length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'Internal error.\n');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  const clients = new Set<WebSocket>();
  const broadcast = (event: ServiceEvent) => {
    const data = JSON.stringify({ event });
    for (const c of clients) if (c.readyState === c.OPEN) c.send(data);
  };

  const refuse = (socket: Duplex, status: number, reason: string) => {
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== WS_PATH || !rightHost(req)) return refuse(socket, 404, 'Not Found');
    // Browsers always send Origin on a WebSocket: another site's page fails here even with our cookie.
    if (req.headers.origin !== origin) return refuse(socket, 403, 'Forbidden');
    if (!authed(req) || !keyed(req)) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        void onMessage(ws, data.toString());
      });
    });
  });

  async function onMessage(ws: WebSocket, text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      ws.send(
        JSON.stringify({
          id: null,
          result: { ok: false, error: { code: 'validation', message: 'A message is one JSON object {id, name, input}.', retryable: false } },
        }),
      );
      return;
    }
    const msg = CallMessageSchema.safeParse(raw);
    if (!msg.success) {
      const id = raw && typeof raw === 'object' && 'id' in raw ? (raw as { id: unknown }).id : null;
      ws.send(JSON.stringify({ id, result: { ok: false, error: { code: 'validation', message: 'A message is {id, name, input}.', retryable: false } } }));
      return;
    }
    // Events go to every signed-in page, so a reloaded page still sees a running job.
    const result = await dispatch(opts.service, msg.data.name, msg.data.input, { onEvent: broadcast, frontEnd: 'browser' });
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id: msg.data.id, result }));
  }

  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen({ host: HOST, port: opts.port ?? 0, exclusive: true }, () => {
      server.off('error', ko);
      ok();
    });
  });
  const port = (server.address() as AddressInfo).port;
  hostHeader = `${HOST}:${port}`;
  origin = `http://${hostHeader}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    sessionMs,
    async close() {
      for (const c of clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
