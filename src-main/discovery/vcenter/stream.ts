import saxes from 'saxes';
import type { SaxesTagNS } from 'saxes';
import { AsrFailure } from '../../model/errors.ts';
import {
  MAX_XML_DEPTH,
  NS_SOAPENV,
  NS_XSI,
  tooDeep,
  type MoRef,
  type ObjectContent,
  type SoapFault,
  type VimObject,
  type VimValue,
  addProperty,
  parseEnvelope,
} from './xml.ts';

/**
 * A streaming reader of one RetrievePropertiesEx / ContinueRetrievePropertiesEx response: the body
 * is fed chunk by chunk as it arrives and every `<objects>` is handed to `onObject` as soon as it
 * closes, so neither the whole document nor a DOM of it is ever held (a 5,000-VM page from a server
 * that ignores maxObjects is ~40 MB of XML; its DOM was ~30× that). Values are built exactly like
 * `toValue` in xml.ts builds them from a DOM. Namespace-aware: the schema-instance `type` attribute
 * is matched by URI, whatever its prefix (`xsi:` from vCenter, `XMLSchema-instance:` from govmomi).
 *
 * A SOAP Fault (whatever the HTTP status) is kept as text and read by the DOM parser in xml.ts once
 * complete: it is small, and this keeps one definition of how faults are read.
 */
export class RetrieveResponseReader {
  /** The paging token of the response, if any. */
  token: string | null = null;
  /** Objects handed to onObject. */
  count = 0;
  private readonly parser: saxes.SaxesParser<{ xmlns: true }>;
  // Depth 1 Envelope, 2 Body, 3 XResponse, 4 returnval, 5 objects|token, 6 obj|propSet, 7 name|val.
  private depth = 0;
  private bodySeen = false;
  private inBody = false;
  private responseSeen = false;
  private inResponse = false;
  private returnvalSeen = false;
  private inReturnval = false;
  private inObjects = false;
  private inPropSet = false;
  private tokenText: string | null = null;
  // the <objects> being read
  private obj: MoRef | null = null;
  private objText: string | null = null;
  private props: Map<string, VimValue> | null = null;
  private propName: string | null = null;
  private propNameText: string | null = null;
  private propVal: VimValue | undefined;
  // the <val> being built: a stack of frames, one per open element below <propSet>
  private readonly frames: Frame[] = [];
  /** Raw text kept until the first element in Body shows whether this is a Fault. */
  private head: string[] | null = [];
  private faultText: string[] | null = null;

  private readonly onObject: (o: ObjectContent) => void;
  private readonly keepItem: KeepItem | undefined;
  /** Depth of the list item being skipped (0: none). */
  private skipFrom = 0;

  constructor(onObject: (o: ObjectContent) => void, opts: { keepItem?: KeepItem } = {}) {
    this.onObject = onObject;
    this.keepItem = opts.keepItem;
    this.parser = new saxes.SaxesParser({ xmlns: true });
    this.parser.on('error', (e) => {
      throw new AsrFailure('command_failed', `vCenter sent a response that is not XML: ${e.message}`);
    });
    this.parser.on('opentag', (t) => this.open(t));
    this.parser.on('closetag', () => this.close());
    this.parser.on('text', (s) => this.text(s));
    this.parser.on('cdata', (s) => this.text(s));
  }

  /** Feed the next piece of the body (already decoded text). Throws AsrFailure on malformed XML. */
  write(chunk: string): void {
    if (this.head) this.head.push(chunk);
    else if (this.faultText) this.faultText.push(chunk);
    this.parser.write(chunk);
  }

  /** End of the body: the fault it carried, if any; throws when it was not a complete SOAP envelope. */
  end(): { fault: SoapFault | null; response: boolean } {
    this.parser.close();
    if (this.faultText) {
      const { fault } = parseEnvelope(this.faultText.join(''));
      return { fault, response: false };
    }
    if (this.head) {
      // Never reached a Body child: let the DOM parser say what is wrong (not XML / not SOAP / empty).
      const { fault, body } = parseEnvelope(this.head.join(''));
      return { fault, response: body !== null };
    }
    return { fault: null, response: this.responseSeen };
  }

  private open(t: SaxesTagNS): void {
    const depth = ++this.depth;
    if (depth > MAX_XML_DEPTH) throw tooDeep();
    const local = t.local;
    switch (depth) {
      case 1:
        if (t.uri !== NS_SOAPENV || local !== 'Envelope') this.notSoap();
        return;
      case 2:
        // the first soapenv:Body (a Header may come before it)
        this.inBody = !this.bodySeen && t.uri === NS_SOAPENV && local === 'Body';
        if (this.inBody) this.bodySeen = true;
        return;
      case 3:
        // only the first element of the Body counts: the method's response, or a Fault
        if (this.inBody && this.head) {
          if (t.uri === NS_SOAPENV && local === 'Fault') this.faultText = this.head;
          else this.inResponse = this.responseSeen = true;
          this.head = null;
        }
        return;
      case 4:
        this.inReturnval = this.inResponse && local === 'returnval' && !this.returnvalSeen;
        if (this.inReturnval) this.returnvalSeen = true;
        return;
      case 5:
        if (!this.inReturnval) return;
        if (local === 'token') this.tokenText = '';
        else if (local === 'objects') {
          this.inObjects = true;
          this.obj = null;
          this.props = new Map();
        }
        return;
      case 6:
        if (!this.inObjects) return;
        if (local === 'obj') {
          this.obj = { $moref: true, type: t.attributes['type']?.value ?? '', value: '' };
          this.objText = '';
        } else if (local === 'propSet') {
          this.inPropSet = true;
          this.propName = null;
          this.propVal = undefined;
        }
        return;
      case 7:
        if (!this.inPropSet) return;
        if (local === 'name') this.propNameText = '';
        else if (local === 'val' && this.propVal === undefined) this.frames.push(newFrame(t));
        return;
      default: {
        if (this.skipFrom > 0) return;
        const parent = this.frames[this.frames.length - 1];
        if (!parent) return;
        const frame = newFrame(t);
        // an item of a list value that the caller does not need (most of config.hardware.device)
        if (depth === 8 && parent.list && this.keepItem && this.propName !== null && !this.keepItem(this.propName, frame.xsiType)) {
          this.skipFrom = depth;
          return;
        }
        parent.kids++;
        this.frames.push(frame);
      }
    }
  }

  private close(): void {
    const depth = this.depth--;
    if (this.skipFrom > 0) {
      if (depth === this.skipFrom) this.skipFrom = 0;
      return;
    }
    if (depth >= 7 && this.frames.length > 0) {
      const frame = this.frames.pop()!;
      const value = frameValue(frame);
      const parent = this.frames[this.frames.length - 1];
      if (parent) addChild(parent, frame.local, value);
      else this.propVal = value;
      return;
    }
    switch (depth) {
      case 7:
        if (this.propNameText !== null) {
          this.propName ??= this.propNameText;
          this.propNameText = null;
        }
        return;
      case 6:
        if (this.objText !== null) {
          if (this.obj) this.obj = { $moref: true, type: own(this.obj.type), value: own(this.objText) };
          this.objText = null;
        } else if (this.inPropSet) {
          this.inPropSet = false;
          if (this.propName && this.propVal !== undefined) this.props?.set(this.propName, this.propVal);
          this.propName = null;
          this.propVal = undefined;
        }
        return;
      case 5:
        if (this.tokenText !== null) {
          this.token = own(this.tokenText) || null;
          this.tokenText = null;
        } else if (this.inObjects) {
          this.inObjects = false;
          const { obj, props } = this;
          this.obj = null;
          this.props = null;
          if (obj && props) {
            this.count++;
            this.onObject({ obj, props });
          }
        }
        return;
      case 4:
        this.inReturnval = false;
        return;
      case 3:
        this.inResponse = false;
        return;
      case 2:
        this.inBody = false;
    }
  }

  private text(s: string): void {
    if (this.skipFrom > 0) return;
    const frame = this.frames[this.frames.length - 1];
    if (frame) frame.text += s;
    else if (this.propNameText !== null) this.propNameText += s;
    else if (this.objText !== null) this.objText += s;
    else if (this.tokenText !== null) this.tokenText += s;
  }

  private notSoap(): never {
    const start = (this.head ?? []).join('').slice(0, 200);
    throw new AsrFailure('command_failed', 'vCenter sent XML that is not a SOAP envelope', { details: { start } });
  }
}

/**
 * Which items of a list-valued property to keep, by the property path and the item's xsi:type
 * (e.g. only VirtualDisk of config.hardware.device). Skipped items are parsed but never built.
 * Only consulted once the property's `<name>` has been read (vim25 sends it before `<val>`).
 */
export type KeepItem = (property: string, itemType: string | null) => boolean;

/**
 * A copy of `s` that does not keep the parser's input alive. The parser's texts are slices of the
 * chunk they came from, and V8 keeps a whole chunk (64 KiB) alive for any slice of it that
 * survives: without this, the VM records held the entire response in memory (~9 KB per VM).
 * Concatenation yields a new (flattened on slicing) string of just these characters.
 */
function own(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

interface Frame {
  local: string;
  /** The schema-instance type without its prefix (VirtualDisk, ArrayOfString, ...), or null. */
  xsiType: string | null;
  /** A plain `type` attribute (managed object references carry one). */
  typeAttr: string | null;
  text: string;
  kids: number;
  obj: VimObject | null;
  list: VimValue[] | null;
}

function newFrame(t: SaxesTagNS): Frame {
  let xsiType: string | null = null;
  let typeAttr: string | null = null;
  const attrs = t.attributes;
  for (const name in attrs) {
    const a = attrs[name]!;
    if (a.local !== 'type') continue;
    if (a.uri === NS_XSI) {
      const v = a.value;
      if (v) {
        const colon = v.indexOf(':');
        xsiType = colon >= 0 ? v.slice(colon + 1) : v;
      }
    } else if (a.prefix === '') typeAttr = a.value;
  }
  const isArray = xsiType !== null && xsiType.startsWith('ArrayOf');
  return { local: t.local, xsiType, typeAttr, text: '', kids: 0, obj: null, list: isArray ? [] : null };
}

/** The same rules as toValue: ArrayOf… → list; no children → reference or text; else an object. */
function frameValue(f: Frame): VimValue {
  if (f.list) return f.list;
  if (f.kids === 0) {
    if (f.xsiType === 'ManagedObjectReference' || (f.typeAttr !== null && !f.xsiType)) return { $moref: true, type: own(f.typeAttr ?? ''), value: own(f.text) };
    return own(f.text);
  }
  return f.obj ?? {};
}

function addChild(parent: Frame, key: string, v: VimValue): void {
  if (parent.list) {
    parent.list.push(v);
    return;
  }
  let obj = parent.obj;
  if (!obj) {
    obj = {};
    if (parent.xsiType) obj.$type = parent.xsiType;
    parent.obj = obj;
  }
  addProperty(obj, key, v);
}
