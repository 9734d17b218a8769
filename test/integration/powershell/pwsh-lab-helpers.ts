import { PowerShellTransport, type PowerShellTransportOptions } from '../../../src-main/remote/powershell/powershell-transport.ts';
import type { HostState, LabState } from '../../lab/types.ts';

/** PowerShell remoting over SSH to the lab's pwsh host as root, its host key pinned by the lab's known_hosts. */
export function labPowerShellTransport(state: LabState, host: HostState, extra: Partial<PowerShellTransportOptions> = {}): PowerShellTransport {
  return new PowerShellTransport({
    host: host.name,
    address: host.address,
    pwshPath: state.pwsh!.path,
    connection: { kind: 'ssh', user: 'root', keyFilePath: state.users.root.keyPath, knownHostsPath: state.knownHostsPath },
    openTimeoutMs: 15_000,
    ...extra,
  });
}
