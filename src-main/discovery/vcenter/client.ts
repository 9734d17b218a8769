import type { Element } from '@xmldom/xmldom';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { AsrFailure, fail } from '../../model/errors.ts';
import { normalizeFingerprint, scanTlsCertificate, sha256Fingerprint } from '../../remote/tls-scan.ts';
import {
  asString,
  childElements,
  escapeXml,
  type MoRef,
  type ObjectContent,
  parseEnvelope,
  returnvals,
  type SoapFault,
  toMoRef,
  toValue,
  asObject,
} from './xml.ts';
import { type KeepItem, RetrieveResponseReader } from './stream.ts';

export interface Vim25ConnectOptions {
  /** `https://vc01/sdk`, `https://vc01:8443` or just `vc01`. */
  server: string;
  /** SHA-256 of the server certificate (64 hex, any case, colons allowed): trust exactly that certificate. */
  fingerprint?: string;
  /** Per request. Big inventories arrive in pages, so this bounds one page, not the whole walk. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  about: { fullName: string; apiVersion: string; instanceUuid: string; apiType: string };
}

export interface RetrieveOptions {
  /** Objects per page asked for (a server may send fewer, and govmomi's simulator ignores it). */
  maxObjects: number;
  /** Each object, as soon as it has been read. */
  onObject: (o: ObjectContent) => void;
  /** After each page, with the number of objects it held. */
  onPage?: (objects: number) => void;
  /** Leave out list items that are not needed (see KeepItem). */
  keepItem?: KeepItem;
}

/** Largest response accepted (a page of a few thousand VMs with their devices is tens of MB). */
const MAX_RESPONSE_BYTES = 512 * 1024 * 1024;

/**
 * A minimal vim25 SOAP client: just what inventory discovery needs (RetrieveServiceContent,
 * Login/Logout, CreateContainerView/DestroyView, RetrievePropertiesEx + Continue). TLS is either
 * verified normally against the system CAs, or pinned: the scanned certificate must match the
 * fingerprint and is then the only trust anchor, re-checked on every connection.
 */
export class Vim25Client {
  readonly url: URL;
  readonly host: string;
  readonly certificateFingerprint: string;
  private serviceContent: ServiceContent | null = null;
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal | undefined;
  private cookie: string | null = null;
  private soapAction = 'urn:vim25/6.0';
  private loggedIn = false;

  private constructor(url: URL, agent: https.Agent, fingerprint: string, opts: Vim25ConnectOptions) {
    this.url = url;
    this.host = url.hostname;
    this.agent = agent;
    this.certificateFingerprint = fingerprint;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.signal = opts.signal;
  }

  /** Establish trust in the endpoint, then read its ServiceContent (no credentials sent yet). */
  static async connect(opts: Vim25ConnectOptions): Promise<Vim25Client> {
    const url = normalizeServerUrl(opts.server);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    const { agent, fingerprint } = await establishTrust(host, port, opts);
    const client = new Vim25Client(url, agent, fingerprint, opts);
    try {
      const res = await client.call('RetrieveServiceContent', '<_this type="ServiceInstance">ServiceInstance</_this>');
      client.serviceContent = parseServiceContent(res);
      // Speak the server's own API version (any vCenter accepts requests at its version).
      client.soapAction = `urn:vim25/${client.serviceContent.about.apiVersion || '6.0'}`;
      return client;
    } catch (e) {
      agent.destroy();
      throw e;
    }
  }

  get content(): ServiceContent {
    if (!this.serviceContent) fail('internal', 'vim25 client used before RetrieveServiceContent');
    return this.serviceContent;
  }

  async login(user: string, password: string): Promise<void> {
    const sm = this.content.sessionManager;
    try {
      await this.call('Login', `${ref('_this', sm)}<userName>${escapeXml(user)}</userName><password>${escapeXml(password)}</password>`);
    } catch (e) {
      if (e instanceof AsrFailure && e.data.details?.['faultType'] === 'InvalidLogin') {
        fail('auth_failed', `vCenter ${this.host} refused the login of ${user}`, {
          host: this.host,
          remedy:
            'check the user name (with its domain, e.g. administrator@vsphere.local) and the password of the credential; the account needs read-only access at the vCenter root, propagated',
        });
      }
      throw e;
    }
    this.loggedIn = true;
  }

  /** Ends the session; never throws (it runs in `finally` blocks). */
  async logout(): Promise<void> {
    if (!this.loggedIn) return;
    this.loggedIn = false;
    await this.call('Logout', ref('_this', this.content.sessionManager)).catch(() => undefined);
  }

  close(): void {
    this.agent.destroy();
  }

  async createContainerView(container: MoRef, types: readonly string[], recursive: boolean): Promise<MoRef> {
    const body =
      ref('_this', this.content.viewManager) +
      ref('container', container) +
      types.map((t) => `<type>${escapeXml(t)}</type>`).join('') +
      `<recursive>${recursive}</recursive>`;
    const res = await this.call('CreateContainerView', body);
    const rv = returnvals(res)[0];
    if (!rv) fail('command_failed', 'CreateContainerView returned no view', { host: this.host });
    return toMoRef(rv);
  }

  async destroyView(view: MoRef): Promise<void> {
    await this.call('DestroyView', ref('_this', view));
  }

  /**
   * Every object of a container view with the given properties: RetrievePropertiesEx with
   * `maxObjects`, then ContinueRetrievePropertiesEx while the server returns a token. Each object
   * is handed to `onObject` as soon as it has been read (the response is parsed as it streams in),
   * and `onPage` is told when each page ends.
   */
  retrieveFromView(view: MoRef, type: string, paths: readonly string[], read: RetrieveOptions): Promise<void> {
    const objectSet =
      `<objectSet>${ref('obj', view)}<skip>true</skip>` +
      '<selectSet xsi:type="TraversalSpec"><name>traverseView</name><type>ContainerView</type><path>view</path><skip>false</skip></selectSet>' +
      '</objectSet>';
    return this.retrievePaged(type, paths, objectSet, read);
  }

  /** Properties of the given objects (one ObjectSpec each), paged and streamed the same way. */
  retrieveObjects(type: string, objects: readonly MoRef[], paths: readonly string[], read: RetrieveOptions): Promise<void> {
    const objectSet = objects.map((o) => `<objectSet>${ref('obj', o)}<skip>false</skip></objectSet>`).join('');
    return this.retrievePaged(type, paths, objectSet, read);
  }

  private async retrievePaged(type: string, paths: readonly string[], objectSets: string, read: RetrieveOptions): Promise<void> {
    const { maxObjects, onObject, onPage } = read;
    const readerOpts = read.keepItem ? { keepItem: read.keepItem } : {};
    const spec = `<specSet><propSet><type>${escapeXml(type)}</type>${paths.map((p) => `<pathSet>${escapeXml(p)}</pathSet>`).join('')}</propSet>${objectSets}</specSet>`;
    const pc = this.content.propertyCollector;
    let reader = new RetrieveResponseReader(onObject, readerOpts);
    await this.callStreaming('RetrievePropertiesEx', `${ref('_this', pc)}${spec}<options><maxObjects>${maxObjects}</maxObjects></options>`, reader);
    onPage?.(reader.count);
    while (reader.token) {
      const token = reader.token;
      reader = new RetrieveResponseReader(onObject, readerOpts);
      await this.callStreaming('ContinueRetrievePropertiesEx', `${ref('_this', pc)}<token>${escapeXml(token)}</token>`, reader);
      onPage?.(reader.count);
    }
  }

  /** One SOAP call; returns the `<MethodResponse>` element or throws the mapped fault. */
  async call(method: string, inner: string): Promise<Element> {
    const parts: string[] = [];
    const status = await this.post(envelope(method, inner), (text) => parts.push(text));
    const { body: response, fault } = parseEnvelope(parts.join(''));
    if (fault) this.throwFault(method, fault);
    if (status !== 200 || !response) fail('command_failed', `${method}: vCenter answered HTTP ${status} without a result`, { host: this.host });
    return response;
  }

  /** One SOAP call whose response is parsed while it arrives (RetrievePropertiesEx and its continuation). */
  private async callStreaming(method: string, inner: string, reader: RetrieveResponseReader): Promise<void> {
    const status = await this.post(envelope(method, inner), (text) => reader.write(text));
    const { fault, response } = reader.end();
    if (fault) this.throwFault(method, fault);
    if (status !== 200 || !response) fail('command_failed', `${method}: vCenter answered HTTP ${status} without a result`, { host: this.host });
  }

  private throwFault(method: string, fault: SoapFault): never {
    const detail = { faultType: fault.type, method };
    if (fault.type === 'NotAuthenticated')
      fail('auth_failed', `${method}: the vCenter session is not authenticated (${fault.message || 'expired'})`, { host: this.host, details: detail });
    if (fault.type === 'NoPermission')
      fail('permission_denied', `${method}: the account lacks a vCenter privilege (${fault.message})`, {
        host: this.host,
        details: detail,
        remedy: 'grant the account read-only access at the vCenter root, propagated to children',
      });
    fail('command_failed', `${method} failed: ${fault.type}${fault.message ? `: ${fault.message}` : ''}`, { host: this.host, details: detail });
  }

  /** POST one envelope; the body is decoded as UTF-8 and handed to `sink` piece by piece. Resolves with the HTTP status. */
  private post(xml: string, sink: (text: string) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {
        'Content-Type': 'text/xml; charset=utf-8',
        SOAPAction: this.soapAction,
        'Content-Length': String(Buffer.byteLength(xml)),
        'User-Agent': 'asr-deploy',
      };
      if (this.cookie) headers['Cookie'] = this.cookie;
      const req = https.request(
        {
          protocol: 'https:',
          host: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port || 443,
          path: this.url.pathname + this.url.search,
          method: 'POST',
          agent: this.agent,
          headers,
          timeout: this.timeoutMs,
          ...(this.signal ? { signal: this.signal } : {}),
        },
        (res) => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const pair = c.split(';')[0] ?? '';
            if (pair.startsWith('vmware_soap_session=')) this.cookie = pair;
          }
          const decoder = new StringDecoder('utf8');
          let size = 0;
          let failed = false;
          const abandon = (e: Error) => {
            failed = true;
            reject(this.mapNetworkError(e));
            req.destroy();
          };
          const feed = (text: string) => {
            try {
              if (text) sink(text);
            } catch (e) {
              abandon(e as Error);
            }
          };
          res.on('data', (c: Buffer) => {
            if (failed) return;
            size += c.length;
            if (size > MAX_RESPONSE_BYTES)
              return abandon(new AsrFailure('command_failed', `vCenter response larger than ${MAX_RESPONSE_BYTES} bytes`, { host: this.host }));
            feed(decoder.write(c));
          });
          res.on('end', () => {
            if (failed) return;
            feed(decoder.end());
            if (!failed) resolve(res.statusCode ?? 0);
          });
          res.on('error', (e) => reject(this.mapNetworkError(e)));
        },
      );
      req.on('timeout', () => req.destroy(new AsrFailure('timeout', `vCenter ${this.host} did not answer within ${this.timeoutMs} ms`, { host: this.host })));
      req.on('error', (e) => reject(this.mapNetworkError(e)));
      req.end(xml);
    });
  }

  private mapNetworkError(e: Error & { code?: string }): AsrFailure {
    if (e instanceof AsrFailure) return e;
    if (e.name === 'AbortError') return new AsrFailure('cancelled', 'vCenter discovery cancelled', { host: this.host });
    const code = e.code ?? '';
    if (code === 'CERT_HAS_EXPIRED') {
      return new AsrFailure('certificate_expired', `vCenter ${this.host}: the certificate ${this.certificateFingerprint} has expired`, {
        host: this.host,
        remedy: 'renew the vCenter certificate, then scan and pin the new one',
      });
    }
    if (code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code) || code === 'ERR_CERT_PIN') {
      return new AsrFailure('certificate_untrusted', `vCenter ${this.host}: TLS verification failed (${code || e.message})`, { host: this.host });
    }
    if (['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE'].includes(code)) {
      return new AsrFailure('unreachable', `vCenter ${this.host}: ${code} (${e.message})`, { host: this.host });
    }
    return new AsrFailure('command_failed', `vCenter ${this.host}: ${e.message}`, { host: this.host });
  }
}

/** `vc01` → `https://vc01/sdk`; `https://vc01:8443` → `https://vc01:8443/sdk`. Plain HTTP is refused. */
export function normalizeServerUrl(server: string): URL {
  const text = server.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    fail('usage', `--server ${server} is not a host name or an https:// URL`);
  }
  if (url.protocol !== 'https:') fail('usage', `--server ${server}: only https:// is supported (the login would cross the network in clear text)`);
  if (url.username || url.password) fail('usage', '--server must not contain credentials; use --credential');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/sdk';
  return url;
}

async function establishTrust(host: string, port: number, opts: Vim25ConnectOptions): Promise<{ agent: https.Agent; fingerprint: string }> {
  const pin = opts.fingerprint === undefined ? null : normalizeFingerprint(opts.fingerprint);
  if (opts.fingerprint !== undefined && !pin) fail('usage', `--fingerprint ${opts.fingerprint} is not a SHA-256 fingerprint (64 hex digits, colons allowed)`);
  const scanned = await scanTlsCertificate(host, port, {
    timeoutMs: Math.min(opts.timeoutMs ?? 15_000, 15_000),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (pin) {
    if (scanned.fingerprint !== pin) {
      fail('certificate_mismatch', `vCenter ${host}:${port} presented certificate ${scanned.fingerprint} (${scanned.subject}), not the pinned ${pin}`, {
        host,
        remedy:
          'if the vCenter certificate was replaced on purpose, verify the new fingerprint out of band and pass it with --fingerprint; otherwise something is intercepting the connection',
        details: { fingerprint: scanned.fingerprint, pinned: pin },
      });
    }
    // The pinned certificate is the only trust anchor (partial chain: a CA-issued leaf works too),
    // and every new connection must present exactly it; host names do not matter once pinned.
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 4,
      ca: [scanned.pem],
      allowPartialTrustChain: true,
      checkServerIdentity: (_name, cert) => {
        const fp = cert.raw ? sha256Fingerprint(cert.raw) : '';
        if (fp === pin) return undefined;
        return Object.assign(new Error(`certificate ${fp} is not the pinned ${pin}`), { code: 'ERR_CERT_PIN' });
      },
    });
    return { agent, fingerprint: pin };
  }
  if (!scanned.trusted) {
    fail(
      'certificate_untrusted',
      `vCenter ${host}:${port} presented a certificate that is not trusted (${scanned.trustError}); its SHA-256 fingerprint is ${scanned.fingerprint} (${scanned.subject})`,
      {
        host,
        remedy: `verify the fingerprint with the vCenter administrator, then pass --fingerprint ${scanned.fingerprint}`,
        details: { fingerprint: scanned.fingerprint, subject: scanned.subject, notAfter: scanned.notAfter, selfSigned: scanned.selfSigned },
      },
    );
  }
  // Normal verification against the system CAs and the host name.
  return { agent: new https.Agent({ keepAlive: true, maxSockets: 4 }), fingerprint: scanned.fingerprint };
}

function parseServiceContent(res: Element): ServiceContent {
  const rv = returnvals(res)[0];
  if (!rv) fail('command_failed', 'RetrieveServiceContent returned nothing: is this a vCenter /sdk endpoint?');
  const kids = new Map(childElements(rv).map((e) => [e.localName ?? '', e]));
  const need = (name: string): MoRef => {
    const e = kids.get(name);
    if (!e) fail('command_failed', `RetrieveServiceContent lacks ${name}: is this a vCenter /sdk endpoint?`);
    return toMoRef(e);
  };
  const aboutEl = kids.get('about');
  const about = aboutEl ? asObject(toValue(aboutEl)) : null;
  return {
    rootFolder: need('rootFolder'),
    propertyCollector: need('propertyCollector'),
    viewManager: need('viewManager'),
    sessionManager: need('sessionManager'),
    about: {
      fullName: asString(about?.['fullName']) ?? '',
      apiVersion: asString(about?.['apiVersion']) ?? '',
      instanceUuid: asString(about?.['instanceUuid']) ?? '',
      apiType: asString(about?.['apiType']) ?? '',
    },
  };
}

function envelope(method: string, inner: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${method} xmlns="urn:vim25">${inner}</${method}></soapenv:Body></soapenv:Envelope>`
  );
}

function ref(tag: string, m: MoRef): string {
  return `<${tag} type="${escapeXml(m.type)}">${escapeXml(m.value)}</${tag}>`;
}
