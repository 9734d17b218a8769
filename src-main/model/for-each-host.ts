import { AsrFailure, toAsrError, type AsrError } from './errors.ts';

/**
 * The one fan-out over hosts (facts, checks, plans, proxy tests, versions, discovery, jobs): a
 * sliding window of at most `concurrency` items at once, cancellation by AbortSignal, one
 * callback per host as it starts and as it settles, and every outcome as data: a throw is the
 * item's error (`toAsrError`), never a rejection of the whole run. Results keep the input order.
 * It lives in model/ so the service and every feature can use it without an uphill import.
 */

export type HostOutcome<T, R> =
  | { item: T; index: number; ok: true; value: R }
  /** `started: false`: the item never ran (the signal was aborted, or `stopReason` gave a reason). `cause`: what was thrown. */
  | { item: T; index: number; ok: false; error: AsrError; started: boolean; cause: unknown };

export interface ForEachHostOptions<T, R> {
  /** Items running at once (at least 1). */
  concurrency: number;
  /** Once aborted, items not yet started settle as `cancelled` without running; running ones see the signal. */
  signal?: AbortSignal;
  /** The host an item is: named in its error. */
  hostOf?: (item: T) => string | undefined;
  /** Asked before each start: a reason (a failure budget spent…) stops new items; they settle as `cancelled` with it. */
  stopReason?: () => string | null;
  onStart?: (item: T, index: number) => void;
  /** Once per item, in the order they finish; `done` counts the items settled so far. */
  onSettled?: (outcome: HostOutcome<T, R>, progress: { done: number; total: number }) => void;
}

const NEVER_ABORTED = new AbortController().signal;

export async function forEachHost<T, R>(
  items: readonly T[],
  run: (item: T, ctx: { signal: AbortSignal; index: number }) => R | Promise<R>,
  opts: ForEachHostOptions<T, R>,
): Promise<HostOutcome<T, R>[]> {
  const signal = opts.signal ?? NEVER_ABORTED;
  const outcomes = new Array<HostOutcome<T, R>>(items.length);
  const total = items.length;
  let next = 0;
  let done = 0;
  const settle = (o: HostOutcome<T, R>) => {
    outcomes[o.index] = o;
    opts.onSettled?.(o, { done: ++done, total });
  };
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= total) return;
      const item = items[index]!;
      const host = opts.hostOf?.(item);
      const stop = signal.aborted ? 'cancelled' : (opts.stopReason?.() ?? null);
      if (stop) {
        const cause = new AsrFailure('cancelled', stop, { retryable: false, ...(host ? { host } : {}) });
        settle({ item, index, ok: false, error: cause.data, started: false, cause });
        continue;
      }
      opts.onStart?.(item, index);
      try {
        settle({ item, index, ok: true, value: await run(item, { signal, index }) });
      } catch (e) {
        settle({ item, index, ok: false, error: toAsrError(e, host), started: true, cause: e });
      }
    }
  };
  const width = Math.max(1, Math.min(Math.floor(opts.concurrency) || 1, total));
  await Promise.all(Array.from({ length: total ? width : 0 }, worker));
  return outcomes;
}

/** The values of a fan-out whose items are not expected to throw: the first one that did is rethrown as it was. */
export function valuesOrThrow<T, R>(outcomes: readonly HostOutcome<T, R>[]): R[] {
  return outcomes.map((o) => {
    if (!o.ok) throw o.cause;
    return o.value;
  });
}
