// Issue 12 item 10: the vCenter XML readers are linear in nesting depth. Deep nesting is refused at
// MAX_XML_DEPTH, by the streaming reader as soon as it gets there and by the DOM path without a
// stack overflow (the figures are in the final report / bench, not asserted here).
import { describe, expect, it } from 'vitest';
import { AsrFailure } from '../../../../src-main/model/errors.ts';
import { RetrieveResponseReader } from '../../../../src-main/discovery/vcenter/stream.ts';
import { MAX_XML_DEPTH, parseEnvelope, parseRetrieveResult } from '../../../../src-main/discovery/vcenter/xml.ts';

const envelope = (val: string) =>
  `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><objects><obj type="VirtualMachine">vm-1</obj><propSet><name>config</name><val>${val}</val></propSet></objects></returnval></RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>`;
const nested = (n: number) => '<a>'.repeat(n) + 'x' + '</a>'.repeat(n);

function stream(xml: string): unknown[] {
  const got: unknown[] = [];
  const r = new RetrieveResponseReader((o) => got.push(o));
  for (let i = 0; i < xml.length; i += 65536) r.write(xml.slice(i, i + 65536));
  r.end();
  return got;
}

describe('deeply nested vCenter XML', () => {
  const deep = envelope(nested(40_000)); // ~280 KB, the review's case
  it('the streaming reader refuses it at the depth limit with a named error', () => {
    expect(deep.length).toBeGreaterThan(270_000);
    let err: unknown;
    try {
      stream(deep);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AsrFailure);
    expect((err as AsrFailure).data).toMatchObject({ code: 'command_failed', message: expect.stringContaining(`nested deeper than ${MAX_XML_DEPTH}`) });
  });

  it('the DOM reader refuses it as well, without a stack overflow', () => {
    const { body } = parseEnvelope(envelope(nested(20_000)));
    expect(() => parseRetrieveResult(body!)).toThrow(AsrFailure);
  });

  it('values up to the limit are read as before by both readers', () => {
    const ok = envelope(nested(MAX_XML_DEPTH - 8));
    expect(stream(ok)).toHaveLength(1);
    const { body } = parseEnvelope(ok);
    expect(parseRetrieveResult(body!).objects).toHaveLength(1);
  });
});
