import type { Store } from '../store/store.ts';
import type { ServiceEvent } from './contract.ts';

/** What a command handler gets: the store, events to emit, and cancellation. */
export interface HandlerContext {
  store: Store;
  signal: AbortSignal;
  emit: (e: ServiceEvent) => void;
}
