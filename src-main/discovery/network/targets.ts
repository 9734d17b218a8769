import ipaddr from 'ipaddr.js';
import { fail } from '../../model/errors.ts';

/** Blocks larger than this need `force`: a /16 is already 65,534 hosts (cli.md `--force`). */
export const FORCE_THRESHOLD = 65_536;
/** Hard ceiling even with `force`: a /8. Beyond that a TCP sweep is not discovery any more. */
export const MAX_ADDRESSES = 16_777_216;

export interface ParseTargetsOptions {
  /** Allow single blocks and ranges above FORCE_THRESHOLD addresses. */
  force?: boolean;
  /**
   * The most addresses one run probes, all targets together: FORCE_THRESHOLD (a /16) unless
   * raised here explicitly (`--max-addresses`); `force` alone never raises it.
   */
  maxAddresses?: number;
}

/** Validated scan targets: IPv4 as merged numeric intervals, IPv6 as literals. Nothing is materialised. */
export interface TargetSet extends Iterable<string> {
  /** Distinct addresses to probe. */
  readonly count: number;
  /** Merged IPv4 intervals [first, last] as unsigned 32-bit numbers, ascending. */
  readonly ipv4: ReadonlyArray<readonly [number, number]>;
  readonly ipv6: readonly string[];
}

/**
 * Parse TARGET arguments of `discover network`: single IPv4/IPv6 literals, IPv4 CIDR blocks and
 * IPv4 ranges `A-B` (or the short form `10.0.0.5-20`). Every argument is validated before anything
 * is probed; a bad one is a `usage` error that names it. Overlapping targets are scanned once.
 */
export function parseTargets(list: readonly string[], opts: ParseTargetsOptions = {}): TargetSet {
  if (list.length === 0) fail('usage', 'no target given: pass an address, a CIDR block (10.0.0.0/24) or a range (10.0.0.5-10.0.0.20)');
  const intervals: [number, number][] = [];
  const ipv6 = new Set<string>();
  for (const raw of list) {
    for (const item of raw.split(',')) {
      const target = item.trim();
      if (!target) continue;
      const parsed = parseOne(target);
      if (parsed.kind === 'ipv6') {
        ipv6.add(parsed.address);
        continue;
      }
      const size = parsed.last - parsed.first + 1;
      if (size > MAX_ADDRESSES) {
        fail('usage', `target ${target} has ${size.toLocaleString('en-US')} addresses; at most ${MAX_ADDRESSES.toLocaleString('en-US')} (a /8) are scanned`, {
          remedy: 'split the target into smaller blocks',
        });
      }
      if (size > FORCE_THRESHOLD && !opts.force) {
        fail('usage', `target ${target} has ${size.toLocaleString('en-US')} addresses, more than a /16 (${FORCE_THRESHOLD.toLocaleString('en-US')})`, {
          remedy: 'pass --force to scan it anyway, or give a smaller block',
        });
      }
      intervals.push([parsed.first, parsed.last]);
    }
  }
  const ipv4 = mergeIntervals(intervals);
  const v6 = [...ipv6];
  const count = ipv4.reduce((n, [a, b]) => n + (b - a + 1), 0) + v6.length;
  if (count === 0) fail('usage', 'no target given: pass an address, a CIDR block or a range');
  if (count > MAX_ADDRESSES)
    fail('usage', `the targets add up to ${count.toLocaleString('en-US')} addresses; at most ${MAX_ADDRESSES.toLocaleString('en-US')} are scanned`);
  const limit = opts.maxAddresses ?? FORCE_THRESHOLD;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ADDRESSES)
    fail('usage', `--max-addresses must be 1-${MAX_ADDRESSES.toLocaleString('en-US')}, not ${limit}`);
  if (count > limit) {
    fail(
      'usage',
      `the targets add up to ${count.toLocaleString('en-US')} addresses, more than ${opts.maxAddresses === undefined ? `a /16 (${FORCE_THRESHOLD.toLocaleString('en-US')})` : `--max-addresses ${limit.toLocaleString('en-US')}`} per run; nothing was probed`,
      {
        remedy: `give smaller targets, or raise the limit explicitly with --max-addresses ${count} (with --force for a single block above a /16); scan only networks you are responsible for`,
      },
    );
  }
  return {
    count,
    ipv4,
    ipv6: v6,
    *[Symbol.iterator]() {
      for (const [a, b] of ipv4) for (let n = a; n <= b; n++) yield numberToIpv4(n);
      yield* v6;
    },
  };
}

type Parsed = { kind: 'ipv4'; first: number; last: number } | { kind: 'ipv6'; address: string };

function parseOne(target: string): Parsed {
  if (target.includes('/')) return parseCidr(target);
  const dash = target.indexOf('-');
  if (dash > 0 && !target.includes(':')) return parseRange(target, dash);
  if (target.includes(':')) {
    if (!ipaddr.IPv6.isValid(target)) fail('usage', `${target} is not a valid IPv6 address`);
    const v6 = ipaddr.IPv6.parse(target);
    // An IPv4-mapped literal (::ffff:10.0.0.1) is the IPv4 host: scan it once, as IPv4.
    if (v6.isIPv4MappedAddress()) {
      const n = ipv4ToNumber(v6.toIPv4Address().toString());
      return { kind: 'ipv4', first: n, last: n };
    }
    return { kind: 'ipv6', address: v6.toString() };
  }
  const n = parseIpv4(target, target);
  return { kind: 'ipv4', first: n, last: n };
}

function parseCidr(target: string): Parsed {
  const [addr = '', prefixText = '', ...rest] = target.split('/');
  if (rest.length > 0 || !/^\d{1,3}$/.test(prefixText)) {
    fail('usage', `${target} is not a CIDR block: expected ADDRESS/PREFIX such as 10.0.0.0/24`);
  }
  if (addr.includes(':')) {
    fail('usage', `${target}: IPv6 blocks are not scanned (a /64 alone is 2^64 addresses); give single IPv6 addresses`);
  }
  const prefix = Number(prefixText);
  if (prefix > 32) fail('usage', `${target}: prefix /${prefix} is larger than 32`);
  const base = parseIpv4(addr, target);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (base & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  // Network and broadcast addresses are not hosts; /31 and /32 have neither (RFC 3021).
  if (prefix <= 30) return { kind: 'ipv4', first: network + 1, last: broadcast - 1 };
  return { kind: 'ipv4', first: network, last: broadcast };
}

function parseRange(target: string, dash: number): Parsed {
  const left = target.slice(0, dash).trim();
  const right = target.slice(dash + 1).trim();
  const first = parseIpv4(left, target);
  let last: number;
  if (/^\d{1,3}$/.test(right)) {
    // Short form 10.0.0.5-20: the right side replaces the last octet.
    const octet = Number(right);
    if (octet > 255) fail('usage', `${target}: octet ${octet} is out of range 0-255`);
    last = ((first & 0xffffff00) | octet) >>> 0;
  } else {
    last = parseIpv4(right, target);
  }
  if (last < first)
    fail('usage', `${target}: the range runs backwards (${numberToIpv4(first)} is after ${numberToIpv4(last)})`, { remedy: 'write the lower address first' });
  return { kind: 'ipv4', first, last };
}

/** Strict dotted quad (no 0x, octal or short forms that inet_aton would accept). */
function parseIpv4(text: string, target: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m) {
    for (const o of m.slice(1)) {
      if (Number(o) > 255) fail('usage', `${target}: octet ${o} is out of range 0-255`);
    }
  }
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(text)) {
    fail(
      'usage',
      `${target} is not a valid address: expected an IPv4 address (10.0.0.5), an IPv6 address, a CIDR block (10.0.0.0/24) or a range (10.0.0.5-10.0.0.20)`,
    );
  }
  return ipv4ToNumber(text);
}

export function ipv4ToNumber(text: string): number {
  const b = ipaddr.IPv4.parse(text).toByteArray();
  return (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
}

export function numberToIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function mergeIntervals(list: [number, number][]): [number, number][] {
  const sorted = [...list].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Sort key that orders IPv4 numerically before IPv6 (for stable output). */
export function compareAddresses(a: string, b: string): number {
  const a4 = !a.includes(':');
  const b4 = !b.includes(':');
  if (a4 && b4) return ipv4ToNumber(a) - ipv4ToNumber(b);
  if (a4 !== b4) return a4 ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
