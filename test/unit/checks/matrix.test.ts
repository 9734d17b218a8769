import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AsrFailure } from '../../../src-main/model/errors.ts';
import { coerceVersion, defaultMatrixDir, loadMatrices, matrixFor, parseMatrix } from '../../../src-main/checks/matrix.ts';
import { INSTALLER_OS_IDS } from '../../../src-main/checks/os.ts';
import { runChecks } from '../../../src-main/checks/registry.ts';
import { loadFacts } from './facts-fixtures.ts';

const temps: string[] = [];
function tempCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'asr-matrix-'));
  temps.push(dir);
  for (const f of readdirSync(defaultMatrixDir())) copyFileSync(join(defaultMatrixDir(), f), join(dir, f));
  return dir;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function failureOf(fn: () => unknown): AsrFailure {
  try {
    fn();
  } catch (e) {
    if (e instanceof AsrFailure) return e;
    throw e;
  }
  throw new Error('expected an AsrFailure');
}

describe('support matrices', () => {
  const matrices = loadMatrices();

  it('loads every shipped matrix and covers the three components', () => {
    expect(matrices.length).toBeGreaterThanOrEqual(5);
    expect(new Set(matrices.map((m) => m.component))).toEqual(new Set(['mobility-service', 'provider', 'mars-agent']));
  });

  it('names a source document on every matrix and every entry', () => {
    for (const m of matrices) {
      expect(m.sources.length).toBeGreaterThan(0);
      for (const e of m.os) expect(e.source, `${m.file} ${JSON.stringify(e)}`).toMatch(/\.md/);
      for (const part of [m.storage, m.ports, m.install, m.hostRole, m.proxy, m.capacity]) if (part) expect(part.source).toMatch(/\S/);
    }
  });

  it('uses known installer OS ids', () => {
    for (const m of matrices) for (const e of m.os) expect(INSTALLER_OS_IDS).toContain(e.installerOsId);
  });

  it('carries the 2015 seed matrix for mobility-service 8.x', () => {
    const m = matrixFor('mobility-service', '8.4.0.0')!;
    expect(m.file).toBe('mobility-service-8.json');
    expect(m.ports).toMatchObject({ configurationServer: 443, processServer: 9080 });
    expect(m.storage).toMatchObject({
      fileSystems: ['ext3', 'ext4', 'reiserfs', 'xfs'],
      lvm: true,
      multipath: true,
      cciss: false,
      dynamicDisks: 'none',
      systemDrive: 'C:',
    });
    expect(m.capacity?.masterTarget.maxDataDiskGb).toBe(1023);
    expect(m.capacity?.processServer.cacheGbRecommended).toBe(600);
  });

  it('uses port 9443 for the 9.x process server', () => {
    expect(matrixFor('mobility-service', '9.62.7096.1')?.ports?.processServer).toBe(9443);
  });

  it('chooses by semver range, coercing 4-part ASR versions', () => {
    expect(coerceVersion('9.62.7096.1')).toBe('9.62.7096');
    expect(coerceVersion('5.24.0614.1')).toBe('5.24.614');
    expect(coerceVersion('not a version')).toBeNull();
    expect(matrixFor('mobility-service', '8.3.0.0')?.file).toBe('mobility-service-8.json');
    expect(matrixFor('mobility-service', '9.65.0.0')?.file).toBe('mobility-service-9.json');
    expect(matrixFor('provider', '5.1.2700.1')?.file).toBe('provider-2018.json');
    expect(matrixFor('provider', '5.24.0614.1')?.file).toBe('provider-2019.json');
    expect(matrixFor('mars-agent', '2.0.9919.0')?.file).toBe('mars-agent-2.json');
    expect(matrixFor('mobility-service', '7.0.0')).toBeNull();
    expect(matrixFor('no-such-component', '1.0.0')).toBeNull();
  });

  it('without a version picks the newest matrix of the component', () => {
    expect(matrixFor('mobility-service')?.file).toBe('mobility-service-9.json');
    expect(matrixFor('provider', null)?.file).toBe('provider-2019.json');
  });

  it('rejects a broken matrix naming the file and the JSON path', () => {
    const dir = tempCopy();
    const m = JSON.parse(readFileSync(join(dir, 'mobility-service-9.json'), 'utf8'));
    m.os[6].versions = ['six'];
    m.os[0].minServicepack = 1;
    delete m.os[3].source;
    m.ports.processServer = 'nine-four-four-three';
    writeFileSync(join(dir, 'mobility-service-9.json'), JSON.stringify(m));
    const e = failureOf(() => loadMatrices(dir, { fresh: true }));
    expect(e.data.code).toBe('validation');
    expect(e.message).toContain('mobility-service-9.json');
    expect(e.message).toContain('mobility-service-9.json: os.3.source');
    expect(e.message).toContain('mobility-service-9.json: ports.processServer');
    expect(e.message).toMatch(/mobility-service-9\.json: os\.6\.versions\.0: a version is/);
    expect(e.message).toMatch(/mobility-service-9\.json: os\.0: Unrecognized key/);
  });

  it('rejects a file that is not JSON, naming it', () => {
    const dir = tempCopy();
    writeFileSync(join(dir, 'provider-2019.json'), '{ "component": "provider", ');
    const e = failureOf(() => loadMatrices(dir, { fresh: true }));
    expect(e.message).toMatch(/provider-2019\.json: not JSON/);
  });

  it('rejects an invalid semver range and unknown keys', () => {
    const base = JSON.parse(readFileSync(join(defaultMatrixDir(), 'mars-agent-2.json'), 'utf8'));
    expect(() => parseMatrix({ ...base, versions: 'two-ish' }, 'x.json')).toThrow(/x\.json: versions: not a valid semver range/);
    expect(() => parseMatrix({ ...base, colour: 'blue' }, 'y.json')).toThrow(/y\.json/);
  });

  it('rejects two files claiming overlapping versions of one component', () => {
    const dir = tempCopy();
    const m = JSON.parse(readFileSync(join(dir, 'mobility-service-9.json'), 'utf8'));
    writeFileSync(join(dir, 'mobility-service-9b.json'), JSON.stringify({ ...m, versions: '>=9.60.0 <9.70.0' }));
    expect(() => loadMatrices(dir, { fresh: true })).toThrow(/mobility-service-9\.json and mobility-service-9b\.json/);
  });

  it('adding a version is adding a JSON file', () => {
    const dir = tempCopy();
    const m = JSON.parse(readFileSync(join(dir, 'mobility-service-9.json'), 'utf8'));
    // Narrow 9.x, and add a hypothetical 10.x that also supports Ubuntu 26.04.
    writeFileSync(join(dir, 'mobility-service-9.json'), JSON.stringify({ ...m, versions: '>=9.0.0 <10.0.0' }));
    const next = {
      ...m,
      versions: '>=10.0.0 <11.0.0',
      generation: '10.x',
      title: 'Mobility service 10.x',
      os: [...m.os, { family: 'linux', ids: ['ubuntu'], versions: ['26.04'], installerOsId: 'UBUNTU-26.04-64', source: 'test: hypothetical release notes.md' }],
    };
    writeFileSync(join(dir, 'mobility-service-10.json'), JSON.stringify(next));
    const matrices = loadMatrices(dir, { fresh: true });
    expect(matrixFor('mobility-service', '10.1.0.0', matrices)?.file).toBe('mobility-service-10.json');
    const facts = loadFacts('linux-ubuntu-22.04');
    facts.os.version = '26.04';
    expect(runChecks({ facts, componentId: 'mobility-service', version: '9.65.0.0', matrices }).installerOsId).toBeNull();
    expect(runChecks({ facts, componentId: 'mobility-service', version: '10.1.0.0', matrices }).installerOsId).toBe('UBUNTU-26.04-64');
  });
});
