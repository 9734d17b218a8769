import { fail } from '../model/errors.ts';
import type { Facts } from '../model/facts.ts';
import type { OsFamily } from '../model/host.ts';
import type { Transport } from '../remote/transport.ts';
import { type GatherOptions, gatherLinuxFacts } from './linux.ts';

export { gatherLinuxFacts, LINUX_FACTS_SCRIPT, parseFactsOutput, type GatherOptions } from './linux.ts';

/** How facts are gathered for one OS family (the Windows gatherer registers here: facts.ps1). */
export type FactsGatherer = (transport: Transport, opts?: GatherOptions) => Promise<Facts>;

const gatherers: Partial<Record<OsFamily, FactsGatherer>> = { linux: gatherLinuxFacts };

/** The seam for the Windows engineer: `registerFactsGatherer('windows', gatherWindowsFacts)`. */
export function registerFactsGatherer(family: OsFamily, gatherer: FactsGatherer): void {
  gatherers[family] = gatherer;
}

/** Gather facts with the script of the host's OS family. */
export async function gatherFacts(family: OsFamily, transport: Transport, opts?: GatherOptions): Promise<Facts> {
  const gather = gatherers[family];
  if (!gather) fail('unsupported', `gathering facts from ${family} hosts is not available yet`, { host: transport.host });
  return gather(transport, opts);
}
