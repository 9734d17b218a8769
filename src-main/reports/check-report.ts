import { AsrFailure } from '../model/errors.ts';
import { CheckRunDocumentSchema, groupByCheck, type CheckRunDocument } from '../checks/document.ts';
import { VERDICTS, worstVerdict, type Verdict } from '../checks/types.ts';
import { escapeHtml, reportCsp } from './html-escape.ts';

/** Renderers of the `check` document: one self-contained HTML page, CSV (one row per host × check), JSON. */

export const CHECK_REPORT_FORMATS = ['html', 'csv', 'json'] as const;
export type CheckReportFormat = (typeof CHECK_REPORT_FORMATS)[number];

export function renderCheckReport(doc: CheckRunDocument, format: CheckReportFormat): string {
  switch (format) {
    case 'html':
      return renderCheckReportHtml(doc);
    case 'csv':
      return renderCheckReportCsv(doc);
    case 'json':
      return renderCheckReportJson(doc);
  }
}

function validated(doc: CheckRunDocument): CheckRunDocument {
  const parsed = CheckRunDocumentSchema.safeParse(doc);
  if (!parsed.success) {
    throw new AsrFailure('validation', `not a check run document: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function renderCheckReportJson(doc: CheckRunDocument): string {
  return `${JSON.stringify(validated(doc), null, 2)}\n`;
}

//#region CSV

/** Cells a spreadsheet would evaluate as a formula start with one of these (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: formula-guarded with a leading ', then RFC 4180 quoted when needed. */
export function csvField(value: unknown): string {
  let s = value == null ? '' : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = ['host', 'host_verdict', 'check_id', 'check_title', 'verdict', 'evidence', 'remedy', 'asr_error_id'] as const;

export function renderCheckReportCsv(doc: CheckRunDocument): string {
  const d = validated(doc);
  const rows: unknown[][] = [[...CSV_COLUMNS]];
  for (const h of d.hosts) {
    // A host without results keeps one row, so no host disappears from the sheet.
    if (!h.checks.length) rows.push([h.host, h.verdict, '', '', '', '', '', '']);
    for (const c of h.checks) rows.push([h.host, h.verdict, c.id, c.title, c.verdict, c.evidence, c.remedy ?? '', c.asrErrorId ?? '']);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

//#endregion

//#region HTML

const LABEL: Record<Verdict, string> = { pass: '✔ PASS', warn: '! WARN', unknown: '? UNKNOWN', fail: '✖ FAIL' };

// Nothing is wider than the page: long host lists, evidence and remedies wrap (a 1280 px window, 500 hosts).
const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#1b1b1b;background:#fff;max-width:78rem}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.meta{color:#444;margin:0 0 1rem}
table{border-collapse:collapse}
th,td{border:1px solid #999;padding:.35rem .5rem;vertical-align:top;text-align:left}
thead th{background:#eee}
.v{font-weight:700;white-space:nowrap}
.pass{background:#dff3e0}.warn{background:#fff3cd}.unknown{background:#e2e3f3}.fail{background:#f8d7da}
.evidence{margin-top:.2rem;white-space:pre-wrap;overflow-wrap:anywhere}
.remedy{margin-top:.3rem;white-space:pre-wrap;overflow-wrap:anywhere}
.summary{margin:0 0 1rem}
.summary td,.summary th{min-width:5rem}
code{font-size:.85em}
.group{border:1px solid #999;border-left-width:6px;border-radius:4px;padding:.5rem .8rem;margin:.6rem 0;background:#fff}
.group.fail{border-left-color:#b42318}.group.unknown{border-left-color:#4b4fa8}.group.warn{border-left-color:#8d6708}
.group h3{margin:0 0 .3rem;font-size:1rem}
.count{font-weight:700}
.hosts{margin:.3rem 0 0;padding:0;list-style:none;display:flex;flex-wrap:wrap;gap:.2rem .6rem;overflow-wrap:anywhere}
.hosts li{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em}
details.host{border-bottom:1px solid #ddd;padding:.25rem 0}
details.host summary{cursor:pointer;overflow-wrap:anywhere}
details.host ul{margin:.3rem 0 .4rem 1rem;padding:0}
details.host li{margin:.3rem 0}
.legend{color:#444;margin-top:1rem}
`;

function counts(verdicts: Verdict[]): Record<Verdict, number> {
  const c = { pass: 0, warn: 0, unknown: 0, fail: 0 };
  for (const v of verdicts) c[v]++;
  return c;
}

/**
 * The check report leads with what to fix: failures grouped by check (how many hosts, the
 * remedy once, the hosts listed), then a per-host drill-down (one collapsible entry per host).
 */
export function renderCheckReportHtml(doc: CheckRunDocument): string {
  const d = validated(doc);
  const hostCounts = counts(d.hosts.map((h) => h.verdict));
  const checkCounts = counts(d.hosts.flatMap((h) => h.checks.map((c) => c.verdict)));
  const overall = worstVerdict(d.hosts.map((h) => h.verdict));
  const order = [...VERDICTS].reverse();
  const e = escapeHtml;

  const summary = `<table class="summary"><caption>Summary</caption><thead><tr><th scope="col"></th>${order
    .map((v) => `<th scope="col" class="${v}">${e(LABEL[v])}</th>`)
    .join('')}<th scope="col">Total</th></tr></thead><tbody>
<tr><th scope="row">Hosts</th>${order.map((v) => `<td class="${v}">${hostCounts[v]}</td>`).join('')}<td>${d.hosts.length}</td></tr>
<tr><th scope="row">Checks</th>${order.map((v) => `<td class="${v}">${checkCounts[v]}</td>`).join('')}<td>${order.reduce((n, v) => n + checkCounts[v], 0)}</td></tr>
</tbody></table>`;

  const groups = groupByCheck(d);
  const groupHtml = groups.length
    ? groups
        .map(
          (g) => `<section class="group ${g.verdict}" aria-label="${e(g.title)}">
<h3><span class="v">${e(LABEL[g.verdict])}</span> ${e(g.title)} <code>${e(g.id)}</code>${g.asrErrorId ? ` (ASR ${e(String(g.asrErrorId))})` : ''} — <span class="count">${g.hosts.length} host${g.hosts.length === 1 ? '' : 's'}</span></h3>
${g.remedies.map((r) => `<div class="remedy"><strong>Remedy${g.remedies.length > 1 ? ` (${r.hosts} host${r.hosts === 1 ? '' : 's'})` : ''}:</strong> ${e(r.text)}</div>`).join('\n')}
<ul class="hosts" aria-label="Hosts">${g.hosts.map((h) => `<li>${e(h)}</li>`).join('')}</ul>
</section>`,
        )
        .join('\n')
    : '<p>Every check passes on every host.</p>';

  const rank: Record<Verdict, number> = { fail: 0, unknown: 1, warn: 2, pass: 3 };
  const hostsSorted = [...d.hosts].sort((a, b) => rank[a.verdict] - rank[b.verdict] || a.host.localeCompare(b.host));
  const drill = hostsSorted
    .map((h) => {
      const bad = h.checks.filter((c) => c.verdict !== 'pass');
      const passed = h.checks.length - bad.length;
      const items = bad
        .map((c) => {
          const err = c.asrErrorId ? ` <span class="err">(ASR ${e(String(c.asrErrorId))})</span>` : '';
          const remedy = c.remedy ? `<div class="remedy"><strong>Remedy:</strong> ${e(c.remedy)}</div>` : '';
          return `<li class="${c.verdict}"><span class="v">${e(LABEL[c.verdict])}</span> ${e(c.title)} <code>${e(c.id)}</code><div class="evidence">${e(c.evidence)}${err}</div>${remedy}</li>`;
        })
        .join('');
      return `<details class="host"><summary><span class="v ${h.verdict}">${e(LABEL[h.verdict])}</span> <strong>${e(h.host)}</strong>${h.installerOsId ? ` <code>${e(h.installerOsId)}</code>` : ''} — ${bad.length} to look at, ${passed} passed</summary>${items ? `<ul>${items}</ul>` : '<p>Every check passes.</p>'}</details>`;
    })
    .join('\n');

  const title = `Prerequisite check: ${d.component}${d.version ? ` ${d.version}` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportCsp(STYLE)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${e(title)}</h1>
<p class="meta">Overall: <strong class="${overall}">${e(LABEL[overall])}</strong> · ${d.hosts.length} hosts${d.matrix ? ` · matrix ${e(d.matrix)}` : ''}${d.generatedAt ? ` · generated ${e(d.generatedAt)}` : ''}</p>
${summary}
<h2>What to fix, by check</h2>
${groupHtml}
<h2>Hosts</h2>
<div class="drill">
${drill}
</div>
<p class="legend">A host's verdict is its worst check: FAIL &gt; UNKNOWN &gt; WARN &gt; PASS. UNKNOWN means a fact could not be read; it is never counted as a pass.</p>
</body>
</html>
`;
}

//#endregion
