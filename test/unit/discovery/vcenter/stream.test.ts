// The streaming RetrievePropertiesEx reader (saxes) must read exactly what the DOM reader reads,
// whatever the chunking, for the simulator's `XMLSchema-instance:type` and vCenter's `xsi:type`.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RetrieveResponseReader } from '../../../../src-main/discovery/vcenter/stream.ts';
import { asArray, asObject, type ObjectContent, parseEnvelope, parseRetrieveResult } from '../../../../src-main/discovery/vcenter/xml.ts';

const fixture = (name: string) => readFileSync(new URL(`../../../fixtures/vim25/${name}`, import.meta.url), 'utf8');
const asRealVcenter = (xml: string) =>
  xml.replaceAll(' xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"', '').replaceAll('XMLSchema-instance:type=', 'xsi:type=');

function stream(xml: string, chunk: number, keepItem?: (p: string, t: string | null) => boolean) {
  const objects: ObjectContent[] = [];
  const reader = new RetrieveResponseReader((o) => objects.push(o), keepItem ? { keepItem } : {});
  for (let i = 0; i < xml.length; i += chunk) reader.write(xml.slice(i, i + chunk));
  const end = reader.end();
  return { objects, token: reader.token, count: reader.count, ...end };
}

/** Compare including the non-enumerable `$repeated` marker of repeated elements. */
function plain(v: unknown): unknown {
  if (Array.isArray(v)) return { repeated: (v as unknown as { $repeated?: true }).$repeated === true, items: v.map(plain) };
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

describe.each([
  ['simulator (XMLSchema-instance:type)', (x: string) => x],
  ['real vCenter (xsi:type)', asRealVcenter],
])('streamed RetrievePropertiesEx, %s', (_label, shape) => {
  it.each(['retrieve-properties-vms.xml', 'retrieve-properties-inventory.xml'])('reads %s like the DOM reader, in any chunking', (name) => {
    const xml = shape(fixture(name));
    const dom = parseRetrieveResult(parseEnvelope(xml).body!);
    expect(dom.objects.length).toBeGreaterThan(0);
    for (const chunk of [1, 7, 64, 4096, xml.length]) {
      const s = stream(xml, chunk);
      expect(s.fault).toBeNull();
      expect(s.response).toBe(true);
      expect(s.count).toBe(dom.objects.length);
      expect(plain(s.objects)).toEqual(plain(dom.objects));
    }
  });

  it('leaves out the list items keepItem refuses, and only those', () => {
    const xml = shape(fixture('retrieve-properties-vms.xml'));
    const dom = parseRetrieveResult(parseEnvelope(xml).body!);
    const s = stream(xml, 1000, (p, t) => p !== 'config.hardware.device' || t === 'VirtualDisk');
    for (const [i, o] of s.objects.entries()) {
      const all = asArray(dom.objects[i]!.props.get('config.hardware.device'));
      const disks = all.filter((d) => asObject(d)?.$type === 'VirtualDisk');
      expect(all.length).toBeGreaterThan(disks.length);
      expect(plain(asArray(o.props.get('config.hardware.device')))).toEqual(plain(disks));
      const rest = (m: Map<string, unknown>) => plain(new Map([...m].filter(([k]) => k !== 'config.hardware.device')));
      expect(rest(o.props)).toEqual(rest(dom.objects[i]!.props));
    }
  });
});

describe('streamed responses: tokens, faults, bad input', () => {
  it('reads the paging token and decodes entities and multi-byte text split across chunks', () => {
    const xml = fixture('retrieve-properties-vms.xml')
      .replace('<returnval>', '<returnval><token>7</token>')
      .replace('>DC0_H0_VM1<', '>Büro &amp; Lager – VM1<');
    const s = stream(xml, 3);
    expect(s.token).toBe('7');
    expect(s.objects.map((o) => o.props.get('name'))).toContain('Büro & Lager – VM1');
  });

  it('reports a SOAP fault (read by the DOM reader) instead of objects', () => {
    const s = stream(fixture('not-authenticated.xml'), 50);
    expect(s.fault?.type).toBe('NotAuthenticated');
    expect(s.objects).toEqual([]);
  });

  it('an empty response is a response without objects', () => {
    const xml = fixture('destroy-view.xml').replace(
      /<DestroyViewResponse[^>]*>.*<\/DestroyViewResponse>|<DestroyViewResponse[^>]*\/>/,
      '<RetrievePropertiesExResponse xmlns="urn:vim25"></RetrievePropertiesExResponse>',
    );
    const s = stream(xml, 10);
    expect(s).toMatchObject({ fault: null, response: true, count: 0, token: null });
  });

  it('refuses what is not XML or not a SOAP envelope', () => {
    expect(() => stream('<html><body>proxy error</body></html>', 8)).toThrow(/not a SOAP envelope/);
    expect(() => stream('HTTP garbage <', 8)).toThrow(/not XML|not a SOAP/);
    expect(() => stream(fixture('retrieve-properties-vms.xml').replace('</propSet>', '</propset>'), 100)).toThrow(/not XML/);
  });
});
