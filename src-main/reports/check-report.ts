import { AsrFailure } from '../model/errors.ts';
import { CheckRunDocumentSchema, type CheckRunDocument } from '../checks/document.ts';
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

const STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#1b1b1b;background:#fff}
h1{font-size:1.4rem;margin:0 0 .25rem}
.meta{color:#444;margin:0 0 1rem}
table{border-collapse:collapse}
th,td{border:1px solid #999;padding:.35rem .5rem;vertical-align:top;text-align:left}
thead th{background:#eee;position:sticky;top:0}
.grid td{min-width:12rem;max-width:28rem}
.v{font-weight:700;white-space:nowrap}
.pass{background:#dff3e0}.warn{background:#fff3cd}.unknown{background:#e2e3f3}.fail{background:#f8d7da}.na{background:#f6f6f6;color:#666}
.evidence{margin-top:.2rem;white-space:pre-wrap;overflow-wrap:anywhere}
.remedy{margin-top:.3rem;padding-top:.3rem;border-top:1px dashed #a33;white-space:pre-wrap;overflow-wrap:anywhere}
.summary{margin:0 0 1rem}
.summary td,.summary th{min-width:5rem}
code{font-size:.85em}
.legend{color:#444;margin-top:1rem}
`;

function cell(v: Verdict, body: string): string {
  return `<td class="${v}"><div class="v">${escapeHtml(LABEL[v])}</div>${body}</td>`;
}

function counts(verdicts: Verdict[]): Record<Verdict, number> {
  const c = { pass: 0, warn: 0, unknown: 0, fail: 0 };
  for (const v of verdicts) c[v]++;
  return c;
}

export function renderCheckReportHtml(doc: CheckRunDocument): string {
  const d = validated(doc);
  // Columns: every check id in first-seen order, titled from its first occurrence.
  const columns = new Map<string, string>();
  for (const h of d.hosts) for (const c of h.checks) if (!columns.has(c.id)) columns.set(c.id, c.title);

  const hostCounts = counts(d.hosts.map((h) => h.verdict));
  const checkCounts = counts(d.hosts.flatMap((h) => h.checks.map((c) => c.verdict)));
  const overall = worstVerdict(d.hosts.map((h) => h.verdict));
  const order = [...VERDICTS].reverse();

  const summary = `<table class="summary"><caption>Summary</caption><thead><tr><th scope="col"></th>${order
    .map((v) => `<th scope="col" class="${v}">${escapeHtml(LABEL[v])}</th>`)
    .join('')}<th scope="col">Total</th></tr></thead><tbody>
<tr><th scope="row">Hosts</th>${order.map((v) => `<td class="${v}">${hostCounts[v]}</td>`).join('')}<td>${d.hosts.length}</td></tr>
<tr><th scope="row">Checks</th>${order.map((v) => `<td class="${v}">${checkCounts[v]}</td>`).join('')}<td>${order.reduce((n, v) => n + checkCounts[v], 0)}</td></tr>
</tbody></table>`;

  const head = `<tr><th scope="col">Host</th><th scope="col">Verdict</th>${[...columns]
    .map(([id, title]) => `<th scope="col">${escapeHtml(title)}<br><code>${escapeHtml(id)}</code></th>`)
    .join('')}</tr>`;

  const body = d.hosts
    .map((h) => {
      const byId = new Map(h.checks.map((c) => [c.id, c]));
      const cells = [...columns.keys()].map((id) => {
        const c = byId.get(id);
        if (!c) return '<td class="na"><div class="v">— not run</div></td>';
        const err = c.asrErrorId ? ` <span class="err">(ASR ${escapeHtml(c.asrErrorId)})</span>` : '';
        const remedy = c.remedy && c.verdict !== 'pass' ? `<div class="remedy"><strong>Remedy:</strong> ${escapeHtml(c.remedy)}</div>` : '';
        return cell(c.verdict, `<div class="evidence">${escapeHtml(c.evidence)}${err}</div>${remedy}`);
      });
      return `<tr><th scope="row">${escapeHtml(h.host)}${h.installerOsId ? `<br><code>${escapeHtml(h.installerOsId)}</code>` : ''}</th>${cell(h.verdict, '')}${cells.join('')}</tr>`;
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
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Overall: <strong class="${overall}">${escapeHtml(LABEL[overall])}</strong> · ${d.hosts.length} hosts${d.matrix ? ` · matrix ${escapeHtml(d.matrix)}` : ''}${d.generatedAt ? ` · generated ${escapeHtml(d.generatedAt)}` : ''}</p>
${summary}
<table class="grid">
<thead>${head}</thead>
<tbody>
${body}
</tbody>
</table>
<p class="legend">A host's verdict is its worst check: FAIL &gt; UNKNOWN &gt; WARN &gt; PASS. UNKNOWN means a fact could not be read; it is never counted as a pass.</p>
</body>
</html>
`;
}

//#endregion
