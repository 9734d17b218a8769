// Vitest global setup: brings the lab up once for the whole run (or reuses the one that
// ASR_LAB_STATE=/path/state.json points at when it is alive) and provides it to the tests as
// `lab`; when the lab cannot run here, provides `lab: null` and `labReason` saying why.
// ASR_LAB=off skips it; so does a run that only selects unit tests (`vitest run test/unit`).

import type { TestProject } from 'vitest/node';
import { isLabAlive, labDown, labUnavailableReason, labUp, readLabState } from './lab.ts';
import type { LabState } from './types.ts';
import './inject.ts';

function onlyUnitTests(): boolean {
  // Positional CLI filters after `vitest [run|watch|…]`; when every one of them is under
  // test/unit, no test can use the lab.
  const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const filters = args.filter((a) => !['run', 'watch', 'dev', 'related', 'bench'].includes(a) && !a.endsWith('vitest.mjs') && !a.endsWith('/vitest'));
  return filters.length > 0 && filters.every((f) => /^(\.\/)?test\/unit(\/|$)/.test(f));
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const skip = (reason: string): undefined => {
    project.provide('lab', null);
    project.provide('labReason', reason);
    return undefined;
  };
  if (process.env.ASR_LAB === 'off' || process.env.ASR_LAB === '0') return skip('ASR_LAB=off');
  if (onlyUnitTests()) return skip('only unit tests were selected');
  const why = labUnavailableReason();
  if (why) return skip(why);

  const reuse = process.env.ASR_LAB_STATE;
  if (reuse) {
    let state: LabState | undefined;
    try {
      state = readLabState(reuse);
    } catch (e) {
      return skip(`ASR_LAB_STATE=${reuse} cannot be read: ${(e as Error).message}`);
    }
    if (!isLabAlive(state)) return skip(`ASR_LAB_STATE=${reuse}: that lab is not alive (npm run lab -- status)`);
    project.provide('lab', state);
    project.provide('labReason', `reusing lab ${state.id}`);
    return undefined;
  }

  let state: LabState;
  try {
    state = await labUp({ log: process.env.ASR_LAB_VERBOSE ? (m) => console.error(`[lab] ${m}`) : undefined });
  } catch (e) {
    return skip(`the lab failed to come up: ${(e as Error).message}`);
  }
  project.provide('lab', state);
  project.provide('labReason', `lab ${state.id} (up in ${state.timings.upMs} ms)`);
  return async () => {
    await labDown(state.id);
  };
}
