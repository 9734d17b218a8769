// The vim25 client against a local HTTPS endpoint that replays recorded simulator responses:
// paging, session cookie, views destroyed and logout even on failure, TLS pinning of a
// CA-issued (not self-signed) certificate, refusal of unpinned and mismatched certificates.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverVcenter, vmsToHostInputs } from '../../../../src-main/discovery/vcenter/index.ts';
import { sha256Fingerprint } from '../../../../src-main/remote/tls-scan.ts';
import { makeCerts, type TestCerts } from '../certs.ts';
import { type Pager, splitObjects, startPager } from '../vim25-pager.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/vim25/${name}`, import.meta.url), 'utf8');

/** 3 recorded VMs cloned into `n`, with distinct ids and names. */
function manyVms(n: number): string {
  const xml = fixture('retrieve-properties-vms.xml');
  const objects = splitObjects(xml);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = objects[i % objects.length]!;
    out.push(o.replace(/>vm-(\d+)</, `>vm-${1000 + i}<`).replace(/(<name>name<\/name><val[^>]*>)([^<]*)/, `$1VM${String(i).padStart(3, '0')}`));
  }
  const start = xml.indexOf('<objects>');
  const end = xml.lastIndexOf('</objects>') + '</objects>'.length;
  return xml.slice(0, start) + out.join('') + xml.slice(end);
}

/** Like vCenter: explicit ObjectSpecs get just those objects; a container view traversal gets all. */
function onlyRequested(xml: string, request: string): string {
  const wanted = new Set([...request.matchAll(/<obj type="VirtualMachine">([^<]+)<\/obj>/g)].map((m) => m[1]));
  if (wanted.size === 0) return xml;
  const objects = splitObjects(xml).filter((o) => wanted.has(/<obj type="VirtualMachine">([^<]+)</.exec(o)?.[1]));
  const start = xml.indexOf('<objects>');
  const end = xml.lastIndexOf('</objects>') + '</objects>'.length;
  return xml.slice(0, start) + objects.join('') + xml.slice(end);
}

let certs: TestCerts;
let pager: Pager;
let leafFingerprint: string;
let failRetrieve = false;
let sessionCookieSeen = false;

beforeAll(async () => {
  certs = makeCerts();
  leafFingerprint = sha256Fingerprint(new X509Certificate(certs.leaf.cert).raw);
  const vms = manyVms(25);
  pager = await startPager({
    key: certs.leaf.key,
    cert: certs.leaf.cert,
    upstream: async (method, body, headers) => {
      if (method !== 'RetrieveServiceContent' && method !== 'Login' && headers['cookie'] === 'vmware_soap_session="abc"') sessionCookieSeen = true;
      switch (method) {
        case 'RetrieveServiceContent':
          return { status: 200, body: fixture('retrieve-service-content.xml') };
        case 'Login':
          return body.includes('<password>s3cret&amp;&lt;x</password>')
            ? { status: 200, body: fixture('login.xml'), headers: { 'set-cookie': 'vmware_soap_session="abc"; Path=/; HttpOnly; Secure;' } }
            : { status: 500, body: fixture('login-invalid.xml') };
        case 'CreateContainerView':
          return { status: 200, body: fixture('create-container-view.xml') };
        case 'RetrievePropertiesEx':
          if (failRetrieve) return { status: 500, body: fixture('not-authenticated.xml').replace('NotAuthenticated', 'SystemError') };
          if (!body.includes('<type>VirtualMachine</type>')) return { status: 200, body: fixture('retrieve-properties-inventory.xml') };
          return { status: 200, body: onlyRequested(vms, body) };
        case 'DestroyView':
          return { status: 200, body: fixture('destroy-view.xml') };
        case 'Logout':
          return { status: 200, body: fixture('logout.xml') };
        default:
          return { status: 500, body: 'unexpected' };
      }
    },
  });
});

afterAll(async () => {
  await pager?.close();
});

const base = () => ({ server: pager.url, user: 'administrator@vsphere.local', password: 's3cret&<x' });

describe('discoverVcenter against recorded responses', () => {
  it('walks every page, uses the session cookie, destroys its views and logs out', async () => {
    pager.calls.length = 0;
    pager.pages.length = 0;
    const progress: number[] = [];
    const vms = await discoverVcenter({
      ...base(),
      fingerprint: leafFingerprint.toUpperCase().match(/../g)!.join(':'),
      pageSize: 4,
      onProgress: (p) => progress.push(p.vms),
    });
    expect(vms).toHaveLength(25);
    expect(new Set(vms.map((v) => v.moref)).size).toBe(25);
    expect(vms[0]!.name).toBe('VM000');
    // the tree in one page; the 25 members of the view in pages of 4 (4,4,4,4,4,4,1: six
    // continuations); then their properties in batches of 4 explicit objects
    expect(pager.pages.slice(0, 8)).toEqual([expect.any(Number), 4, 4, 4, 4, 4, 4, 1]);
    expect(pager.pages.slice(8).sort()).toEqual([1, 4, 4, 4, 4, 4, 4]); // two batches in flight: any order
    expect(pager.calls.filter((c) => c === 'ContinueRetrievePropertiesEx')).toHaveLength(6);
    expect(progress).toHaveLength(7);
    expect(progress.at(-1)).toBe(25);
    expect(sessionCookieSeen).toBe(true);
    expect(pager.calls.slice(0, 2)).toEqual(['RetrieveServiceContent', 'Login']);
    expect(pager.calls.slice(-3)).toEqual(['DestroyView', 'DestroyView', 'Logout']);
  });

  it('logs out even when the inventory fails', async () => {
    pager.calls.length = 0;
    failRetrieve = true;
    try {
      await expect(discoverVcenter({ ...base(), fingerprint: leafFingerprint })).rejects.toMatchObject({ data: { code: 'command_failed' } });
    } finally {
      failRetrieve = false;
    }
    expect(pager.calls.slice(-3)).toEqual(['DestroyView', 'DestroyView', 'Logout']);
  });

  it('maps InvalidLogin to auth_failed with a remedy, and sends no Logout for a failed login', async () => {
    pager.calls.length = 0;
    const err = await discoverVcenter({ ...base(), password: 'wrong', fingerprint: leafFingerprint }).catch((e: unknown) => e);
    expect(err).toMatchObject({ data: { code: 'auth_failed', remedy: expect.stringContaining('password') } });
    expect(pager.calls).toEqual(['RetrieveServiceContent', 'Login']);
  });

  it('refuses the unpinned certificate and names its fingerprint', async () => {
    pager.calls.length = 0;
    const err = await discoverVcenter(base()).catch((e: unknown) => e);
    expect(err).toMatchObject({ data: { code: 'certificate_untrusted', details: { fingerprint: leafFingerprint } } });
    expect((err as Error).message).toContain(leafFingerprint);
    expect(pager.calls).toEqual([]); // nothing was sent, credentials least of all
  });

  it('refuses a pin that does not match, before sending anything', async () => {
    pager.calls.length = 0;
    const err = await discoverVcenter({ ...base(), fingerprint: '00'.repeat(32) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ data: { code: 'certificate_mismatch' } });
    expect((err as Error).message).toContain(leafFingerprint);
    expect(pager.calls).toEqual([]);
    await expect(discoverVcenter({ ...base(), fingerprint: 'nope' })).rejects.toMatchObject({ data: { code: 'usage' } });
  });

  it('refuses plain http and credentials in the URL', async () => {
    await expect(discoverVcenter({ ...base(), server: 'http://127.0.0.1:1/sdk' })).rejects.toMatchObject({ data: { code: 'usage' } });
    await expect(discoverVcenter({ ...base(), server: 'https://u:p@127.0.0.1:1/sdk' })).rejects.toMatchObject({ data: { code: 'usage' } });
  });

  it('maps a closed port to unreachable', async () => {
    await expect(discoverVcenter({ ...base(), server: 'https://127.0.0.1:1/sdk', fingerprint: leafFingerprint })).rejects.toMatchObject({
      data: { code: 'unreachable' },
    });
  });
});

describe('vmsToHostInputs', () => {
  it('keeps powered-on VMs with addresses and tags them by vCenter, datacenter and cluster', async () => {
    const vms = await discoverVcenter({ ...base(), fingerprint: leafFingerprint });
    const inputs = vmsToHostInputs(vms, { vcenter: 'vc01.corp.example' });
    const on = vms.filter((v) => v.powerState === 'poweredOn' && v.addresses.length > 0);
    expect(inputs).toHaveLength(on.length);
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) {
      const vm = vms.find((v) => v.moref === input.evidence?.['moref'])!; // clones share a uuid
      expect(input).toMatchObject({
        address: vm.addresses[0],
        name: vm.name,
        source: 'vcenter',
        os: vm.family,
        transport: vm.family === 'windows' ? 'winrm' : 'ssh',
      });
      expect(input.tags).toContain('vcenter:vc01.corp.example');
      expect(input.tags).toContain('datacenter:DC0');
      if (vm.cluster) expect(input.tags).toContain(`cluster:${vm.cluster}`);
    }
  });

  it('makes names and tags valid for the inventory schema', async () => {
    const { HostInputSchema } = await import('../../../../src-main/model/host.ts');
    const vm = {
      name: 'Web Server, 01',
      uuid: 'u-1',
      guestOs: 'freebsd12_64Guest',
      family: 'other' as const,
      powerState: 'poweredOn',
      toolsStatus: 'guestToolsRunning',
      addresses: ['192.0.2.10', '2001:db8::10'],
      hostName: 'web01',
      disks: 1,
      datacenter: 'Prod DC (Paris)',
      cluster: 'Clüster 1',
      esxHost: 'esx1',
      guestFullName: null,
      diskSizesGB: [40],
      biosUuid: null,
      moref: 'vm-1',
      vcenter: 'vc',
    };
    const [input] = vmsToHostInputs([vm, { ...vm, powerState: 'poweredOff' }, { ...vm, addresses: [] }]);
    expect(input).toMatchObject({ name: 'Web-Server-01', tags: ['vcenter:vc', 'datacenter:Prod-DC-Paris', 'cluster:Clüster-1'] });
    expect(input!.os).toBeUndefined();
    expect(HostInputSchema.parse(input)).toBeTruthy();
  });
});
