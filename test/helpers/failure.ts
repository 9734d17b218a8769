import { AsrFailure, type AsrError } from '../../src-main/model/errors.ts';

/** The AsrError a promise rejects with; any other outcome fails the test. */
export async function failureOf(p: Promise<unknown>): Promise<AsrError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AsrFailure) return e.data;
    throw e;
  }
  throw new Error('expected a failure');
}
