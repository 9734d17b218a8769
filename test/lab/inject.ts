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
