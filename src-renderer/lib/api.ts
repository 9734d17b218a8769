import type { CommandInput, CommandName, CommandOutput, Result, ServiceEvent } from '../../src-main/service/contract.ts';
import type { AsrDeployBridge, ChooseRequest, ChooseResult } from '../../src-main/service/contract/ui.ts';
import type { PlannedCommands } from './planned-commands.ts';

/**
 * The renderer's one way to the service: `window.asrDeploy` in the desktop app, else the
 * loopback WebSocket of `asr-deploy serve`. Calls by contract name, results are envelopes.
 */

export type Name = CommandName | keyof PlannedCommands;
export type In<N extends Name> = N extends CommandName ? CommandInput<N> : N extends keyof PlannedCommands ? PlannedCommands[N]['input'] : never;
export type Out<N extends Name> = N extends CommandName ? CommandOutput<N> : N extends keyof PlannedCommands ? PlannedCommands[N]['output'] : never;
export type AsrErrorData = Extract<Result<unknown>, { ok: false }>['error'];
export type ComponentId = In<'check.run'>['component'];
export type { ServiceEvent };

/** A command this build does not have: the service (or preload) says `usage` "Unknown command X". */
export function isUnavailable(error: AsrErrorData | undefined): boolean {
  return !!error && error.code === 'usage' && /^Unknown command/.test(error.message);
}

interface Transport {
  call(name: string, input: unknown): Promise<Result<unknown>>;
  onEvent(listener: (e: ServiceEvent) => void): () => void;
  choose?(request: ChooseRequest): Promise<ChooseResult | null>;
}

/** A file the service holds for this window: its handle (what commands take) and the name to show. */
export interface ChosenFile {
  handle: string;
  name: string;
  /** Several uploaded files in one folder: their names. */
  files?: string[];
}

/** Raw bytes per upload part (the contract's limit is 6 MiB). */
const CHUNK = 4 * 1024 * 1024;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function sha256Hex(data: ArrayBuffer): Promise<string | undefined> {
  // crypto.subtle exists on secure origins (127.0.0.1 and app:// are); hash files up to 256 MiB in one go.
  if (!globalThis.crypto?.subtle || data.byteLength > 256 * 1024 * 1024) return undefined;
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const lost = (message: string): Result<never> => ({
  ok: false,
  error: {
    code: 'unreachable',
    message,
    remedy: 'Check that `asr-deploy serve` is still running, then reload this page (open a fresh link if it asks you to sign in).',
    retryable: true,
  },
});

/** JSON over the loopback WebSocket: `{id, name, input}` out, `{id, result}` and `{event}` in; reconnects with back-off. */
class SocketTransport implements Transport {
  private ws: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Result<unknown>) => void>();
  private readonly listeners = new Set<(e: ServiceEvent) => void>();
  private retryMs = 250;
  readonly url: string;
  private readonly protocols: string[];

  constructor(url: string, protocols: string[] = []) {
    this.url = url;
    this.protocols = protocols;
  }

  private open(): Promise<WebSocket> {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.opening) return this.opening;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = this.protocols.length ? new WebSocket(this.url, this.protocols) : new WebSocket(this.url);
      ws.onopen = () => {
        this.ws = ws;
        this.opening = null;
        this.retryMs = 250;
        resolve(ws);
      };
      ws.onmessage = (m) => this.receive(String(m.data));
      ws.onclose = () => {
        this.opening = null;
        if (this.ws === ws) this.ws = null;
        for (const [, done] of this.pending) done(lost('The connection to asr-deploy was lost before the answer came.'));
        this.pending.clear();
        reject(new Error('closed'));
        // Keep a connection when someone listens for events (a job's progress).
        if (this.listeners.size) setTimeout(() => void this.open().catch(() => {}), (this.retryMs = Math.min(this.retryMs * 2, 5000)));
      };
    });
    return this.opening;
  }

  private receive(text: string): void {
    let msg: { id?: number; result?: Result<unknown>; event?: ServiceEvent };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.event) for (const l of this.listeners) l(msg.event);
    if (msg.result && typeof msg.id === 'number') {
      this.pending.get(msg.id)?.(msg.result);
      this.pending.delete(msg.id);
    }
  }

  async call(name: string, input: unknown): Promise<Result<unknown>> {
    let ws: WebSocket;
    try {
      ws = await this.open();
    } catch {
      return lost('Cannot reach asr-deploy: the connection was refused.');
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      ws.send(JSON.stringify({ id, name, input }));
    });
  }

  onEvent(listener: (e: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    void this.open().catch(() => {});
    return () => this.listeners.delete(listener);
  }
}

class BridgeTransport implements Transport {
  private readonly bridge: AsrDeployBridge;
  constructor(bridge: AsrDeployBridge) {
    this.bridge = bridge;
  }
  call(name: string, input: unknown) {
    return this.bridge.call(name, input);
  }
  onEvent(listener: (e: ServiceEvent) => void) {
    return this.bridge.onEvent(listener);
  }
  choose(request: ChooseRequest) {
    return this.bridge.choose(request);
  }
}

export class Api {
  private readonly transport: Transport;
  private available: Set<string> | null = null;
  readonly mode: 'desktop' | 'browser';

  constructor(transport: Transport, mode: 'desktop' | 'browser') {
    this.transport = transport;
    this.mode = mode;
  }

  /** Calls a command; never throws (a broken transport comes back as an `unreachable` error). */
  async call<N extends Name>(name: N, input: In<N>): Promise<Result<Out<N>>> {
    try {
      return (await this.transport.call(name, input)) as Result<Out<N>>;
    } catch (e) {
      return { ok: false, error: { code: 'internal', message: e instanceof Error ? e.message : String(e), retryable: false } };
    }
  }

  onEvent(listener: (e: ServiceEvent) => void): () => void {
    return this.transport.onEvent(listener);
  }

  /** Learns which commands this build has (ui.commands); before that, everything is assumed present. */
  async loadCommands(): Promise<void> {
    const r = await this.call('ui.commands', {});
    if (r.ok) this.available = new Set(r.value);
  }

  has(name: string): boolean {
    return this.available ? this.available.has(name) : true;
  }

  /** The desktop app has native dialogs; the browser page uploads. */
  get canChoose(): boolean {
    return !!this.transport.choose;
  }

  /** Desktop: a native dialog; the path stays in the main process. null: cancelled. */
  async choose(request: ChooseRequest): Promise<ChosenFile | null> {
    return this.transport.choose ? await this.transport.choose(request) : null;
  }

  /**
   * Browser: uploads files into one private folder of this session (contract/files.ts) and
   * returns the handle of the file (one file) or of the folder (several, `asFolder`).
   */
  async upload(files: readonly File[], opts: { asFolder?: boolean; onProgress?: (sent: number, total: number) => void } = {}): Promise<Result<ChosenFile>> {
    if (!files.length) return { ok: false, error: { code: 'validation', message: 'No file was chosen.', retryable: false } };
    const total = files.reduce((n, f) => n + f.size, 0);
    let sent = 0;
    let folder: string | undefined;
    let first: { handle: string; name: string } | undefined;
    for (const f of files) {
      const b = await this.call('ui.files.begin', { name: f.name, size: f.size, ...(folder ? { folder } : {}) });
      if (!b.ok) return b;
      folder = b.value.folder;
      first ??= { handle: b.value.handle, name: b.value.name };
      for (let off = 0; off < f.size || (off === 0 && f.size === 0); off += CHUNK) {
        if (f.size === 0) break;
        const part = new Uint8Array(await f.slice(off, off + CHUNK).arrayBuffer());
        const c = await this.call('ui.files.chunk', { handle: b.value.handle, offset: off, data: toBase64(part) });
        if (!c.ok) return c;
        sent += part.length;
        opts.onProgress?.(sent, total);
      }
      const sha256 = f.size <= 256 * 1024 * 1024 ? await sha256Hex(await f.arrayBuffer()) : undefined;
      const done = await this.call('ui.files.finish', { handle: b.value.handle, ...(sha256 ? { sha256 } : {}) });
      if (!done.ok) return done;
    }
    if (opts.asFolder)
      return { ok: true, value: { handle: folder!, name: files.length === 1 ? files[0]!.name : `${files.length} files`, files: files.map((f) => f.name) } };
    return { ok: true, value: first! };
  }
}

export function createApi(): Api {
  if (typeof window !== 'undefined' && window.asrDeploy) return new Api(new BridgeTransport(window.asrDeploy), 'desktop');
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new Api(new SocketTransport(`${scheme}//${location.host}/ws`, socketKeyProtocols()), 'browser');
}

/**
 * The server's second secret (server.ts): it comes once in the sign-in redirect's fragment, is
 * kept for this tab only and taken out of the address bar, and goes with every WebSocket handshake.
 */
function socketKeyProtocols(): string[] {
  const m = /^#k=([A-Za-z0-9_-]{20,})$/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('asr.wsKey', m[1]!);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const key = sessionStorage.getItem('asr.wsKey');
  return key ? [`asr-key.${key}`] : [];
}

export const api = createApi();
