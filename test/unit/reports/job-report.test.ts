import { describe, expect, it } from 'vitest';
import { renderJobReport, stagingSummary, type JobReport } from '../../../src-main/reports/job-report.ts';

const report: JobReport = {
  jobId: 'j-1',
  kind: 'apply',
  planId: 'p-1',
  status: 'failed',
  component: 'mobility-service',
  version: '9.62.7096.1',
  createdAt: '2026-11-25T08:00:00Z',
  finishedAt: '2026-11-25T08:01:00Z',
  hosts: [
    { host: 'web1', action: 'install', status: 'succeeded', version: '9.62.7096.1', attempts: 1, error: null, durationMs: 4200 },
    {
      host: '<script>alert(1)</script>',
      action: 'install',
      status: 'failed',
      version: null,
      attempts: 3,
      error: { code: 'disk_full', message: 'no space <b>', remedy: '=HYPERLINK("x")' },
      durationMs: 1000,
    },
  ],
};

describe('job report', () => {
  it('HTML: summary, per-host table, failures with remedies, version chart; escaped; nothing inline the CSP would block', () => {
    const html = renderJobReport(report, 'html');
    expect(html).toMatch(/Content-Security-Policy/);
    expect(html).not.toMatch(/<script>/);
    expect(html).toMatch(/&lt;script&gt;/);
    expect(html).toMatch(/Failures and remedies/);
    expect(html).toMatch(/=HYPERLINK/);
    expect(html).toMatch(/Versions after the run/);
    expect(html).not.toMatch(/ style="/);
  });
  it('CSV guards formula injection and quotes; JSON validates', () => {
    const csv = renderJobReport(report, 'csv');
    expect(csv.split('\r\n')[0]).toBe('host,action,status,version,attempts,duration_s,error_code,error,remedy');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(JSON.parse(renderJobReport(report, 'json')).hosts).toHaveLength(2);
    expect(() => renderJobReport({ ...report, hosts: [{ ...report.hosts[0]!, attempts: 'x' as never }] }, 'json')).toThrow();
  });
});

describe('stagingSummary', () => {
  it('keeps how the installer came and why a planned pull was pushed, and nothing else of the stage detail', () => {
    expect(stagingSummary({ method: 'sftp', bytes: 5, sha256: 'ab', fellBack: 'the host could not fetch …; pushed instead', dir: '/tmp/x' })).toEqual({
      method: 'sftp',
      fellBack: 'the host could not fetch …; pushed instead',
    });
    expect(stagingSummary({ method: 'pull-curl', url: 'https://r/a.tar.gz' })).toEqual({ method: 'pull-curl', url: 'https://r/a.tar.gz' });
    expect(stagingSummary(null)).toBeUndefined();
    expect(stagingSummary({ error: { code: 'hash_mismatch' } })).toBeUndefined();
  });
});
