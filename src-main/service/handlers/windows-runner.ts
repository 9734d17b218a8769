import { transportFor } from '../../deploy/connect.ts';
import { fail } from '../../model/errors.ts';
import type { Host } from '../../model/host.ts';
import type { Transport } from '../../remote/transport.ts';
import { validateAddress } from '../../store/hosts.ts';
import type { Store } from '../../store/store.ts';

/**
 * The PowerShell transport to a Windows server named on the command line (`discover vmm
 * --server`, `discover hyperv HOST…`): the inventory row when the server is known (its transport,
 * port and pins), else WinRM HTTPS 5986 with the pinned certificate if any. The credential given
 * is the one used to log in.
 */
export function windowsScriptRunner(store: Store, address: string, credential: string): Transport {
  const known = store.hosts.get(address);
  if (!known) validateAddress(address);
  const host: Host = known
    ? { ...known, credential, os: known.os ?? 'windows' }
    : {
        id: 'transient',
        name: address,
        address,
        os: 'windows',
        transport: 'winrm',
        port: 5986,
        credential,
        tags: [],
        source: 'discovery',
        uuid: null,
        evidence: null,
        facts: null,
      };
  if (host.os !== 'windows')
    fail('validation', `${host.name} is in the inventory as a ${host.os} host; discovery of Hyper-V and VMM needs PowerShell remoting to Windows.`, {
      host: host.name,
      remedy: `asr-deploy hosts add ${host.address} --os windows`,
    });
  const t = transportFor(store, host, store.credentials.secret(credential));
  if (t.kind !== 'powershell') fail('validation', `${host.name}: not reachable over PowerShell remoting.`, { host: host.name });
  return t;
}
