import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { toCheckRunDocument, type CheckRunDocument } from '../../../src-main/checks/document.ts';
import { runChecks } from '../../../src-main/checks/registry.ts';
import { csvField, renderCheckReport, renderCheckReportCsv, renderCheckReportHtml, renderCheckReportJson } from '../../../src-main/reports/check-report.ts';
import { loadFacts } from '../checks/facts-fixtures.ts';

const HOSTILE = '<script>alert(1)</script>';

function sampleDoc(): CheckRunDocument {
  const hosts = ['linux-centos-6.6', 'linux-bad-etc-hosts', 'linux-sparse'].map((f) => ({
    host: f,
    result: runChecks({
      facts: loadFacts(f),
      componentId: 'mobility-service',
      version: '8.4.0.0',
      settings: { configurationServer: 'cs.lab' },
      probes: [
        { target: 'cs.lab', port: 443, ok: true },
        { target: 'cs.lab', port: 9080, ok: true },
      ],
    }),
  }));
  const doc = toCheckRunDocument('mobility-service', '8.4.0.0', hosts, '2025-05-01T10:00:00.000Z');
  doc.hosts.push({
    host: HOSTILE,
    verdict: 'fail',
    checks: [
      {
        id: 'english-names',
        verdict: 'fail',
        title: 'Names <b>bold</b>',
        evidence: `host name "${HOSTILE}" & '"><img src=x onerror=alert(2)>`,
        remedy: 'Run `=cmd|\' /C calc\'!A0` then "rename", now\r\nplease',
      },
      { id: 'os-supported', verdict: 'pass', title: 'OS', evidence: '-2+3', remedy: null },
    ],
  });
  return doc;
}

describe('check report: HTML', () => {
  const html = renderCheckReportHtml(sampleDoc());

  it('is one self-contained page with a strict CSP', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    // The only inline stylesheet is allowed by its hash.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    expect(csp).toContain(`'sha256-${hash}'`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    // No tag carries a src/href attribute (escaped evidence text may mention one harmlessly).
    expect(html).not.toMatch(/<[^>]*\s(src|href|on\w+)=/i);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('escapes hostile host names, titles and evidence', () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('&amp;');
  });

  it('leads with failures grouped by check (verdict, hosts counted, remedy once, hosts listed), then one drill-down entry per host', () => {
    const fix = html.indexOf('What to fix, by check');
    const drill = html.indexOf('<h2>Hosts</h2>');
    expect(fix).toBeGreaterThan(0);
    expect(drill).toBeGreaterThan(fix);
    const groups = html.slice(fix, drill);
    expect(groups).toMatch(
      /<section class="group fail"[^>]*>\s*<h3><span class="v">✖ FAIL<\/span> [^<]+<code>etc-hosts<\/code> — <span class="count">1 host<\/span><\/h3>/,
    );
    expect(groups).toContain('<strong>Remedy:</strong> Add these lines to /etc/hosts');
    expect(groups).toContain('<li>linux-bad-etc-hosts</li>');
    // fail groups come before unknown ones.
    expect(groups.indexOf('group fail')).toBeLessThan(groups.indexOf('group unknown'));
    const entries = html.slice(drill).match(/<details class="host">/g) ?? [];
    expect(entries).toHaveLength(4);
    expect(html.slice(drill)).toContain('10.201.0.16 (eth1)');
  });

  it('at 500 hosts: each failing check once, its remedy once, all its hosts listed; no table wider than the summary', () => {
    const base = sampleDoc().hosts.filter((h) => h.host !== HOSTILE);
    const many: CheckRunDocument = {
      component: 'mobility-service',
      version: '8.4.0.0',
      hosts: Array.from({ length: 500 }, (_, i) => ({ ...structuredClone(base[i % base.length]!), host: `srv-${String(i).padStart(3, '0')}` })),
    };
    const big = renderCheckReportHtml(many);
    const groups = big.slice(big.indexOf('What to fix, by check'), big.indexOf('<h2>Hosts</h2>'));
    const etc = /<section class="group fail" aria-label="[^"]*">[\s\S]*?<code>etc-hosts<\/code>[\s\S]*?<\/section>/.exec(groups)![0];
    expect(etc).toMatch(/<span class="count">167 hosts<\/span>/);
    expect(etc.match(/Add these lines to \/etc\/hosts/g)).toHaveLength(1);
    expect(etc.match(/<li>/g)).toHaveLength(167);
    expect(big.match(/<details class="host">/g)).toHaveLength(500);
    expect(big).not.toContain('class="grid"');
    expect(big.match(/<table/g)).toHaveLength(1);
  });

  it('shows summary counts', () => {
    const summary = /<table class="summary">([\s\S]*?)<\/table>/.exec(html)![1]!;
    // Hosts: centos unknown (Microsoft publishes no kernel list for RHEL6-64 / 8.x: kernel-supported is unknown, never pass),
    // bad-etc-hosts fail, sparse unknown, hostile fail.
    expect(summary).toMatch(
      /<th scope="row">Hosts<\/th><td class="fail">2<\/td><td class="unknown">2<\/td><td class="warn">0<\/td><td class="pass">0<\/td><td>4<\/td>/,
    );
    expect(html).toContain('Overall: <strong class="fail">✖ FAIL</strong>');
  });
});

describe('check report: CSV', () => {
  const doc = sampleDoc();
  const csv = renderCheckReportCsv(doc);

  it('has one row per host × check, CRLF, RFC 4180 quoting', () => {
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parse(csv, { relax_column_count: false }) as string[][];
    expect(rows[0]).toEqual(['host', 'host_verdict', 'check_id', 'check_title', 'verdict', 'evidence', 'remedy', 'asr_error_id']);
    expect(rows.length - 1).toBe(doc.hosts.reduce((n, h) => n + h.checks.length, 0));
    const hostile = rows.find((r) => r[2] === 'english-names' && r[0] === HOSTILE)!;
    expect(hostile[5]).toBe(`host name "${HOSTILE}" & '"><img src=x onerror=alert(2)>`);
    expect(hostile[6]).toBe('Run `=cmd|\' /C calc\'!A0` then "rename", now\r\nplease');
  });

  it('guards cells that a spreadsheet would run as formulas', () => {
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+SUM(A1)')).toBe("'+SUM(A1)");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@cmd')).toBe("'@cmd");
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('plain')).toBe('plain');
    expect(csvField(null)).toBe('');
    const rows = parse(csv) as string[][];
    expect(rows.find((r) => r[2] === 'os-supported' && r[0] === HOSTILE)![5]).toBe("'-2+3");
  });
});

describe('check report: JSON', () => {
  it('round-trips the document (the CLI contract shape)', () => {
    const doc = sampleDoc();
    const json = JSON.parse(renderCheckReport(doc, 'json'));
    expect(json).toEqual(doc);
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['component', 'version', 'hosts']));
    expect(Object.keys(json.hosts[0].checks[0])).toEqual(expect.arrayContaining(['id', 'verdict', 'title', 'evidence', 'remedy']));
  });

  it('rejects something that is not a check document', () => {
    expect(() => renderCheckReportJson({ component: 'x' } as unknown as CheckRunDocument)).toThrow(/not a check run document/);
    expect(() =>
      renderCheckReport({ component: 'x', version: null, hosts: [{ host: 'h', verdict: 'maybe', checks: [] }] } as unknown as CheckRunDocument, 'html'),
    ).toThrow(/verdict/);
  });
});
