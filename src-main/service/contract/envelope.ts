import type { AsrError } from '../../model/errors.ts';

/** Result envelope: errors are data across every boundary. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: AsrError };
