// A vim25 endpoint for tests: serves RetrievePropertiesEx in pages of `maxObjects` with tokens and
// answers ContinueRetrievePropertiesEx, in front of either recorded responses or a real simulator.
// govmomi 0.24.2's simulator ignores maxObjects and lacks ContinueRetrievePropertiesEx, so this is
// how the client's paging meets real simulator data. Test code: listens on 127.0.0.1 only.
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type net from 'node:net';

export type Upstream = (
  method: string,
  body: string,
  headers: Record<string, string>,
) => Promise<{ status: number; body: string; headers?: Record<string, string> }>;

export interface Pager {
  url: string;
  port: number;
  /** Methods in call order. */
  calls: string[];
  /** Pages served per RetrievePropertiesEx / Continue (number of objects in each). */
  pages: number[];
  close(): Promise<void>;
}

const SOAP_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>';
const SOAP_TAIL = '</soapenv:Body></soapenv:Envelope>';

export function methodOf(body: string): string {
  return /<soapenv:Body>\s*<(\w+)/.exec(body)?.[1] ?? /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(body)?.[1] ?? '';
}

/** The `<objects>…</objects>` elements of a RetrievePropertiesEx response, in order. */
export function splitObjects(xml: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const start = xml.indexOf('<objects>', at);
    if (start < 0) return out;
    const end = xml.indexOf('</objects>', start);
    out.push(xml.slice(start, end + '</objects>'.length));
    at = end;
  }
}

function page(method: 'RetrievePropertiesEx' | 'ContinueRetrievePropertiesEx', objects: string[], token: string | null): string {
  const inner = objects.join('') + (token ? `<token>${token}</token>` : '');
  return `${SOAP_HEAD}<${method}Response xmlns="urn:vim25">${objects.length || token ? `<returnval>${inner}</returnval>` : ''}</${method}Response>${SOAP_TAIL}`;
}

export function startPager(opts: { key: string; cert: string; upstream: Upstream }): Promise<Pager> {
  const pending = new Map<string, { method: string; rest: string[]; size: number }>();
  const calls: string[] = [];
  const pages: number[] = [];
  const sockets = new Set<{ destroy(): void }>();
  const server = https.createServer({ key: opts.key, cert: opts.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const method = methodOf(body);
        calls.push(method);
        const send = (status: number, xml: string, headers: Record<string, string> = {}) => {
          res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', ...headers });
          res.end(xml);
        };
        if (method === 'ContinueRetrievePropertiesEx') {
          const token = /<token>([^<]*)<\/token>/.exec(body)?.[1] ?? '';
          const state = pending.get(token);
          if (!state)
            return send(
              500,
              `${SOAP_HEAD}<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>unknown token</faultstring><detail><InvalidArgumentFault xmlns="urn:vim25" xsi:type="InvalidArgument"><invalidProperty>token</invalidProperty></InvalidArgumentFault></detail></soapenv:Fault>${SOAP_TAIL}`,
            );
          pending.delete(token);
          const now = state.rest.slice(0, state.size);
          const rest = state.rest.slice(state.size);
          const next = rest.length ? randomUUID() : null;
          if (next) pending.set(next, { ...state, rest });
          pages.push(now.length);
          return send(200, page('ContinueRetrievePropertiesEx', now, next));
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const up = await opts.upstream(method, body, headers);
        if (method === 'RetrievePropertiesEx' && up.status === 200) {
          const size = Number(/<maxObjects>(\d+)<\/maxObjects>/.exec(body)?.[1] ?? 0);
          const objects = splitObjects(up.body);
          if (size > 0 && objects.length > size) {
            const token = randomUUID();
            pending.set(token, { method, rest: objects.slice(size), size });
            pages.push(size);
            return send(200, page('RetrievePropertiesEx', objects.slice(0, size), token), up.headers);
          }
          pages.push(objects.length);
        }
        send(up.status, up.body, up.headers);
      })().catch((e: Error) => {
        res.writeHead(502);
        res.end(String(e.message));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        url: `https://127.0.0.1:${port}/sdk`,
        port,
        calls,
        pages,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Forward to a real vim25 endpoint whose certificate is pinned (the lab's simulator). */
export function forwardTo(url: string, pem: string, fingerprint: string, check: (der: Buffer) => string): Upstream {
  const target = new URL(url);
  const agent = new https.Agent({
    keepAlive: true,
    ca: [pem],
    allowPartialTrustChain: true,
    checkServerIdentity: (_h, cert) => (check(cert.raw) === fingerprint ? undefined : new Error('simulator certificate changed')),
  });
  return (_method, body, headers) =>
    new Promise((resolve, reject) => {
      const fwd: Record<string, string> = { 'content-type': headers['content-type'] ?? 'text/xml', soapaction: headers['soapaction'] ?? '' };
      if (headers['cookie']) fwd['cookie'] = headers['cookie'];
      const req = https.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: fwd }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const out: Record<string, string> = {};
          const cookie = res.headers['set-cookie'];
          if (cookie) out['set-cookie'] = cookie.join(', ');
          resolve({ status: res.statusCode ?? 500, body: Buffer.concat(chunks).toString('utf8'), headers: out });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
}
