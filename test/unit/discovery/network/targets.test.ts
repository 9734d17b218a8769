import { describe, expect, it } from 'vitest';
import { AsrFailure } from '../../../../src-main/model/errors.ts';
import { parsePorts } from '../../../../src-main/discovery/network/discover.ts';
import { compareAddresses, parseTargets } from '../../../../src-main/discovery/network/targets.ts';

function usageError(fn: () => unknown): { message: string; remedy?: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AsrFailure);
    const data = (e as AsrFailure).data;
    expect(data.code).toBe('usage');
    return data;
  }
  throw new Error('expected a usage error');
}

describe('parseTargets', () => {
  it('takes single IPv4 and IPv6 literals', () => {
    const t = parseTargets(['127.0.0.1', '::1', 'fe80::1%lo']);
    expect([...t]).toEqual(['127.0.0.1', '::1', 'fe80::1%lo']);
    expect(t.count).toBe(3);
  });

  it('expands a CIDR block without its network and broadcast addresses', () => {
    const t = parseTargets(['127.0.0.0/29']);
    expect([...t]).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']);
    expect(parseTargets(['127.0.0.8/31']).count).toBe(2);
    expect([...parseTargets(['127.0.0.9/32'])]).toEqual(['127.0.0.9']);
    // a host address inside the block is normalised to the block
    expect(parseTargets(['127.1.2.77/24']).ipv4).toEqual([[0x7f010201, 0x7f0102fe]]);
  });

  it('takes full and short ranges', () => {
    expect([...parseTargets(['127.0.0.5-127.0.0.8'])]).toEqual(['127.0.0.5', '127.0.0.6', '127.0.0.7', '127.0.0.8']);
    expect([...parseTargets(['127.0.0.5-7'])]).toEqual(['127.0.0.5', '127.0.0.6', '127.0.0.7']);
    expect(parseTargets(['127.0.0.250-127.0.1.5']).count).toBe(12);
  });

  it('merges overlaps and accepts comma-separated lists', () => {
    const t = parseTargets(['127.0.0.1-10,127.0.0.5', '127.0.0.8-12']);
    expect(t.count).toBe(12);
    expect(t.ipv4).toEqual([[0x7f000001, 0x7f00000c]]);
  });

  it('counts a /16 without materialising it and needs --force above it', () => {
    expect(parseTargets(['127.0.0.0/16']).count).toBe(65_534);
    const e = usageError(() => parseTargets(['127.0.0.0/15']));
    expect(e.message).toContain('131,070 addresses');
    expect(e.remedy).toContain('--force');
    // --force allows the block, but not the run: more than a /16 per run needs --max-addresses (issue 12 item 10).
    const forced = usageError(() => parseTargets(['127.0.0.0/15'], { force: true }));
    expect(forced.message).toMatch(/131,070 addresses, more than a \/16 \(65,536\) per run; nothing was probed/);
    expect(forced.remedy).toContain('--max-addresses 131070');
    expect(parseTargets(['127.0.0.0/15'], { force: true, maxAddresses: 131_070 }).count).toBe(131_070);
    expect(usageError(() => parseTargets(['127.0.0.0/15'], { force: true, maxAddresses: 100_000 })).message).toContain('more than --max-addresses 100,000');
    // the sum of several targets counts too, with or without --force
    expect(usageError(() => parseTargets(['127.0.0.0/16', '127.1.0.0/16'])).remedy).toContain('--max-addresses');
    expect(usageError(() => parseTargets(['127.0.0.0/16', '127.1.0.0/16'], { force: true })).message).toContain('per run');
    expect(usageError(() => parseTargets(['127.0.0.0-127.1.0.0'])).message).toContain('65,537 addresses');
  });

  it('refuses more than a /8 even with --force', () => {
    expect(usageError(() => parseTargets(['10.0.0.0/7'], { force: true, maxAddresses: 16_777_216 })).message).toContain('at most');
  });

  it.each([
    ['127.0.0.256', 'octet 256 is out of range'],
    ['127.0.0.0/33', 'prefix /33 is larger than 32'],
    ['127.0.0.0/', 'not a CIDR block'],
    ['127.0.0.0/24/8', 'not a CIDR block'],
    ['127.0.0.0/x', 'not a CIDR block'],
    ['300.0.0.0/24', 'octet 300 is out of range'],
    ['127.0.0.9-127.0.0.1', 'runs backwards'],
    ['127.0.0.9-3', 'runs backwards'],
    ['127.0.0.1-300', 'octet 300 is out of range'],
    ['127.0.0', 'is not a valid address'],
    ['0x7f.0.0.1', 'is not a valid address'],
    ['host.example', 'is not a valid address'],
    ['fe80::/64', 'IPv6 blocks are not scanned'],
    ['1:2:3', 'not a valid IPv6 address'],
    ['127.0.0.1-', 'is not a valid address'],
  ])('rejects %s', (target, message) => {
    expect(usageError(() => parseTargets([target])).message).toContain(message);
  });

  it('validates every target before any is used', () => {
    expect(usageError(() => parseTargets(['127.0.0.1', '127.0.0.0/40'])).message).toContain('/40');
  });

  it('needs at least one target', () => {
    expect(usageError(() => parseTargets([])).message).toContain('no target');
    expect(usageError(() => parseTargets([' , '])).message).toContain('no target');
  });

  it('orders addresses numerically, IPv4 first', () => {
    expect(['::1', '127.0.0.10', '127.0.0.9'].sort(compareAddresses)).toEqual(['127.0.0.9', '127.0.0.10', '::1']);
  });
});

describe('parsePorts', () => {
  it('parses lists and ranges', () => {
    expect(parsePorts('22,5985,5986')).toEqual([22, 5985, 5986]);
    expect(parsePorts('8000-8002, 22')).toEqual([8000, 8001, 8002, 22]);
  });
  it.each(['0', '65536', 'ssh', '10-5', ''])('rejects %j', (text) => {
    expect(() => parsePorts(text)).toThrow(AsrFailure);
  });
});
