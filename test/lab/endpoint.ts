// A tiny stand-in for the Azure endpoints behind the lab proxy: TLS on one port, plain HTTP on
// another, answering every request with 200 and a JSON body. Run inside the lab's service
// namespace by proxy.ts:  node endpoint.ts --address A --tls-port 443 --http-port 80 --cert C --key K

import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    address: { type: 'string', default: '0.0.0.0' },
    'tls-port': { type: 'string', default: '443' },
    'http-port': { type: 'string', default: '80' },
    cert: { type: 'string' },
    key: { type: 'string' },
  },
});

function handler(scheme: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const body = JSON.stringify({
      endpoint: 'asr-lab',
      scheme,
      host: req.headers.host ?? null,
      method: req.method,
      url: req.url,
      servername: (req.socket as { servername?: string }).servername ?? null,
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}

const address = values.address ?? '0.0.0.0';
const ready: Promise<void>[] = [];
// Besides 443/80 it answers where a configuration/process server does: 9443 (TLS, data and
// control of the 9.x generation) and 9080 (the 2015 process server), so reachability checks pass.
if (values.cert && values.key) {
  const opts = { cert: readFileSync(values.cert), key: readFileSync(values.key) };
  for (const port of [Number(values['tls-port']), 9443]) {
    const tls = createHttpsServer(opts, handler('https'));
    ready.push(new Promise((r) => tls.listen(port, address, r)));
  }
}
for (const port of [Number(values['http-port']), 9080]) {
  const plain = createServer(handler('http'));
  ready.push(new Promise((r) => plain.listen(port, address, r)));
}
await Promise.all(ready);
process.stdout.write('ready\n');
process.on('SIGTERM', () => process.exit(0));
