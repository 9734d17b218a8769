import type { Store } from '../store/store.ts';
import type { FrontEnd, ServiceEvent } from './contract.ts';
import type { FileGrants } from './files.ts';

/** What a command handler gets: the store, events to emit, and cancellation. */
export interface HandlerContext {
  store: Store;
  signal: AbortSignal;
  emit: (e: ServiceEvent) => void;
  /** This service's uploads and dialog choices (contract/files.ts). */
  files: FileGrants;
  frontEnd: FrontEnd;
}
