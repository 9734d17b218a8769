import type { ServiceEvent } from '../service/contract.ts';
import type { Output } from './io.ts';

/** Long work shows progress on stderr: step transitions always, byte counts with --verbose. */
export function progressPrinter(out: Output): (e: ServiceEvent) => void {
  return (e) => {
    switch (e.type) {
      case 'progress':
        out.info(`[${e.done}/${e.total}] ${e.message ?? ''}`);
        break;
      case 'host-step': {
        const secs = e.elapsedMs !== undefined ? ` ${(e.elapsedMs / 1000).toFixed(1)}s` : '';
        if (e.bytes !== undefined) {
          out.debug(`${e.host}: ${e.step} ${Math.round((e.bytes / Math.max(1, e.totalBytes ?? e.bytes)) * 100)}% (${(e.bytes / 1048576).toFixed(1)} MiB)${secs}`);
          return;
        }
        const err = e.error ? ` — ${e.error.code}: ${e.error.message}` : '';
        if (e.status === 'started') out.debug(`${e.host}: ${e.step}…${secs}`);
        else out.info(`${e.host}: ${e.step} ${e.status}${secs}${err}`);
        break;
      }
      case 'job':
        out.info(`job ${e.jobId}: ${e.status}`);
        break;
      case 'log':
        if (e.level === 'debug') out.debug(e.message);
        else out.info(e.message);
        break;
    }
  };
}
