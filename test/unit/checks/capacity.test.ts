import { describe, expect, it } from 'vitest';
import { masterTargetFor, masterTargetSizing, processServerCache } from '../../../src-main/checks/capacity.ts';
import { matrixFor } from '../../../src-main/checks/matrix.ts';
import { loadFacts } from './facts-fixtures.ts';

const GB = 1024 ** 3;
const M8 = matrixFor('mobility-service', '8.4.0.0')!;
const capacity = M8.capacity!;

function withDisks(sizesGb: (number | null)[]) {
  const facts = loadFacts('windows-2012r2');
  facts.storage!.disks = sizesGb.map((g, i) => ({ number: i, dynamic: false, sizeBytes: g === null ? null : g * GB, isSystem: i === 0 }));
  return facts;
}

describe('master target sizing (2015)', () => {
  it('A4 protects 15 disks (16 minus retention), D14 31 (32 minus retention)', () => {
    expect(masterTargetFor(capacity, 1)).toEqual({ name: 'A4', protectable: 15 });
    expect(masterTargetFor(capacity, 15)).toEqual({ name: 'A4', protectable: 15 });
    expect(masterTargetFor(capacity, 16)).toEqual({ name: 'D14', protectable: 31 });
    expect(masterTargetFor(capacity, 31)).toEqual({ name: 'D14', protectable: 31 });
    expect(masterTargetFor(capacity, 32)).toBeNull();
  });

  it('passes a small server on A4 with numbers', () => {
    const r = masterTargetSizing.run(withDisks([60, 500]), M8, {});
    expect(r.verdict).toBe('pass');
    expect(r.evidence).toContain('2 disks (largest 500 GB, limit 1023 GB) fit a A4 master target (15 protectable disks)');
  });

  it('a server with more than 15 disks needs D14: warn, or fail when A4 is planned', () => {
    const sixteen = withDisks(Array(16).fill(100));
    const warn = masterTargetSizing.run(sixteen, M8, {});
    expect(warn.verdict).toBe('warn');
    expect(warn.evidence).toContain('16 disks');
    expect(warn.evidence).toContain('D14 master target is needed');
    expect(warn.remedy).toContain('D14');
    const fail = masterTargetSizing.run(sixteen, M8, { masterTargetSize: 'A4' });
    expect(fail.verdict).toBe('fail');
    expect(fail.evidence).toContain('16 disks do not fit the planned A4 master target (15 protectable)');
    expect(masterTargetSizing.run(sixteen, M8, { masterTargetSize: 'D14' }).verdict).toBe('pass');
  });

  it('more than 31 disks fit no master target', () => {
    const r = masterTargetSizing.run(withDisks(Array(32).fill(10)), M8, {});
    expect(r.verdict).toBe('fail');
    expect(r.evidence).toContain('32 disks; the largest master target protects 31');
  });

  it('a disk above 1023 GB fails with its size', () => {
    const r = masterTargetSizing.run(withDisks([60, 1024, 2048]), M8, {});
    expect(r.verdict).toBe('fail');
    expect(r.evidence).toContain('disk 1 is 1,024 GB, disk 2 is 2,048 GB');
    expect(r.evidence).toContain('at most 1023 GB');
    expect(masterTargetSizing.run(withDisks([60, 1023]), M8, {}).verdict).toBe('pass');
  });

  it('an unknown disk size is unknown', () => {
    const r = masterTargetSizing.run(withDisks([60, null]), M8, {});
    expect(r.verdict).toBe('unknown');
    expect(r.evidence).toContain('storage.disks[1].sizeBytes');
  });

  it('only applies to matrices with capacity data', () => {
    expect(masterTargetSizing.appliesTo!(M8)).toBe(true);
    expect(masterTargetSizing.appliesTo!(matrixFor('mobility-service', '9.65.0.0')!)).toBe(false);
  });
});

describe('process server cache (600 GB for a medium deployment)', () => {
  it('warns with the free space found', () => {
    const r = processServerCache(loadFacts('windows-2012r2'), capacity);
    expect(r.verdict).toBe('warn');
    expect(r.evidence).toContain('C:\\');
    expect(r.evidence).toContain('30 GB free; 600 GB recommended for a medium deployment');
    expect(r.remedy).toContain('570 GB more');
  });

  it('passes with enough room on the cache volume', () => {
    const facts = loadFacts('windows-2012r2');
    facts.freeSpace!.push({ path: 'E:\\', freeBytes: 800 * GB });
    expect(processServerCache(facts, capacity, { processServerCacheDir: 'E:\\cache' }).verdict).toBe('pass');
  });

  it('is unknown without free-space facts', () => {
    const facts = loadFacts('windows-2012r2');
    delete facts.freeSpace;
    expect(processServerCache(facts, capacity).verdict).toBe('unknown');
  });
});
