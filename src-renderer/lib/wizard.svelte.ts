import type { WizardState } from '../../src-main/service/contract/ui.ts';
import { api } from './api.ts';

export type StepId = WizardState['step'];

export interface StepInfo {
  id: StepId;
  title: string;
  /** The command this step cannot work without (null: always there). */
  needs: string | null;
}

export const STEPS: readonly StepInfo[] = [
  { id: 'scenario', title: 'Scenario', needs: null },
  { id: 'hosts', title: 'Hosts', needs: 'hosts.list' },
  { id: 'credentials', title: 'Credentials and trust', needs: 'credentials.list' },
  { id: 'prerequisites', title: 'Prerequisites', needs: 'check.run' },
  { id: 'installers', title: 'Installers', needs: 'sources.scan' },
  { id: 'plan', title: 'Plan', needs: 'plan.create' },
  { id: 'apply', title: 'Apply', needs: 'apply.start' },
  { id: 'summary', title: 'Summary', needs: 'report.create' },
];
export const COMPONENTS_VIEW: StepInfo = { id: 'components', title: 'Components', needs: 'versions.query' };

const DEFAULTS: WizardState = {
  version: 1,
  step: 'scenario',
  scenario: null,
  component: null,
  componentVersion: null,
  cs: null,
  appliance: null,
  selectedHosts: [],
  sourceDir: null,
  sourceName: null,
  planId: null,
  jobId: null,
  visited: [],
};

/** The wizard's state, saved in the store (ui.state.set) so a reload or a restart comes back to the same place. */
class Wizard {
  state = $state<WizardState>({ ...DEFAULTS });
  /**
   * With nothing selected, host actions act on nothing until the user says "all N hosts" (not
   * saved: it is asked again after a reload). Selecting hosts clears it.
   */
  allHosts = $state(false);
  /** id → name of the inventory, for naming the hosts an action will touch (HostScope loads it). */
  names = $state.raw<Map<string, string>>(new Map());
  loaded = $state(false);
  saveError = $state<string | null>(null);
  private timer: ReturnType<typeof setTimeout> | null = null;

  async load(): Promise<void> {
    const r = await api.call('ui.state.get', {});
    if (r.ok) this.state = { ...DEFAULTS, ...r.value };
    this.loaded = true;
  }

  /** Debounced: typing in a field does not write to the database on every key. */
  save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), 250);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const r = await api.call('ui.state.set', $state.snapshot(this.state) as WizardState);
    this.saveError = r.ok ? null : r.error.message;
  }

  go(step: StepId): void {
    this.state.step = step;
    if (!this.state.visited.includes(step)) this.state.visited.push(step);
    void this.flush();
  }

  update(patch: Partial<WizardState>): void {
    Object.assign(this.state, patch);
    if (patch.selectedHosts?.length) this.allHosts = false;
    this.save();
  }

  /** The `hosts` selector for an action: the selected ids, `all` only when chosen explicitly, else null (nothing to act on). */
  get hostSelector(): string | null {
    if (this.state.selectedHosts.length) return this.state.selectedHosts.join(',');
    return this.allHosts ? 'all' : null;
  }

  /** How many hosts an action would touch (null: none chosen). */
  get hostCount(): number | null {
    if (this.state.selectedHosts.length) return this.state.selectedHosts.length;
    return this.allHosts ? this.names.size : null;
  }
}

export const wizard = new Wizard();
