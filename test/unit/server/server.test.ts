import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../../src-main/server/server.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';

const staticDir = mkdtempSync(join(tmpdir(), 'asr-static-'));
mkdirSync(join(staticDir, 'assets'));
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>ASR Deploy</title>');
writeFileSync(join(staticDir, 'assets', 'app.js'), 'export {}');
writeFileSync(join(staticDir, '.env'), 'SECRET=1');
writeFileSync(join(staticDir, 'assets', '.hidden.js'), 'SECRET=2');

const running: RunningServer[] = [];
async function serve(extra: { now?: () => number; sessionMs?: number } = {}): Promise<RunningServer> {
  const store = openStore(mkdtempSync(join(tmpdir(), 'asr-home-')), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));
  const s = await startServer({ service: createService(store), staticDir, ...extra });
  running.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function get(url: string, headers: Record<string, string> = {}, host?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: host ? { ...headers, host } : headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function signIn(s: RunningServer): Promise<string> {
  const r = await get(s.url);
  expect(r.status).toBe(303);
  const setCookie = String(r.headers['set-cookie']);
  expect(setCookie).toMatch(/HttpOnly/);
  expect(setCookie).toMatch(/SameSite=Strict/);
  expect(setCookie).toMatch(/Max-Age=\d+/);
  const m = /^\/#k=([A-Za-z0-9_-]{43})$/.exec(String(r.headers.location));
  expect(m).not.toBeNull();
  keys.set(s, m![1]!);
  return setCookie.split(';')[0]!;
}
const keys = new Map<RunningServer, string>();

/** A WebSocket as the page opens it: the cookie, our Origin and the second secret from the sign-in fragment (unless `key` says otherwise). */
function connect(s: RunningServer, headers: Record<string, string>, key: string | null = keys.get(s) ?? null): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${s.origin.replace('http', 'ws')}/ws`, key ? [`asr-key.${key}`] : [], { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}
function call(ws: WebSocket, msg: unknown): Promise<{ id: unknown; result: { ok: boolean; value?: unknown; error?: { code: string; message: string } } }> {
  return new Promise((resolve) => {
    const on = (data: Buffer) => {
      const m = JSON.parse(data.toString());
      if ('result' in m) {
        ws.off('message', on);
        resolve(m);
      }
    };
    ws.on('message', on);
    ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  });
}

describe('loopback web server', () => {
  it('binds to 127.0.0.1 only and prints a tokenised URL', async () => {
    const s = await serve();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.family === 'IPv4' && i.address !== '127.0.0.1');
    for (const i of others) {
      await expect(get(`http://${i!.address}:${s.port}/`)).rejects.toThrow(/ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/);
    }
    // Another loopback address is another socket: not ours either.
    await expect(get(`http://127.0.0.2:${s.port}/`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('spends the token on first use: the cookie works, the token does not work twice', async () => {
    const s = await serve();
    const cookie = await signIn(s);
    const page = await get(`${s.origin}/`, { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('ASR Deploy');
    const again = await get(s.url);
    expect(again.status).toBe(401);
    expect(again.headers['set-cookie']).toBeUndefined();
    expect(again.body).toMatch(/already used/);
  });

  it('refuses every request without the cookie (page, assets, wrong token)', async () => {
    const s = await serve();
    expect((await get(`${s.origin}/`)).status).toBe(401);
    expect((await get(`${s.origin}/assets/app.js`)).status).toBe(401);
    expect((await get(`${s.origin}/?token=wrong`)).status).toBe(401);
    expect((await get(`${s.origin}/`, { cookie: 'asr_session=forged' })).status).toBe(401);
    // The real token still works after the wrong attempts.
    await signIn(s);
  });

  it('sends the security headers and refuses a foreign Host (DNS rebinding)', async () => {
    const s = await serve();
    const cookie = await signIn(s);
    const r = await get(`${s.origin}/assets/app.js`, { cookie });
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['content-security-policy']).not.toMatch(/unsafe/);
    expect((await get(`${s.origin}/`, { cookie }, `evil.example:${s.port}`)).status).toBe(421);
    expect((await get(`${s.origin}/assets/..%2f..%2f..%2fetc%2fpasswd.txt`, { cookie })).status).toBe(404);
    expect((await get(`${s.origin}/.env`, { cookie })).body).not.toContain('SECRET');
    expect((await get(`${s.origin}/assets/.hidden.js`, { cookie })).status).toBe(404);
  });

  it('WebSocket: needs the cookie and our own Origin', async () => {
    const s = await serve();
    const cookie = await signIn(s);
    await expect(connect(s, { origin: s.origin })).rejects.toThrow(/401/);
    await expect(connect(s, { origin: 'http://evil.example', cookie })).rejects.toThrow(/403/);
    await expect(connect(s, { origin: `http://localhost:${s.port}`, cookie })).rejects.toThrow(/403/);
    await expect(connect(s, { cookie })).rejects.toThrow(/403/);
    const ws = await connect(s, { origin: s.origin, cookie });
    const r = await call(ws, { id: 1, name: 'hosts.list', input: {} });
    expect(r).toEqual({ id: 1, result: { ok: true, value: [] } });
    ws.close();
  });

  it('WebSocket: the cookie alone (another 127.0.0.1 server the browser visits receives it) is not enough: the second secret from the sign-in fragment is needed', async () => {
    const s = await serve();
    const cookie = await signIn(s);
    await expect(connect(s, { origin: s.origin, cookie }, null)).rejects.toThrow(/401/);
    await expect(connect(s, { origin: s.origin, cookie }, 'A'.repeat(43))).rejects.toThrow(/401/);
    // With the cookie a thief can load the page, but the page holds no secret: the fragment never reached a server.
    const page = await get(`${s.origin}/`, { cookie });
    expect(page.body).not.toContain(keys.get(s)!);
    const ws = await connect(s, { origin: s.origin, cookie });
    expect(ws.protocol).toBe(`asr-key.${keys.get(s)}`);
    ws.close();
  });

  it('the session expires (cookie Max-Age and on the server); serve says how long it lives', async () => {
    let t = 1_000_000;
    const s = await serve({ now: () => t, sessionMs: 2 * 3600_000 });
    expect(s.sessionMs).toBe(7_200_000);
    const cookie = await signIn(s);
    const r = await get(`${s.origin}/`, { cookie });
    expect(r.status).toBe(200);
    t += 2 * 3600_000 - 1;
    expect((await get(`${s.origin}/`, { cookie })).status).toBe(200);
    t += 1;
    const late = await get(`${s.origin}/`, { cookie });
    expect(late.status).toBe(401);
    expect(late.body).toMatch(/session expired/);
    await expect(connect(s, { origin: s.origin, cookie })).rejects.toThrow(/401/);
  });

  it('WebSocket: validates each message against the contract', async () => {
    const s = await serve();
    const cookie = await signIn(s);
    const ws = await connect(s, { origin: s.origin, cookie });
    expect((await call(ws, { id: 2, name: 'hosts.add', input: { address: 7 } })).result).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect((await call(ws, { id: 3, name: 'hosts.add', input: { address: '10.0.0.1', port: 70000 } })).result).toMatchObject({
      ok: false,
      error: { code: 'validation', message: expect.stringMatching(/port/) },
    });
    expect((await call(ws, { id: 4, name: 'no.such', input: {} })).result).toMatchObject({
      ok: false,
      error: { code: 'usage', message: 'Unknown command no.such.' },
    });
    expect((await call(ws, 'not json')).result).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(await call(ws, { id: 5 })).toMatchObject({ id: 5, result: { ok: false, error: { code: 'validation' } } });
    const ok = await call(ws, { id: 'a', name: 'hosts.add', input: { address: '10.0.0.1', name: 'web1' } });
    expect(ok.result).toMatchObject({ ok: true, value: { name: 'web1' } });
    ws.close();
  });
});
