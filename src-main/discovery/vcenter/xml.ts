import { DOMParser, onErrorStopParsing, type Element } from '@xmldom/xmldom';
import { AsrFailure } from '../../model/errors.ts';

export const NS_SOAPENV = 'http://schemas.xmlsoap.org/soap/envelope/';
export const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';
export const NS_VIM = 'urn:vim25';

/**
 * Deepest element nesting read from vCenter. vim25 values nest a dozen levels at most; without a
 * bound, saxes' namespace lookups (one prototype step per open element) made the streaming reader
 * quadratic in depth (280 KB of nested elements: 8.4 s on the event loop) and toValue overflowed
 * the stack. Deeper documents are refused, so the readers are linear in the document's size.
 */
export const MAX_XML_DEPTH = 128;

export function tooDeep(): AsrFailure {
  return new AsrFailure('command_failed', `vCenter sent XML nested deeper than ${MAX_XML_DEPTH} elements, which no vim25 answer is; it was not read further.`, {
    remedy: 'Check that the server is a vCenter / ESXi SDK endpoint (and that nothing on the path rewrites its answers).',
  });
}

/** A managed object reference: `<obj type="VirtualMachine">vm-42</obj>`. */
export interface MoRef {
  readonly $moref: true;
  readonly type: string;
  readonly value: string;
}

/** A vim25 data value without a schema: text, a reference, an object of children, or a list. */
export type VimValue = string | MoRef | VimObject | VimValue[];
export interface VimObject {
  /** The xsi:type of the element, when the server sent one (VirtualDisk, GuestNicInfo, ...). */
  $type?: string;
  [key: string]: VimValue | undefined;
}

export interface ObjectContent {
  obj: MoRef;
  props: Map<string, VimValue>;
}

export interface RetrieveResult {
  objects: ObjectContent[];
  token: string | null;
}

export interface SoapFault {
  /** The vim25 fault type: InvalidLogin, NotAuthenticated, NoPermission, ... */
  type: string;
  message: string;
}

/** Parse a SOAP envelope and return its Body's first element, or the fault it carries. */
export function parseEnvelope(xml: string): { body: Element | null; fault: SoapFault | null } {
  let doc;
  try {
    doc = new DOMParser({ onError: onErrorStopParsing, locator: false }).parseFromString(xml, 'text/xml');
  } catch (e) {
    throw new AsrFailure('command_failed', `vCenter sent a response that is not XML: ${(e as Error).message}`, { details: { start: xml.slice(0, 200) } });
  }
  const envelope = doc.documentElement;
  if (!envelope || envelope.namespaceURI !== NS_SOAPENV || envelope.localName !== 'Envelope') {
    throw new AsrFailure('command_failed', 'vCenter sent XML that is not a SOAP envelope', { details: { start: xml.slice(0, 200) } });
  }
  const body = childElements(envelope).find((e) => e.namespaceURI === NS_SOAPENV && e.localName === 'Body');
  const first = body ? (childElements(body)[0] ?? null) : null;
  if (first && first.namespaceURI === NS_SOAPENV && first.localName === 'Fault') return { body: null, fault: parseFault(first) };
  return { body: first, fault: null };
}

function parseFault(fault: Element): SoapFault {
  const faultstring = childElements(fault).find((e) => e.localName === 'faultstring')?.textContent ?? '';
  const detail = childElements(fault).find((e) => e.localName === 'detail');
  const inner = detail ? childElements(detail)[0] : undefined;
  // The type is the xsi:type (InvalidLogin) or the element name less its `Fault` suffix.
  const type = inner ? (xsiType(inner) ?? (inner.localName ?? '').replace(/Fault$/, '')) : 'SoapFault';
  return { type, message: faultstring };
}

/** The `returnval` children of a response element (`<XResponse><returnval>…`). */
export function returnvals(response: Element): Element[] {
  return childElements(response).filter((e) => e.localName === 'returnval');
}

/** RetrievePropertiesEx / ContinueRetrievePropertiesEx result; an empty response means no objects. */
export function parseRetrieveResult(response: Element): RetrieveResult {
  const rv = returnvals(response)[0];
  if (!rv) return { objects: [], token: null };
  const objects: ObjectContent[] = [];
  let token: string | null = null;
  for (const child of childElements(rv)) {
    if (child.localName === 'token') token = child.textContent ?? null;
    if (child.localName !== 'objects') continue;
    let obj: MoRef | null = null;
    const props = new Map<string, VimValue>();
    for (const part of childElements(child)) {
      if (part.localName === 'obj') obj = toMoRef(part);
      else if (part.localName === 'propSet') {
        const name = childElements(part).find((e) => e.localName === 'name')?.textContent ?? '';
        const val = childElements(part).find((e) => e.localName === 'val');
        if (name && val) props.set(name, toValue(val));
      }
    }
    if (obj) objects.push({ obj, props });
  }
  return { objects, token: token || null };
}

/**
 * Convert an element to a schema-less value. The schema-instance namespace is matched by URI, not
 * by prefix: vCenter writes `xsi:type`, govmomi's simulator `XMLSchema-instance:type`.
 */
export function toValue(el: Element, depth = 0): VimValue {
  if (depth > MAX_XML_DEPTH) throw tooDeep();
  const type = xsiType(el);
  const kids = childElements(el);
  if (type?.startsWith('ArrayOf')) return kids.map((k) => toValue(k, depth + 1));
  if (kids.length === 0) {
    if (type === 'ManagedObjectReference' || (el.hasAttribute('type') && !type)) return toMoRef(el);
    return el.textContent ?? '';
  }
  const obj: VimObject = {};
  if (type) obj.$type = type;
  for (const k of kids) {
    const key = k.localName ?? '';
    const v = toValue(k, depth + 1);
    addProperty(obj, key, v);
  }
  return obj;
}

export function toMoRef(el: Element): MoRef {
  return { $moref: true, type: el.getAttribute('type') ?? '', value: el.textContent ?? '' };
}

export function xsiType(el: Element): string | null {
  const t = el.getAttributeNS(NS_XSI, 'type');
  if (!t) return null;
  const colon = t.indexOf(':');
  return colon >= 0 ? t.slice(colon + 1) : t;
}

export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
}

// ---- small accessors for schema-less values --------------------------------------------------

export function isMoRef(v: VimValue | undefined): v is MoRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as MoRef).$moref === true;
}

/** A repeated element is a list; a single one is not: always get a list. */
export function asArray(v: VimValue | undefined): VimValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export function asString(v: VimValue | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

export function asObject(v: VimValue | undefined): VimObject | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isMoRef(v) ? (v as VimObject) : null;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/** Sets a property; a repeated element becomes an array (marked, so a real array value is not confused with it). */
export function addProperty(obj: VimObject, key: string, v: VimValue): void {
  const prev = obj[key];
  if (prev === undefined) obj[key] = v;
  else if (Array.isArray(prev) && (prev as unknown as { $repeated?: true }).$repeated) prev.push(v);
  else {
    const list: VimValue[] = [prev, v];
    Object.defineProperty(list, '$repeated', { value: true });
    obj[key] = list;
  }
}
