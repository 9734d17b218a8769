import { isIP } from 'node:net';
import type { CheckSettings } from '../checks/types.ts';
import type { Catalog } from '../components/catalog.ts';
import { fail } from '../model/errors.ts';

/**
 * Where a Mobility service registers: a modernized replication appliance (`--appliance`, CSPrime,
 * a config file per machine) or a classic configuration server (`--cs` + passphrase).
 */

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** A host name (RFC 1123 labels) or an IPv4/IPv6 address; anything else is refused with a named error (exit 2). */
export function validateServerAddress(value: string, flag: '--cs' | '--ps' | '--appliance'): string {
  const v = value.trim();
  const bare = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
  if (isIP(bare)) return bare;
  const name = v.endsWith('.') ? v.slice(0, -1) : v;
  const ok = name.length > 0 && name.length <= 253 && name.split('.').every((l) => LABEL.test(l)) && !/^\d+(\.\d+)*$/.test(name);
  if (!ok) {
    const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    fail('usage', `${flag} ${shown} is not a host name or an IP address.`, {
      remedy: `Give the ${flag === '--appliance' ? 'replication appliance' : flag === '--cs' ? 'configuration server' : 'process server'} as a name (appliance01.contoso.local) or an address (10.0.0.5, fd00::5), without a scheme, port or path.`,
      details: { reason: 'invalid_address', flag },
    });
  }
  return name;
}

export interface RegistrationInput {
  cs?: string | undefined;
  ps?: string | undefined;
  appliance?: string | undefined;
}

/** Validated targets: the appliance and the configuration server exclude each other. */
export function resolveRegistration(input: RegistrationInput): { cs: string | null; ps: string | null; appliance: string | null } {
  if (input.appliance !== undefined && (input.cs !== undefined || input.ps !== undefined)) {
    fail('usage', '--appliance (modernized) and --cs/--ps (classic) name two architectures; a plan registers with one.', {
      remedy: 'Use --appliance ADDRESS for the replication appliance, or --cs ADDRESS --passphrase-file FILE for a classic configuration server.',
      details: { reason: 'two_registration_targets' },
    });
  }
  return {
    cs: input.cs !== undefined ? validateServerAddress(input.cs, '--cs') : null,
    ps: input.ps !== undefined ? validateServerAddress(input.ps, '--ps') : null,
    appliance: input.appliance !== undefined ? validateServerAddress(input.appliance, '--appliance') : null,
  };
}

/** Check settings for a registration target, with the classic retirement date from the catalog's data. */
export function registrationSettings(catalog: Catalog, r: { cs: string | null; ps: string | null; appliance: string | null }): CheckSettings {
  const classic = catalog.component('mobility-service').architectures?.classic;
  return {
    configurationServer: r.cs,
    processServer: r.ps,
    appliance: r.appliance,
    classicRetired: classic ? { date: classic.retired, source: 'resources/catalog/mobility-service.json, architectures.classic' } : null,
  };
}
