// A stand-in for the modernized replication appliance (CSPrime), for the lab, tests and the demo.
// TEST FIXTURE: the real appliance's configuration manager turns a machine's "Agent Config Input"
// string into a Mobility service configuration file ("Download configuration file",
// vmware-physical-mobility-service-overview.md; Microsoft's own push script does the same with
// `RcmProxyAgent.exe -createmobilityagentconfigfile -encodedinput <ENCODED> -outputfilepath <file>.json`).
// Neither the string's nor the file's format is documented; these are the fixture's own (see
// test/fixtures/mobility-installer/AzureRcmCli), and ASR Deploy depends on neither.
//
//   startApplianceListener(...)            TLS on 443 (control) and 9443 (data) at <base>.251, so the
//                                          hosts' reachability checks pass (labUp starts it: state.appliance)
//   configFileFor(request, {appliance})    the config file (JSON text) for one request string
//   makeConfigFiles(dir, {appliance})      DIR/requests.csv + DIR/<host>.txt → DIR/<host>.json (or outDir)

import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { startEndpoint } from './proxy.ts';
import type { ApplianceState } from './types.ts';

export const APPLIANCE_OCTET = 251;
export const APPLIANCE_PORTS = [443, 9443];

/** Starts the appliance's listener in its own namespace `asrlab-<id>-appl` at <base>.251. */
export async function startApplianceListener(labId: string, bridge: string, base: string, dir: string): Promise<ApplianceState> {
  const e = await startEndpoint(labId, bridge, base, dir, {
    octet: APPLIANCE_OCTET,
    suffix: 'appl',
    names: ['appliance.asr-lab.test'],
    cn: 'appliance.asr-lab.test',
  });
  return { address: e.address, ns: e.ns, ports: APPLIANCE_PORTS, pid: e.pid, certPath: e.certPath };
}

interface RequestIdentity {
  hostName: string;
  machineId: string;
  agentVersion?: string;
}

/** Decodes a request string made by the installer fixture; anything else is refused, as the real appliance would. */
export function decodeRequest(request: string): RequestIdentity {
  const text = request.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new Error('not an Agent Config Input string (expected base64)');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    throw new Error('the Agent Config Input string does not decode');
  }
  const d = doc as Partial<RequestIdentity>;
  if (typeof d.hostName !== 'string' || typeof d.machineId !== 'string' || !d.machineId) throw new Error('the Agent Config Input string names no machine');
  return { hostName: d.hostName, machineId: d.machineId, ...(typeof d.agentVersion === 'string' ? { agentVersion: d.agentVersion } : {}) };
}

/** The configuration file the stand-in appliance "downloads" for one request (JSON text). */
export function configFileFor(request: string, opts: { appliance: string }): string {
  const id = decodeRequest(request);
  return (
    JSON.stringify(
      {
        $comment: 'TEST FIXTURE: made by the ASR Deploy lab stand-in replication appliance, not by Azure',
        applianceAddress: opts.appliance,
        hostName: id.hostName,
        machineId: id.machineId,
        agentVersion: id.agentVersion ?? null,
        clientRequestId: randomUUID(),
        issuedAt: new Date().toISOString(),
        controlEndpoint: { address: opts.appliance, port: 443 },
        dataEndpoint: { address: opts.appliance, port: 9443 },
      },
      null,
      2,
    ) + '\n'
  );
}

/** Parses requests.csv as `jobs config-requests` writes it (host,address,file; RFC 4180 quoting). */
export function readRequestsCsv(text: string): { host: string; address: string; file: string }[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  const [head, ...body] = rows.filter((r) => r.some((x) => x !== ''));
  if (!head || head.join(',') !== 'host,address,file') throw new Error('requests.csv has no host,address,file header');
  return body.map(([host = '', address = '', file = '']) => ({ host, address, file }));
}

/**
 * Does what an admin does at the appliance for every request of a `jobs config-requests` folder:
 * pastes the string, downloads the file, saves it as <request base name>.json.
 */
export function makeConfigFiles(requestsDir: string, opts: { appliance: string; outDir?: string }): { host: string; file: string }[] {
  const out = opts.outDir ?? requestsDir;
  mkdirSync(out, { recursive: true });
  return readRequestsCsv(readFileSync(join(requestsDir, 'requests.csv'), 'utf8')).map((r) => {
    const request = readFileSync(join(requestsDir, r.file), 'utf8');
    const file = join(out, `${basename(r.file, '.txt')}.json`);
    writeFileSync(file, configFileFor(request, { appliance: opts.appliance }), { mode: 0o600 });
    return { host: r.host, file };
  });
}
