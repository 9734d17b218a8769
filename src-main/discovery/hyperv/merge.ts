import type { HostInput } from '../../model/host.ts';
import type { HostRepository, UpsertOutcome } from '../../store/hosts.ts';

/**
 * Puts discovered Windows hosts into the inventory through the repository's one merge
 * (`upsert`: same address → same row, tags unioned). A host already known under its name, its
 * short name or its address keeps its row: the input is aimed at that row's address, and an OS
 * family / transport already chosen for it is not overwritten by discovery's defaults.
 */
export function mergeDiscoveredHosts(
  hosts: HostRepository,
  inputs: readonly HostInput[],
  aliases: (input: HostInput) => string[] = defaultAliases,
): { hostId: string; outcome: UpsertOutcome }[] {
  return inputs.map((input) => {
    const existing = [input.address, ...aliases(input)].map((k) => hosts.get(k)).find((h) => h !== undefined);
    let next: HostInput = input;
    if (existing) {
      next = { ...input, address: existing.address };
      if (existing.os) delete next.os;
      if (existing.transport) {
        delete next.transport;
        delete next.port;
      }
      if (existing.credential) delete next.credential;
    }
    const { host, outcome } = hosts.upsert(next);
    return { hostId: host.id, outcome };
  });
}

/** `hv01.contoso.local` is also known as `hv01` (NetBIOS name) and `HV01`. */
function defaultAliases(input: HostInput): string[] {
  const out = new Set<string>();
  const short = input.address.includes('.') && !/^\d+\.\d+\.\d+\.\d+$/.test(input.address) ? input.address.split('.')[0]! : null;
  for (const n of [short, input.name, input.address.toLowerCase(), input.address.toUpperCase(), short?.toLowerCase(), short?.toUpperCase()]) if (n) out.add(n);
  return [...out];
}
