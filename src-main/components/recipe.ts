import type { Host } from '../model/host.ts';
import type { Transport } from '../remote/transport.ts';
import type { Catalog, ComponentId, Platform } from './catalog.ts';
import type { InstallerFile } from './sources.ts';

/** What is on a host now, as detection reads it. */
export interface InstalledState {
  installed: boolean | null;
  version: string | null;
  configured: boolean | null;
  service: 'running' | 'stopped' | 'absent' | null;
  installDir?: string | null;
}

export interface StagingPlan {
  mode: 'pull' | 'push';
  /** pull: the file's URL (or UNC path) as the target fetches it. */
  url?: string;
  /** pull over https with a pinned certificate: curl's `sha256//<SPKI>`, the DER SHA-256 (Windows), and the PEM (wget's CA file). */
  pin?: { spkiSha256: string; fingerprint: string; pem: string } | null;
  /** The tool the plan-time probe found on the host (curl, wget, Invoke-WebRequest, Copy-Item). */
  tool?: string;
  /** Why this mode: for pull, where from; for push, why the host does not pull. */
  reason: string;
}

/** What the engine asks a recipe to do on one host. */
export interface RecipeTarget {
  host: Host;
  action: 'install' | 'upgrade';
  version: string;
  installer: InstallerFile;
  csAddress: string | null;
  csPort: number | null;
  /** Modernized replication appliance (CSPrime): the lines of the version's appliance generation run. */
  appliance?: string | null;
  /** The appliance's config file for this machine (a secret): null until `jobs configure` brings it. */
  configFile?: string | null;
  /** Secrets travel as values in memory and reach the target only as 0600 files or stdin. */
  passphrase: string | null;
  /** Provider registration: the vault credentials (registration key) file's content, a secret. */
  vaultCredentials?: string | null;
  /** The name the Provider registers under (DRConfigurator /Friendlyname); default the host's name. */
  friendlyName?: string | null;
  /** How the installer reaches the host (pull from a repository, or push); absent: push `installer.path`. */
  staging?: StagingPlan;
  /** The workstation's verified copy of a repository installer, fetched once when a host pushes instead of pulling. */
  localCopy?: () => Promise<string>;
  /** A custom proxy for the Provider / MARS agent; the password is a secret. */
  proxy?: { address: string; port: number; user?: string | null; password?: string | null } | null;
}

export interface StepContext {
  transport: Transport;
  jobId: string;
  signal: AbortSignal;
  /** Per-step wall-clock bound for long remote steps (installers can take 10+ minutes). */
  stepTimeoutMs: number;
  log: (line: string) => void;
  progress: (step: string, bytes: number, total: number) => void;
  /** Journal detail of this step from an earlier (interrupted) run of the same job, if any. */
  previous: (step: string) => Record<string, unknown> | null;
  /** Journals what the host will need removed if this process dies now; called before it is created. */
  pendingCleanup?: (kind: 'staging' | 'secret', path: string) => void;
}

export interface StepOutcome {
  /** success, or success with warnings (installer exit 98, reboot required 3010/1641). */
  warning?: string;
  detail?: Record<string, unknown>;
}

export interface RecipeStep {
  name: string;
  /**
   * `configure` steps of a modernized (appliance) target need the machine's config file: without
   * one the runner stops before them and the host waits in `awaiting_config`.
   */
  phase?: 'configure';
  run(ctx: StepContext): Promise<StepOutcome | void>;
  /** A step that finished in an earlier run of the job is not repeated on resume. */
  skipIfDone: boolean;
}

/** A component on a platform: detection, the documented command lines, and the steps to apply them. */
export interface Recipe {
  readonly component: ComponentId;
  readonly platform: Platform;
  detect(t: Transport, signal?: AbortSignal): Promise<InstalledState>;
  /** The documented command lines this target will run, secrets shown as [redacted]. */
  commandLines(catalog: Catalog, target: RecipeTarget): string[][];
  steps(catalog: Catalog, target: RecipeTarget): RecipeStep[];
  /** Always run at the end (success, failure or cancel): removes staged files and secrets. */
  cleanup(ctx: StepContext, target: RecipeTarget): Promise<void>;
  /** On failure: the installer logs named by the catalog, as text for the host log. */
  fetchLogs(t: Transport, catalog: Catalog): Promise<string>;
  /** Removes the component with its documented uninstall command; a host without it is left alone. */
  uninstall(t: Transport, catalog: Catalog, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<'removed' | 'absent'>;
}

/** Replaces {placeholders} in a documented argv; each element stays one argument (no shell). */
export function renderArgv(template: readonly string[], values: Record<string, string | number | null | undefined>): string[] {
  return template.map((part) =>
    part.replace(/\{([A-Za-z]+)\}/g, (whole, key: string) => {
      const v = values[key];
      return v === undefined || v === null ? whole : String(v);
    }),
  );
}
