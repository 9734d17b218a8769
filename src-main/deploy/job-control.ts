import type { Store } from '../store/store.ts';

/**
 * How a running job is stopped: the caller's signal (Ctrl-C, the window's cancel) or `jobs cancel`
 * from another process, which marks the job `cancelling` in the journal (polled here). `stop()`
 * ends the watch when the run is over.
 */
export function watchJob(store: Store, jobId: string, outer?: AbortSignal): { signal: AbortSignal; stop(): void } {
  const abort = new AbortController();
  const onOuter = () => abort.abort();
  outer?.addEventListener('abort', onOuter, { once: true });
  if (outer?.aborted) abort.abort();
  const poll = setInterval(() => {
    if (store.journal.job(jobId)?.status === 'cancelling') abort.abort();
  }, 500);
  return {
    signal: abort.signal,
    stop: () => {
      clearInterval(poll);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}
