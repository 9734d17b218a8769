// The lab as the tests see it: `const { lab, reason } = getLab();` then
//   describe.skipIf(!lab)(`… (needs the lab: ${reason})`, () => { … lab! … });

import { inject } from 'vitest';
import type { LabState } from './types.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: LabState | null;
    labReason: string;
  }
}

export function getLab(): { lab: LabState | null; reason: string } {
  const lab = inject('lab') ?? null;
  const reason = inject('labReason') ?? (lab ? 'the lab is up' : 'the lab was not provided (globalSetup did not run?)');
  return { lab, reason };
}

export type { LabState };

/** The lab host reachable by PowerShell remoting over SSH, and why a test needing it would skip. */
export function getLabPwshHost(): { lab: LabState | null; reason: string; pwshHost: LabState['hosts'][number] | undefined; why: string } {
  const { lab, reason } = getLab();
  const pwshHost = lab?.pwsh?.hosts.length ? lab.hosts.find((h) => h.name === lab.pwsh!.hosts[0] && h.powershell) : undefined;
  const why = !lab
    ? `needs the lab: ${reason}`
    : !pwshHost
      ? `needs a lab host with the powershell subsystem: ${lab.unavailable.pwsh ?? 'none in this lab'}`
      : 'lab pwsh host';
  return { lab, reason, pwshHost, why };
}
