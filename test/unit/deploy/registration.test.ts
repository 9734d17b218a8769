import { describe, expect, it } from 'vitest';
import { registrationSettings, resolveRegistration, validateServerAddress } from '../../../src-main/deploy/registration.ts';
import { loadCatalog } from '../../../src-main/components/catalog.ts';
import { AsrFailure, exitCodeFor } from '../../../src-main/model/errors.ts';

describe('--cs / --appliance addresses', () => {
  it.each(['10.0.0.5', 'fd00::5', '[fd00::5]', 'appliance01', 'appliance01.contoso.local', 'APPLIANCE-01.contoso.local.', 'xn--srveur-bva.contoso.local'])(
    'accepts %s',
    (a) => {
      expect(() => validateServerAddress(a, '--appliance')).not.toThrow();
    },
  );
  it.each([
    '',
    ' ',
    'https://appl01',
    'appl01:443',
    'appl01/path',
    'a b',
    '-appl',
    'appl-.x',
    '10.0.0.256',
    '1.2.3',
    'a..b',
    '$(reboot)',
    'x'.repeat(64),
    'appl\u001b[31m',
    'sérveur',
  ])('refuses %j with a named error (exit 2)', (a) => {
    try {
      validateServerAddress(a, '--appliance');
      expect.unreachable();
    } catch (e) {
      const d = (e as AsrFailure).data;
      expect(d.code).toBe('usage');
      expect(exitCodeFor(d.code)).toBe(2);
      expect(d.details?.reason).toBe('invalid_address');
      expect(d.message).toContain('--appliance');
      expect(d.message).not.toContain('\u001b');
      expect(d.remedy).toBeTruthy();
    }
  });
  it('the appliance and a configuration server exclude each other', () => {
    expect(() => resolveRegistration({ cs: '10.0.0.5', appliance: '10.0.0.6' })).toThrow(/two architectures/);
    expect(resolveRegistration({ appliance: 'Appl01.' })).toEqual({ cs: null, ps: null, appliance: 'Appl01' });
  });
  it('classic carries the retirement date from the catalog data', () => {
    const s = registrationSettings(loadCatalog(), { cs: '10.0.0.5', ps: null, appliance: null });
    expect(s.classicRetired?.date).toBe(loadCatalog().component('mobility-service').architectures!.classic.retired);
    expect(s.classicRetired?.date).toBe('2026-03-30');
  });
});
