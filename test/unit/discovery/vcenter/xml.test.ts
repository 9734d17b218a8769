// vim25 parsing of responses recorded from govmomi's simulator (test/fixtures/vim25/), and of the
// same documents rewritten the way a real vCenter writes them (`xsi:type`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { guestAddresses, guestFamily, vmFromProperties } from '../../../../src-main/discovery/vcenter/inventory.ts';
import { asArray, asObject, isMoRef, parseEnvelope, parseRetrieveResult, type VimValue } from '../../../../src-main/discovery/vcenter/xml.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/vim25/${name}`, import.meta.url), 'utf8');

/** Real vCenter: the xsi prefix declared once on the envelope, `xsi:type` on values. */
const asRealVcenter = (xml: string) =>
  xml.replaceAll(' xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"', '').replaceAll('XMLSchema-instance:type=', 'xsi:type=');

function tree(xml: string) {
  const { body } = parseEnvelope(xml);
  const t = new Map<string, { type: string; name: string; parent: { $moref: true; type: string; value: string } | null }>();
  for (const o of parseRetrieveResult(body!).objects) {
    const parent = o.props.get('parent');
    t.set(o.obj.value, { type: o.obj.type, name: String(o.props.get('name')), parent: isMoRef(parent) ? parent : null });
  }
  return t;
}

describe.each([
  ['simulator (XMLSchema-instance:type)', (x: string) => x],
  ['real vCenter (xsi:type)', asRealVcenter],
])('vim25 parsing, %s', (_label, shape) => {
  it('reads the VM property sets', () => {
    const { body, fault } = parseEnvelope(shape(fixture('retrieve-properties-vms.xml')));
    expect(fault).toBeNull();
    const result = parseRetrieveResult(body!);
    expect(result.token).toBeNull();
    expect(result.objects.map((o) => o.obj)).toEqual([
      { $moref: true, type: 'VirtualMachine', value: 'vm-60' },
      { $moref: true, type: 'VirtualMachine', value: 'vm-63' },
      { $moref: true, type: 'VirtualMachine', value: 'vm-66' },
    ]);
    const devices = asArray(result.objects[0]!.props.get('config.hardware.device'));
    expect(devices.length).toBeGreaterThan(5);
    expect(devices.map((d) => asObject(d)?.$type)).toContain('VirtualDisk');
    expect(isMoRef(result.objects[0]!.props.get('runtime.host'))).toBe(true);
  });

  it('builds VM records with the host, cluster and datacenter path', () => {
    const objects = parseRetrieveResult(parseEnvelope(shape(fixture('retrieve-properties-vms.xml'))).body!).objects;
    const inv = tree(shape(fixture('retrieve-properties-inventory.xml')));
    const vms = objects.map((o) => vmFromProperties(o, inv, 'vc.lab.invalid'));
    const byName = Object.fromEntries(vms.map((v) => [v.name, v]));
    expect(byName['DC0_H0_VM1']).toMatchObject({
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      guestOs: 'windows2019srv_64Guest',
      guestFullName: 'Microsoft Windows Server 2019 (64-bit)',
      family: 'windows',
      powerState: 'poweredOn',
      toolsStatus: 'guestToolsRunning',
      addresses: ['10.200.0.12'],
      disks: 1,
      diskSizesGB: [0.001],
      datacenter: 'DC0',
      cluster: null,
      esxHost: 'DC0_H0',
      vcenter: 'vc.lab.invalid',
      moref: 'vm-60',
    });
    expect(byName['DC0_C0_RP0_VM0']).toMatchObject({
      family: 'linux',
      cluster: 'DC0_C0',
      datacenter: 'DC0',
      esxHost: expect.stringMatching(/^DC0_C0_H\d$/),
      hostName: expect.stringContaining('.lab.invalid'),
    });
    // the powered-off VM has no addresses and no host name
    const off = vms.find((v) => v.powerState === 'poweredOff')!;
    expect(off).toMatchObject({ addresses: [], hostName: null, toolsStatus: 'guestToolsNotRunning' });
  });
});

describe('SOAP faults', () => {
  it('reads the fault type from the detail (InvalidLogin, NotAuthenticated)', () => {
    expect(parseEnvelope(fixture('login-invalid.xml')).fault).toEqual({ type: 'InvalidLogin', message: 'Login failure' });
    expect(parseEnvelope(fixture('not-authenticated.xml')).fault?.type).toBe('NotAuthenticated');
  });

  it('refuses what is not a SOAP envelope', () => {
    expect(() => parseEnvelope('<html><body>proxy error</body></html>')).toThrow(/not a SOAP envelope/);
    expect(() => parseEnvelope('HTTP garbage <')).toThrow(/not XML|not a SOAP/);
  });

  it('reads paging tokens', () => {
    const xml = fixture('retrieve-properties-vms.xml').replace('<returnval>', '<returnval><token>7</token>');
    expect(parseRetrieveResult(parseEnvelope(xml).body!).token).toBe('7');
  });
});

describe('guest data', () => {
  it('merges guest.ipAddress and guest.net, IPv4 first, no link-local or duplicates', () => {
    const nets: VimValue = [
      { $type: 'GuestNicInfo', ipAddress: Object.assign(['fe80::250:56ff:fe01:2', '2001:db8::5', '10.1.2.3'], { $repeated: true }) },
      { $type: 'GuestNicInfo', ipAddress: '192.168.7.9' },
      { $type: 'GuestNicInfo' },
    ];
    expect(guestAddresses('10.1.2.3', nets)).toEqual(['10.1.2.3', '192.168.7.9', '2001:db8::5']);
    expect(guestAddresses(undefined, undefined)).toEqual([]);
    expect(guestAddresses('169.254.3.4', [])).toEqual([]);
  });

  it.each([
    ['windows2019srv_64Guest', null, 'windows'],
    ['winNetEnterpriseGuest', null, 'windows'],
    ['rhel6_64Guest', null, 'linux'],
    ['centos64Guest', null, 'linux'],
    ['sles11_64Guest', null, 'linux'],
    ['oracleLinux6_64Guest', null, 'linux'],
    ['ubuntu64Guest', null, 'linux'],
    ['other3xLinux64Guest', null, 'linux'],
    ['freebsd12_64Guest', null, 'other'],
    ['otherGuest', 'linuxGuest', 'linux'],
    [null, null, 'other'],
  ] as const)('family of %s (tools say %s) is %s', (id, fam, expected) => {
    expect(guestFamily(id, fam)).toBe(expected);
  });
});
