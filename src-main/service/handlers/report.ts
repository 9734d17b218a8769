import type { CheckRunDocument } from '../../checks/index.ts';
import { fail } from '../../model/errors.ts';
import { renderCheckReport } from '../../reports/check-report.ts';
import { jobReport } from '../../reports/job.ts';
import { renderJobReport } from '../../reports/job-report.ts';
import { writeReportFile } from '../../reports/write-report.ts';
import type { Store } from '../../store/store.ts';
import type { CommandInput } from '../contract.ts';
import type { HandlerContext } from '../context.ts';
import type { HandlerPart } from './types.ts';

/** Reports of a job or a check run, written to a file or returned as text. */
export const reportHandlers = {
  'report.create': (input: CommandInput<'report.create'>, { store }: HandlerContext) => {
    const { kind, id } = resolveReportId(store, input.id);
    const content = kind === 'job' ? renderJobReport(jobReport(store, id), input.format) : renderCheckReport(checkRun(store, id), input.format);
    if (input.out) {
      writeReportFile(input.out, content);
      return { id, kind, format: input.format, out: input.out };
    }
    return { id, kind, format: input.format, out: null, content };
  },
} satisfies HandlerPart<'report.create'>;

function checkRun(store: Store, id: string): CheckRunDocument {
  const doc = store.checkRuns.get(id);
  if (doc === undefined) fail('not_found', `No check run ${id}.`);
  return doc as CheckRunDocument;
}

function resolveReportId(store: Store, id: string): { kind: 'job' | 'check'; id: string } {
  if (id === 'latest') {
    const job = store.journal.latest();
    const check = store.checkRuns.latest();
    if (!job && !check) fail('not_found', 'There is no job or check run to report on yet.', { remedy: 'Run `asr-deploy check` or `asr-deploy apply` first.' });
    if (job && (!check || job.createdAt >= check.createdAt)) return { kind: 'job', id: job.id };
    return { kind: 'check', id: check!.id };
  }
  if (store.journal.job(id)) return { kind: 'job', id };
  if (store.checkRuns.has(id)) return { kind: 'check', id };
  return fail('not_found', `No job or check run ${id}.`, { remedy: 'See `asr-deploy jobs list`.' });
}
