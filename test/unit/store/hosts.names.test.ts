// Issue 12 item 10: host names (and addresses) with terminal escapes or bidi controls are refused,
// by hosts add, a host file, and everything else that stores a host.
import { describe, expect, it } from 'vitest';
import { parseHostFile } from '../../../src-main/discovery/import/host-file.ts';
import { createService } from '../../../src-main/service/service.ts';
import { LazyVaultStore } from '../../../src-main/store/secrets/vault.ts';
import { openStore } from '../../../src-main/store/store.ts';
import { tempHome } from '../../helpers/cli.ts';

const BAD = ['\x1b]0;owned\x07web1', 'web\x1b[2J', 'a\u202egnp.exe', 'x\u2066y', 'cr\rlf', 'nul\0', 'del\x7f', 'c1\x9b31m'];

describe('host names a terminal would act on', () => {
  it.each(BAD)('%j is refused by hosts add as a name and as an address; nothing is stored', async (bad) => {
    const store = openStore(tempHome(), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key'));
    const s = createService(store);
    expect(await s.call('hosts.add', { address: '10.7.0.1', name: bad })).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(await s.call('hosts.add', { address: bad })).toMatchObject({ ok: false, error: { code: 'validation' } });
    expect(() => store.hosts.upsert({ address: '10.7.0.2', name: bad, source: 'vcenter' })).toThrow();
    expect(store.hosts.list()).toEqual([]);
    store.close();
  });

  it('a host file row with one is refused with its line', () => {
    const { errors } = parseHostFile(
      'h.json',
      JSON.stringify([
        { address: '10.7.0.3', name: 'ok-name' },
        { address: '10.7.0.4', name: 'evil\x1b[31m' },
      ]),
    );
    expect(errors).toMatchObject([{ line: 2, message: expect.stringMatching(/control characters/) }]);
  });

  it('ordinary international names stay allowed', async () => {
    const s = createService(openStore(tempHome(), (db) => new LazyVaultStore(db, () => 'unit-test-vault-key')));
    expect(await s.call('hosts.add', { address: '10.7.0.5', name: 'sérveur-日本-01' })).toMatchObject({ ok: true });
  });
});
