import { fail } from '../model/errors.ts';
import type { Facts } from '../model/facts.ts';
import type { OsFamily } from '../model/host.ts';
import type { Transport } from '../remote/transport.ts';
import { type GatherOptions, gatherLinuxFacts } from './linux.ts';
import { gatherWindowsFacts } from './windows.ts';

export { gatherLinuxFacts, LINUX_FACTS_SCRIPT, parseFactsOutput, type GatherOptions } from './linux.ts';
export { gatherWindowsFacts, WINDOWS_FACTS_SCRIPT, windowsFactsFrom } from './windows.ts';

/** How facts are gathered for one OS family: facts.sh over SSH, facts.ps1 over PowerShell remoting. */
export type FactsGatherer = (transport: Transport, opts?: GatherOptions) => Promise<Facts>;

const gatherers: Partial<Record<OsFamily, FactsGatherer>> = { linux: gatherLinuxFacts, windows: gatherWindowsFacts };

/** Replace the gatherer of a family (another platform, or a packaged app's own). */
export function registerFactsGatherer(family: OsFamily, gatherer: FactsGatherer): void {
  gatherers[family] = gatherer;
}

/** Gather facts with the script of the host's OS family. */
export async function gatherFacts(family: OsFamily, transport: Transport, opts?: GatherOptions): Promise<Facts> {
  const gather = gatherers[family];
  if (!gather) fail('unsupported', `gathering facts from ${family} hosts is not available yet`, { host: transport.host });
  return gather(transport, opts);
}
