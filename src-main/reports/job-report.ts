import { z } from 'zod';
import { csvField } from './check-report.ts';
import { escapeHtml, reportCsp } from './html-escape.ts';
import { formatCounts, outcomeCounts } from '../model/status.ts';

/** How the installer reached a host: the stage step's record (a pull that fell back to push says why). */
export const StagingSummarySchema = z.object({ method: z.string(), url: z.string().optional(), fellBack: z.string().optional() });
export type StagingSummary = z.infer<typeof StagingSummarySchema>;

/** The staging summary from a stage step's journal detail (none when the host has not staged). */
export function stagingSummary(detail: Record<string, unknown> | null | undefined): StagingSummary | undefined {
  if (!detail || typeof detail.method !== 'string') return undefined;
  return {
    method: detail.method,
    ...(typeof detail.url === 'string' ? { url: detail.url } : {}),
    ...(typeof detail.fellBack === 'string' ? { fellBack: detail.fellBack } : {}),
  };
}

export const JobReportSchema = z.object({
  jobId: z.string(),
  kind: z.string(),
  planId: z.string().nullable(),
  status: z.string(),
  component: z.string().nullable(),
  version: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string(),
  /** Failing checks accepted in the plan: who, when, on which hosts. */
  acceptances: z.array(z.object({ check: z.string(), by: z.string().nullable(), at: z.string(), hosts: z.array(z.string()) })).default([]),
  hosts: z.array(
    z.object({
      host: z.string(),
      action: z.string().nullable(),
      status: z.string(),
      version: z.string().nullable(),
      attempts: z.number(),
      error: z.object({ code: z.string(), message: z.string(), remedy: z.string().optional() }).nullable(),
      durationMs: z.number().nullable(),
      staging: StagingSummarySchema.optional(),
    }),
  ),
});
export type JobReport = z.input<typeof JobReportSchema>;

const STATUS_COLOUR: Record<string, string> = {
  succeeded: 'ok',
  completed_with_blocked: 'warn',
  succeeded_with_warnings: 'warn',
  awaiting_config: 'warn',
  skipped: 'skip',
  failed: 'bad',
  cancelled: 'bad',
  blocked: 'bad',
  pending: 'skip',
};

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1f2933}
h1{font-size:1.4rem;margin:0 0 .25rem}p.meta{color:#52606d;margin:0 0 1.5rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap;margin-bottom:1.5rem}.card{border:1px solid #d9e2ec;border-radius:6px;padding:.6rem 1rem;min-width:7rem}
.card b{display:block;font-size:1.5rem}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
th,td{border-bottom:1px solid #e4e7eb;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f5f7fa}
.ok{color:#0b6e4f}.warn{color:#8d6708}.bad{color:#b42318}.skip{color:#52606d}
.bar{display:inline-block;height:.8rem;background:#486581;vertical-align:middle;margin-right:.4rem}
td.remedy{color:#334e68}
${Array.from({ length: 21 }, (_, i) => `.w${i}{width:${i}rem}`).join('')}`;

/** Job report as one self-contained HTML page (no scripts, strict CSP), CSV or JSON. */
export function renderJobReport(report: JobReport, format: 'html' | 'csv' | 'json'): string {
  const r = JobReportSchema.parse(report);
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  if (format === 'csv') {
    const rows = [['host', 'action', 'status', 'version', 'attempts', 'duration_s', 'error_code', 'error', 'remedy']];
    for (const h of r.hosts)
      rows.push([
        h.host,
        h.action ?? '',
        h.status,
        h.version ?? '',
        String(h.attempts),
        h.durationMs === null ? '' : (h.durationMs / 1000).toFixed(1),
        h.error?.code ?? '',
        h.error?.message ?? '',
        h.error?.remedy ?? '',
      ]);
    return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
  }
  const counts = new Map<string, number>();
  for (const h of r.hosts) counts.set(h.status, (counts.get(h.status) ?? 0) + 1);
  const versions = new Map<string, number>();
  for (const h of r.hosts) versions.set(h.version ?? 'none', (versions.get(h.version ?? 'none') ?? 0) + 1);
  const maxV = Math.max(1, ...versions.values());
  const failures = r.hosts.filter((h) => h.error && (h.status === 'failed' || h.status === 'blocked' || h.status === 'cancelled'));
  const e = escapeHtml;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${reportCsp(STYLE)}">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>ASR Deploy report — ${e(r.jobId)}</title>
<style>${STYLE}</style></head><body>
<h1>${e(r.kind === 'sweep' ? 'Update sweep' : 'Deployment')} ${e(r.jobId)}: <span class="${STATUS_COLOUR[r.status] ?? ''}">${e(r.status.replace(/_/g, ' '))}</span></h1>
<p class="outcome">${e(formatCounts(outcomeCounts(r.hosts)))}</p>
<p class="meta">${e(r.component ?? '')} ${e(r.version ?? '')} · plan ${e(r.planId ?? '-')} · started ${e(r.createdAt)} · finished ${e(r.finishedAt)}</p>
<section class="cards" aria-label="Summary">
<div class="card"><b>${r.hosts.length}</b>hosts</div>
${[...counts].map(([s, n]) => `<div class="card ${STATUS_COLOUR[s] ?? ''}"><b>${n}</b>${e(s.replace(/_/g, ' '))}</div>`).join('\n')}
</section>
<h2>Versions after the run</h2>
<table aria-label="Version distribution"><tbody>
${[...versions]
  .sort((a, b) => b[1] - a[1])
  .map(
    ([v, n]) =>
      `<tr><td>${e(v)}</td><td><span class="bar w${Math.max(1, Math.round((n / maxV) * 20))}" role="img" aria-label="${n} hosts"></span>${n}</td></tr>`,
  )
  .join('\n')}
</tbody></table>
<h2>Hosts</h2>
<table><thead><tr><th>Host</th><th>Action</th><th>Status</th><th>Version</th><th>Attempts</th><th>Duration</th></tr></thead><tbody>
${r.hosts.map((h) => `<tr><td>${e(h.host)}</td><td>${e(h.action ?? '')}</td><td class="${STATUS_COLOUR[h.status] ?? ''}">${e(h.status.replace(/_/g, ' '))}</td><td>${e(h.version ?? '—')}</td><td>${h.attempts}</td><td>${h.durationMs === null ? '—' : (h.durationMs / 1000).toFixed(1) + ' s'}</td></tr>`).join('\n')}
</tbody></table>
${
  r.acceptances.length
    ? `<h2>Accepted failing checks</h2><table aria-label="Accepted failing checks"><thead><tr><th>Check</th><th>Accepted by</th><th>When</th><th>Hosts</th></tr></thead><tbody>
${r.acceptances.map((a) => `<tr><td class="warn">${e(a.check)}</td><td>${e(a.by ?? 'unknown')}</td><td>${e(a.at)}</td><td>${e(a.hosts.join(', ') || '—')}</td></tr>`).join('\n')}
</tbody></table>`
    : ''
}
${
  failures.length
    ? `<h2>Failures and remedies</h2><table><thead><tr><th>Host</th><th>Error</th><th>Remedy</th></tr></thead><tbody>
${failures.map((h) => `<tr><td>${e(h.host)}</td><td class="bad">${e(h.error!.code)}: ${e(h.error!.message)}</td><td class="remedy">${e(h.error!.remedy ?? '')}</td></tr>`).join('\n')}
</tbody></table>`
    : ''
}
</body></html>
`;
}
