import { describe, expect, it } from 'vitest';
import { kernelSupported, loadKernelLists, matrixFor } from '../../../src-main/checks/index.ts';
import type { Facts } from '../../../src-main/model/facts.ts';
import { loadFacts } from './facts-fixtures.ts';

const ubuntu = loadFacts('linux-ubuntu-22.04');
const withKernel = (kernel: string | null, base: Facts = ubuntu): Facts => ({ ...base, os: { ...base.os, kernel } });
const judge = (facts: Facts, build: string) => kernelSupported.run(facts, matrixFor('mobility-service', build)!, {}, { agentVersion: build });

describe('Microsoft’s supported-kernel lists as data', () => {
  it('ships three 9.66 builds with their provenance and the list sizes of the source', () => {
    const k = loadKernelLists();
    expect(k.provenance).toMatchObject({
      repository: 'https://github.com/Azure/Azure-SiteRecovery',
      commit: '5fcd149097ed08be20a33b80f4778fc3bac061fb',
      commitDate: '2026-07-02',
    });
    expect(k.builds.map((b) => [b.build, b.lists.size])).toEqual([
      ['9.66.7567.1', 14],
      ['9.66.7604.1', 6],
      ['9.66.7643.1', 7],
    ]);
    const size = (build: string, osId: string) => k.builds.find((b) => b.build === build)!.lists.get(osId)!.size;
    expect([size('9.66.7567.1', 'UBUNTU-22.04-64'), size('9.66.7604.1', 'UBUNTU-22.04-64'), size('9.66.7643.1', 'UBUNTU-22.04-64')]).toEqual([241, 252, 257]);
    expect(k.source('9.66.7643.1', 'SLES15-64')).toBe(
      'Azure/Azure-SiteRecovery@5fcd149 (2026-07-02) MobilityAgent/OnPremiseToAzure/SupportedKernels/9.66.7643.1/SLES15-64_supported_kernels.txt',
    );
  });
});

describe('kernel-supported', () => {
  it('passes a kernel listed for the target build', () => {
    const r = judge(withKernel('5.15.0-91-generic'), '9.66.7567.1');
    expect(r.verdict).toBe('pass');
    expect(r.evidence).toContain('listed for UBUNTU-22.04-64 in build 9.66.7567.1 (241 kernels; Azure/Azure-SiteRecovery@5fcd149');
  });

  it('a kernel listed only under a later build of the same version says which build is needed', () => {
    const r = judge(withKernel('5.15.0-161-generic'), '9.66.7567.1');
    expect(r.verdict).toBe('warn');
    expect(r.evidence).toContain('listed from the later build 9.66.7643.1 on');
    expect(r.remedy).toContain('Build 9.66.7643.1 or later is needed');
    expect(judge(withKernel('5.15.0-156-generic'), '9.66.7567.1').evidence).toContain('later build 9.66.7604.1');
    expect(judge(withKernel('5.15.0-161-generic'), '9.66.7643.1').verdict).toBe('pass');
  });

  it('fails a kernel no build of the version lists, naming listed kernels of its series', () => {
    const r = judge(withKernel('5.15.0-999-generic'), '9.66.7567.1');
    expect(r.verdict).toBe('fail');
    expect(r.evidence).toContain('nor in the later builds 9.66.7604.1, 9.66.7643.1');
    expect(r.evidence).toMatch(/Listed kernels of the same series: 5\.15\.0-\d+-generic/);
  });

  it('a missing list is unknown, never pass: another version, an OS id without a list, a build newer than the lists', () => {
    expect(judge(withKernel('5.15.0-91-generic'), '9.65.0.0')).toMatchObject({
      verdict: 'unknown',
      evidence: expect.stringContaining('no UBUNTU-22.04-64 list for build 9.65.0.0'),
    });
    expect(judge(withKernel('5.15.0-91-generic'), '9.66.7700.1').verdict).toBe('unknown');
    const rhel = loadFacts('linux-rhel-8.6');
    expect(judge(rhel, '9.66.7567.1')).toMatchObject({ verdict: 'unknown', evidence: expect.stringContaining('no RHEL8-64 list for build 9.66.7567.1') });
    expect(judge(withKernel(null), '9.66.7567.1')).toMatchObject({ verdict: 'unknown', evidence: expect.stringContaining('os.kernel') });
  });
});
