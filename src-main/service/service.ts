import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { z } from 'zod';
import { AsrFailure, toAsrError, type AsrError } from '../model/errors.ts';
import { redactValue } from '../model/redact.ts';
import { useStoredCatalog } from '../components/catalog-update.ts';
import type { Store } from '../store/store.ts';
import {
  commands,
  EventSchema,
  type CallOptions,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type FrontEnd,
  type Result,
  type ServiceApi,
  type ServiceEvent,
} from './contract.ts';
import { FILE_INPUTS } from './contract/files.ts';
import type { HandlerContext } from './context.ts';
import { FileGrants, isHandle } from './files.ts';
import { deployHandlers } from './handlers/deploy.ts';
import { discoveryHandlers } from './handlers/discovery.ts';
import { trustHandlers } from './handlers/trust.ts';
import { checkHandlers } from './handlers/check.ts';
import { reportHandlers } from './handlers/report.ts';
import { updatesHandlers } from './handlers/updates.ts';
import * as inventory from './handlers/inventory.ts';
import { uiHandlers } from './handlers/ui.ts';
import { exportHandlers } from './handlers/export.ts';
import { proxyHandlers } from './handlers/proxy.ts';
import { filesHandlers } from './handlers/files.ts';

import type { Handler, Handlers } from './handlers/types.ts';

/** Every command of the contract has exactly one handler: a missing one is a type error here. */
const handlers: Handlers = {
  ...inventory.inventoryHandlers,
  ...deployHandlers,
  ...trustHandlers,
  ...discoveryHandlers,
  ...checkHandlers,
  ...reportHandlers,
  ...updatesHandlers,
  ...uiHandlers,
  ...exportHandlers,
  ...proxyHandlers,
  ...filesHandlers,
};

/** The in-process service: the contract's one function, plus the file grants the desktop app's dialogs add to. */
export interface LocalService extends ServiceApi {
  readonly files: FileGrants;
  /** Removes this session's uploads. */
  dispose(): void;
}

/** Uploads of sessions that ended without cleaning up (a killed server) are removed after a day. */
const STALE_UPLOADS_MS = 24 * 3600_000;

function removeStaleUploads(home: string): void {
  const root = join(home, 'uploads');
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(root, n);
    try {
      if (Date.now() - statSync(p).mtimeMs > STALE_UPLOADS_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      /* another session removed it */
    }
  }
}

/** Path words a window must not see: granted paths become their display names, the data folder a phrase. */
function scrubber(pairs: [string, string][]): (s: string) => string {
  const sorted = pairs.filter(([p]) => p.length > 1).sort((a, b) => b[0].length - a[0].length);
  return (s) => {
    let out = s;
    for (const [p, name] of sorted) out = out.split(p).join(name);
    return out;
  };
}

function deepStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => deepStrings(x, f));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepStrings(x, f)]));
  return v;
}

function scrubError(e: AsrError, scrub: (s: string) => string): AsrError {
  return deepStrings(e, scrub) as AsrError;
}

/** An output string that is exactly a granted path (report.create's `out`) is given back as its display name. */
function scrubOutput(v: unknown, paths: Map<string, string>): unknown {
  if (typeof v === 'string') return paths.get(v) ?? v;
  if (Array.isArray(v)) return v.map((x) => scrubOutput(x, paths));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubOutput(x, paths)]));
  return v;
}

const issuesOf = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');

/** Events leave only in the contract's shape; one that does not parse is reported, never sent (nor thrown into the job emitting it). */
export function checkedEmit(onEvent: (e: ServiceEvent) => void): (e: ServiceEvent) => void {
  return (e) => {
    const checked = EventSchema.safeParse(e);
    if (checked.success) return onEvent(e);
    onEvent({
      type: 'log',
      level: 'error',
      message: `An event outside the service contract was not sent (${issuesOf(checked.error)}).`,
      ...(typeof e?.jobId === 'string' ? { jobId: e.jobId } : {}),
    });
  };
}

/** An internal error when a command's output does not parse with its contract schema, else null. */
export function outputError(name: CommandName, value: unknown): AsrError | null {
  const checked = (commands[name].output as z.ZodType).safeParse(value);
  return checked.success
    ? null
    : { code: 'internal', message: `${name} returned output outside the service contract: ${issuesOf(checked.error)}`, retryable: false };
}

/** The service behind every front end: validates input, runs the handler, checks its output and events against the contract, returns a Result envelope. */
export function createService(store: Store): LocalService {
  useStoredCatalog(store.home);
  removeStaleUploads(store.home);
  const files = new FileGrants(store.home);
  return {
    files,
    dispose: () => files.dispose(),
    async call<N extends CommandName>(name: N, input: CommandInput<N>, opts: CallOptions = {}): Promise<Result<CommandOutput<N>>> {
      const spec = commands[name];
      if (!spec) return { ok: false, error: { code: 'usage', message: `Unknown command ${String(name)}.`, retryable: false } };
      const parsed = (spec.input as z.ZodType).safeParse(input);
      if (!parsed.success) {
        return {
          ok: false,
          error: { code: 'validation', message: parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '), retryable: false },
        };
      }
      const frontEnd: FrontEnd = opts.frontEnd ?? 'cli';
      const data = parsed.data as Record<string, unknown>;
      // A window names files by handle only; the handle is swapped for the path here, before any handler runs.
      const granted = new Map<string, string>();
      const windowed = frontEnd !== 'cli';
      try {
        if (windowed)
          for (const [field, f] of Object.entries(FILE_INPUTS[name] ?? {})) {
            const v = data[field];
            if (v === undefined || v === null) continue;
            if (typeof v !== 'string') continue;
            if (f.urls && /^https?:\/\//i.test(v)) continue;
            if (!isHandle(v)) {
              return {
                ok: false,
                error: {
                  code: 'permission_denied',
                  message: `${f.label}: the window cannot name a file or folder on the ASR Deploy machine.`,
                  remedy:
                    f.kind === 'save'
                      ? 'Save the report with the Save… button (desktop) or download it (browser).'
                      : `Choose the ${f.kind === 'dir' ? 'files' : 'file'} with the ${f.label} button: ${frontEnd === 'desktop' ? 'a dialog opens' : 'it is uploaded from your computer'}.`,
                  retryable: false,
                },
              };
            }
            const g = files.resolve(v, f.kind, f.label);
            data[field] = g.path;
            granted.set(g.path, g.name);
          }
      } catch (e) {
        return { ok: false, error: toAsrError(e) };
      }
      // Every event and every answer leaves through the one redactor (model/redact.ts), and in the contract's shape.
      const onEvent = opts.onEvent;
      const ctx: HandlerContext = {
        store,
        signal: opts.signal ?? new AbortController().signal,
        emit: onEvent ? checkedEmit((ev) => onEvent(redactValue(ev))) : () => {},
        files,
        frontEnd,
      };
      try {
        const handler = handlers[name] as Handler<N>;
        const value = await handler(data as never, ctx);
        // Output as the contract promises it (the value itself is returned: fields a schema does not name stay).
        const outside = outputError(name, value);
        if (outside) return { ok: false, error: outside };
        return { ok: true, value: redactValue(granted.size ? scrubOutput(value, granted) : value) as CommandOutput<N> };
      } catch (e) {
        if (!(e instanceof AsrFailure) && process.env.ASR_DEPLOY_DEBUG) console.error(e);
        const error = redactValue(toAsrError(e));
        if (!windowed) return { ok: false, error };
        const pairs: [string, string][] = [...granted].flatMap(([p, n]): [string, string][] => [
          [p, `"${n}"`],
          [dirname(p), 'the uploaded folder'],
        ]);
        pairs.push([files.root, 'the upload folder'], [store.home, 'the ASR Deploy data folder']);
        return { ok: false, error: scrubError(error, scrubber(pairs)) };
      }
    },
  };
}
