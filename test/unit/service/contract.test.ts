import { describe, expect, it } from 'vitest';
import { AsrFailure, EXIT, exitCodeFor, toAsrError } from '../../../src-main/model/errors.ts';
import { commands, EventSchema, redact } from '../../../src-main/service/contract.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { tempHome } from '../../helpers/cli.ts';

const service = () => createService(openStore(tempHome(), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key')));

describe('service contract', () => {
  it('every command declares a summary and input/output schemas', () => {
    for (const [name, spec] of Object.entries(commands)) {
      expect(spec.summary, name).toMatch(/\S/);
      expect(typeof spec.input.safeParse, name).toBe('function');
      expect(typeof spec.output.safeParse, name).toBe('function');
    }
  });

  it('rejects input that breaks the schema as a validation error (exit 2), before any handler runs', async () => {
    const s = service();
    const r = await s.call('hosts.add', { address: '10.1.1.1', os: 'solaris' as never });
    expect(r).toMatchObject({ ok: false, error: { code: 'validation', retryable: false } });
    if (!r.ok) expect(exitCodeFor(r.error.code)).toBe(EXIT.usage);
    const list = await s.call('hosts.list', {});
    expect(list).toEqual({ ok: true, value: [] });
  });

  it('returns errors as data with code, message, remedy and retryable', async () => {
    const r = await service().call('hosts.remove', { hosts: 'nope' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'not_found', retryable: false, remedy: expect.stringContaining('hosts list') });
  });

  it('credentials need exactly one of password or key', async () => {
    const r = await service().call('credentials.add', { name: 'x', user: 'u' });
    expect(r).toMatchObject({ ok: false, error: { code: 'validation' } });
  });

  it('maps codes to the CLI exit codes of cli.md', () => {
    expect(exitCodeFor('usage')).toBe(2);
    expect(exitCodeFor('validation')).toBe(2);
    expect(exitCodeFor('cancelled')).toBe(3);
    expect(exitCodeFor('prerequisite_failed')).toBe(4);
    expect(exitCodeFor('auth_failed')).toBe(1);
    expect(new AsrFailure('auth_failed', 'x').data.retryable).toBe(false);
    expect(new AsrFailure('unreachable', 'x').data.retryable).toBe(true);
    expect(toAsrError(new Error('boom'))).toMatchObject({ code: 'internal', message: 'boom', retryable: false });
  });

  it('events are validated by one discriminated schema', () => {
    expect(EventSchema.safeParse({ type: 'host-step', jobId: 'j', host: 'h', step: 'stage', status: 'started' }).success).toBe(true);
    expect(EventSchema.safeParse({ type: 'host-step', jobId: 'j', host: 'h', step: 'stage', status: 'exploded' }).success).toBe(false);
  });

  it('redacts secret fields at any depth', () => {
    expect(redact({ name: 'c', password: 'p', nested: [{ sudoPassword: 's', user: 'u' }] })).toEqual({
      name: 'c',
      password: '[redacted]',
      nested: [{ sudoPassword: '[redacted]', user: 'u' }],
    });
  });
});
