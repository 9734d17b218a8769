import { z } from 'zod';
import type { ServiceEvent } from '../../model/events.ts';
import type { Result } from './envelope.ts';
import { ImportReportSchema } from './inventory.ts';

/**
 * The wizard's own commands: its state (so a reload or restart lands on the same step with the
 * same choices), what this build offers, and CSV import from text (a browser has no file path).
 */

export const SCENARIOS = ['vmm-to-vmm', 'vmm-to-azure', 'hyperv-to-azure', 'vmware-physical-to-azure'] as const;
export const WIZARD_STEPS = ['scenario', 'hosts', 'credentials', 'prerequisites', 'installers', 'plan', 'apply', 'summary', 'components'] as const;

/** Wizard state: small, JSON, versioned; unknown keys are kept so a newer renderer does not lose its fields. */
export const WizardStateSchema = z
  .object({
    version: z.literal(1).default(1),
    step: z.enum(WIZARD_STEPS).default('scenario'),
    scenario: z.enum(SCENARIOS).nullable().default(null),
    component: z.string().max(64).nullable().default(null),
    componentVersion: z.string().max(64).nullable().default(null),
    /** Configuration server address (Mobility service registration). */
    cs: z.string().max(255).nullable().default(null),
    /** Modernized replication appliance address (Mobility service registration, CSPrime). */
    appliance: z.string().max(255).nullable().default(null),
    selectedHosts: z.array(z.string().max(255)).max(100_000).default([]),
    /** The installer folder: from the window, a file handle (contract/files.ts); sourceName is what to show. */
    sourceDir: z.string().max(4096).nullable().default(null),
    sourceName: z.string().max(255).nullable().default(null),
    planId: z.string().max(128).nullable().default(null),
    jobId: z.string().max(128).nullable().default(null),
    visited: z.array(z.enum(WIZARD_STEPS)).default([]),
  })
  .loose();
export type WizardState = z.output<typeof WizardStateSchema>;

/**
 * What the desktop app's preload exposes as `window.asrDeploy` (the renderer uses it, or the
 * loopback WebSocket when it is absent). Declared here, with the contract, so the renderer and
 * the preload share one type without the renderer importing a front end.
 */
export interface AsrDeployBridge {
  /** Calls one contract command; errors come back as data (`{ok: false, error}`), never as a throw. */
  call(name: string, input: unknown): Promise<Result<unknown>>;
  /** Job progress, host steps and log lines, for as long as the returned function is not called. */
  onEvent(listener: (event: ServiceEvent) => void): () => void;
  /** The contract's command names in this build. */
  commands(): string[];
  /**
   * Desktop only: a native open/save dialog in the main process; the chosen path stays there and
   * the page gets an opaque handle (contract/files.ts) and the name to show. null: cancelled.
   */
  choose(request: ChooseRequest): Promise<ChooseResult | null>;
}

/** What the page asks the desktop app's dialog for. */
export interface ChooseRequest {
  kind: 'file' | 'dir' | 'save';
  title?: string;
  /** Save dialogs: the suggested file name (no folder). */
  defaultName?: string;
  /** e.g. [{name: 'Vault credentials', extensions: ['VaultCredentials']}] */
  filters?: { name: string; extensions: string[] }[];
}
export interface ChooseResult {
  handle: string;
  name: string;
}

export const uiCommands = {
  'ui.state.get': {
    summary: 'The wizard state saved by the desktop app or the browser (defaults when none).',
    input: z.object({}),
    output: WizardStateSchema,
  },
  'ui.state.set': {
    summary: 'Save the wizard state (replaces it).',
    input: WizardStateSchema,
    output: WizardStateSchema,
  },
  'ui.commands': {
    summary: 'The command names this build offers, so a front end can say what is not available.',
    input: z.object({}),
    output: z.array(z.string()),
  },
  'ui.hosts.importText': {
    summary: 'Import hosts from CSV or JSON text (as `hosts import`, for a browser that uploads a file instead of naming a path).',
    input: z.object({
      fileName: z
        .string()
        .min(1)
        .max(255)
        .regex(/^[^/\\]+$/u, 'a file name, not a path'),
      text: z.string().max(32 * 1024 * 1024),
      skipInvalid: z.boolean().default(false),
    }),
    output: ImportReportSchema,
  },
} as const;
