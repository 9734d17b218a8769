export { Vim25Client, normalizeServerUrl, type ServiceContent, type Vim25ConnectOptions } from './client.ts';
export {
  discoverVcenter,
  guestAddresses,
  guestFamily,
  VM_PROPERTIES,
  vmFromProperties,
  type DiscoverVcenterOptions,
  type GuestFamily,
  type VcenterVm,
} from './inventory.ts';
export { vmsToHostInputs, type VmsToHostInputsOptions } from './host-inputs.ts';
