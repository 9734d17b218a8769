import { describe, expect, it } from 'vitest';
import type { ServiceEvent } from '../../../src-main/service/contract.ts';
import { checkedEmit, outputError } from '../../../src-main/service/service.ts';

/** Outputs and events are held to the contract at run time, not only inputs. */
describe('service: outputs and events against the contract', () => {
  it('an output outside its schema is an internal error naming the field; one inside passes, extra fields and all', () => {
    expect(outputError('ui.commands', ['hosts.list'])).toBeNull();
    expect(
      outputError('jobs.list', [{ id: 'j', kind: 'apply', planId: null, status: 'finished', createdAt: 'x', updatedAt: 'x', counts: {}, outcome: {} }]),
    ).toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/^jobs\.list returned output outside the service contract: 0\.status: /),
    });
  });

  it('an event outside the schema is not sent: a log line says so instead, with the job id', () => {
    const sent: ServiceEvent[] = [];
    const emit = checkedEmit((e) => sent.push(e));
    emit({ type: 'job', jobId: 'j-1', status: 'running' });
    emit({ type: 'job', jobId: 'j-1', status: 'finished' } as never);
    emit({ type: 'host-step', jobId: 'j-1', host: 'h', step: 'install', status: 'paused' } as never);
    expect(sent[0]).toEqual({ type: 'job', jobId: 'j-1', status: 'running' });
    expect(sent.slice(1)).toEqual([
      { type: 'log', level: 'error', jobId: 'j-1', message: expect.stringMatching(/event outside the service contract was not sent \(status: /) },
      { type: 'log', level: 'error', jobId: 'j-1', message: expect.stringMatching(/event outside the service contract was not sent \(status: /) },
    ]);
  });
});
