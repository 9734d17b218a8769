export {
  DEFAULT_CONCURRENCY,
  DEFAULT_PORTS,
  DEFAULT_TIMEOUT_MS,
  discoverNetwork,
  guessOs,
  parsePorts,
  type DiscoveredHost,
  type DiscoverNetworkOptions,
  type DiscoverProgress,
} from './discover.ts';
export { identifyWsman, parseWsmanResponse, probeTcp, type TcpProbeResult, type WsmanIdentity } from './probe.ts';
export { compareAddresses, FORCE_THRESHOLD, MAX_ADDRESSES, parseTargets, type ParseTargetsOptions, type TargetSet } from './targets.ts';
