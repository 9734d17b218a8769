import type { WizardState } from '../../src-main/service/contract/ui.ts';

export type ScenarioId = NonNullable<WizardState['scenario']>;

export interface Placement {
  component: string;
  where: string;
}

/** A component this tool installs in a scenario, where, and the discovery tag that finds those hosts. */
export interface Install {
  component: 'provider' | 'mars-agent' | 'mobility-service';
  where: string;
  /** Tag `discover vmm` / `discover hyperv` put on those hosts (null: no discovery tag). */
  tag: string | null;
}

/** The scenario as Microsoft documents it today, with the date and documents it comes from. */
export interface TodayText {
  /** When this description was checked against Microsoft's documents (YYYY-MM). */
  asOf: string;
  /** Which architecture the scenario uses today, in a few words. */
  architecture: string;
  summary: string;
  places: Placement[];
  network: string;
  sources: string;
}

/** The seed's description: "Site Recovery components" (shared/seed), ms.date 2015-08-10. */
export const SEED_DATE = '2015-08-10';

export interface Scenario {
  id: ScenarioId;
  title: string;
  /** Today's ASR, shown first. The fields below are the seed's 2015 description (SEED_DATE). */
  today: TodayText;
  summary: string;
  places: Placement[];
  nothingOn: string;
  network: string;
  /** The component this tool push-installs first in this scenario (the picker's default). */
  component: 'provider' | 'mars-agent' | 'mobility-service';
  /** Every component this tool installs here, in the documented order. */
  installs: Install[];
  hostHint: string;
}

/** The four deployment scenarios of "Site Recovery components" (shared/seed). */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'vmm-to-vmm',
    title: 'VMM site to VMM site',
    today: {
      asOf: '2026-12',
      architecture: 'Hyper-V Replica between two VMM sites: deprecated',
      summary:
        'Microsoft deprecated disaster recovery between customer-managed sites (with VMM); existing setups keep running, new protection goes to Azure (VMM site to Azure).',
      places: [{ component: 'Azure Site Recovery Provider', where: 'on both VMM servers, for existing site-to-site setups only' }],
      network: 'The Provider talks to Site Recovery over HTTPS 443; the Hyper-V hosts replicate to each other on 8083/8084.',
      sources: 'site-to-site-deprecation.md (ms.date 02/25/2020: deprecation planned for March 2023)',
    },
    summary: 'Replicate Hyper-V virtual machines between two datacenters, each managed by a VMM server with a private cloud.',
    places: [{ component: 'Azure Site Recovery Provider', where: 'on both VMM servers (primary and secondary)' }],
    nothingOn: 'Nothing is installed on the Hyper-V hosts or the protected virtual machines.',
    network: 'The Provider talks to Site Recovery over HTTPS 443; the Hyper-V hosts replicate to each other on ports 8083/8084 (Kerberos or certificates).',
    component: 'provider',
    installs: [{ component: 'provider', where: 'on both VMM servers', tag: 'role:vmm-server' }],
    hostHint: 'Add your two VMM servers.',
  },
  {
    id: 'vmm-to-azure',
    title: 'VMM site to Azure',
    today: {
      asOf: '2026-12',
      architecture: 'Provider + Recovery Services (MARS) agent, as in 2015',
      summary: 'Hyper-V virtual machines in VMM clouds replicate to Azure; the architecture is the one of 2015.',
      places: [
        { component: 'Azure Site Recovery Provider', where: 'on the VMM server (every node of a VMM cluster, the active node first)' },
        { component: 'Microsoft Azure Recovery Services (MARS) agent', where: 'on every Hyper-V host of the clouds' },
      ],
      network:
        'Outbound HTTPS 443 to Azure from the VMM server and the hosts (an HTTP proxy may sit in between; VMM then uses the DRAProxyAccount Run As account).',
      sources: 'hyper-v-vmm-azure-tutorial.md, hyper-v-azure-support-matrix.md, service-updates-how-to.md',
    },
    summary: 'Replicate Hyper-V virtual machines in a VMM private cloud to Azure.',
    places: [
      { component: 'Azure Site Recovery Provider', where: 'on the VMM server' },
      { component: 'Microsoft Azure Recovery Services (MARS) agent', where: 'on every source Hyper-V host in the cloud' },
    ],
    nothingOn: 'Nothing is installed on the protected virtual machines.',
    network: 'The Provider and the agent reach Azure over HTTPS 443 (a proxy may sit in between; VMM then needs the DRAProxyAccount Run As account).',
    component: 'provider',
    installs: [
      { component: 'provider', where: 'on the VMM server', tag: 'role:vmm-server' },
      { component: 'mars-agent', where: 'on every Hyper-V host of the cloud', tag: 'role:hyperv-host' },
    ],
    hostHint: 'Add the VMM server and its Hyper-V hosts (Discover → VMM server reads them all).',
  },
  {
    id: 'hyperv-to-azure',
    title: 'Hyper-V site to Azure (no VMM)',
    today: {
      asOf: '2026-12',
      architecture: 'Provider + MARS agent in one installation, as in 2015',
      summary: 'Virtual machines of stand-alone Hyper-V hosts, grouped in a Hyper-V site, replicate to Azure.',
      places: [
        { component: 'Azure Site Recovery Provider + MARS agent (one combined installation)', where: 'on every Hyper-V host of the site (Server Core too)' },
      ],
      network: 'Outbound HTTPS 443 to Azure; a proxy for the Provider must be HTTP.',
      sources: 'hyper-v-azure-tutorial.md (ms.date 12/21/2022)',
    },
    summary: 'Replicate virtual machines of stand-alone Hyper-V hosts, grouped in a Hyper-V site, to Azure.',
    places: [{ component: 'Azure Site Recovery Provider + MARS agent (one combined installation)', where: 'on every Hyper-V host in the site' }],
    nothingOn: 'No VMM server; nothing is installed on the protected virtual machines.',
    network: 'Provider and agent reach Azure over HTTPS 443; a proxy for the Provider on a Hyper-V host must be HTTP.',
    // The Provider download is the combined installation: "Setup installs the Azure Site Recovery
    // Provider and Recovery Services agent on each Hyper-V host" (asr-components.md §1).
    component: 'provider',
    installs: [{ component: 'provider', where: 'on every Hyper-V host (installs the MARS agent with it)', tag: 'role:hyperv-host' }],
    hostHint: 'Add the Hyper-V hosts of the site (Discover → Hyper-V hosts).',
  },
  {
    id: 'vmware-physical-to-azure',
    title: 'VMware VMs / physical servers to Azure',
    today: {
      asOf: '2026-12',
      architecture: 'Modernized: the Azure Site Recovery replication appliance (classic configuration server retired)',
      summary:
        'VMware virtual machines and physical Windows or Linux servers replicate to Azure through an on-premises replication appliance. Classic (configuration server + passphrase) was discontinued on 2026-03-15, existing machines until 2026-03-30.',
      places: [
        {
          component: 'Mobility service (modernized, CSType CSPrime)',
          where:
            'on every VMware VM or physical server to protect (Windows and Linux); each registers with a configuration file the appliance makes from its "Agent Config Input"',
        },
        {
          component: 'Replication appliance',
          where: 'on-premises (configuration manager, process server, proxy), set up from the Azure portal, not by this tool',
        },
      ],
      network:
        'Protected machines reach the replication appliance on TCP 443 (control channel) and TCP 9443 (data transport); the appliance reaches Azure over HTTPS 443.',
      sources:
        'vmware-azure-architecture-modernized.md, vmware-physical-mobility-service-overview.md, upgrade-mobility-service-modernized.md, vmware-physical-azure-support-matrix.md',
    },
    summary: 'Replicate VMware virtual machines and physical Windows or Linux servers to Azure through a configuration server and process server.',
    places: [
      { component: 'Mobility service', where: 'on every VMware VM or physical server to protect (Windows and Linux)' },
      { component: 'Process server', where: 'on-premises (Windows Server 2012 R2 or later); it can push the Mobility service too' },
      { component: 'Configuration server and master target', where: 'in Azure (set up from the portal, not by this tool)' },
    ],
    nothingOn: 'Push installation needs File and Printer Sharing and WMI allowed on Windows machines, SSH on Linux.',
    network: 'Protected machines send data to the process server on TCP 9080 and metadata to the configuration server on 443; remote PowerShell uses 5986.',
    component: 'mobility-service',
    installs: [{ component: 'mobility-service', where: 'on every VMware VM or physical server to protect', tag: null }],
    hostHint: 'Discover VMs from vCenter or scan a network range, or import a CSV.',
  },
];
