// Test certificates made with the openssl CLI: a self-signed one, and a CA with a leaf that is NOT
// self-signed (as vCenter's VMCA-issued certificates are), to test pinning of both kinds.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  key: string;
  cert: string;
}

export interface TestCerts {
  selfSigned: TestCert;
  ca: TestCert;
  leaf: TestCert;
}

export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'asr-certs-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ossl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'self.key',
    '-out',
    'self.crt',
    '-days',
    '3',
    '-subj',
    '/CN=winrm-self/O=ASR test',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  );
  ossl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '30',
    '-subj',
    '/CN=ASR test CA',
  );
  ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=vc.lab.invalid');
  writeFileSync(
    join(dir, 'leaf.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:vc.lab.invalid\n',
  );
  ossl('x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '20', '-extfile', 'leaf.ext');
  const read = (n: string) => readFileSync(join(dir, n), 'utf8');
  try {
    return {
      selfSigned: { key: read('self.key'), cert: read('self.crt') },
      ca: { key: read('ca.key'), cert: read('ca.crt') },
      leaf: { key: read('leaf.key'), cert: read('leaf.crt') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
