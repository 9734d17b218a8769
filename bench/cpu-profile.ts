// Summarises a V8 .cpuprofile (written by `node --cpu-prof`): the frames with the most self time,
// so a benchmark can print where the workstation's CPU went (crypto, SFTP framing, the event loop).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface TopFrame {
  frame: string;
  selfMs: number;
  share: number;
}

/** Self time per frame (function + file:line), largest first; `(idle)` is kept so saturation shows. */
export function topFrames(file: string, limit = 12): { frames: TopFrame[]; totalMs: number; idleMs: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // The delta before sample i+1 is the time sample i stood for.
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, dt));
  }
  const agg = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    totalUs += us;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    if (name === '(idle)') idleUs += us;
    const where = cf.url ? ` ${cf.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '')}:${cf.lineNumber + 1}` : '';
    const key = `${name}${where}`;
    agg.set(key, (agg.get(key) ?? 0) + us);
  }
  const frames = [...agg.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, share: totalUs ? us / totalUs : 0 }));
  return { frames, totalMs: totalUs / 1000, idleMs: idleUs / 1000 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = topFrames(process.argv[2] as string, Number(process.argv[3] ?? 15));
  process.stdout.write(`profile ${(r.totalMs / 1000).toFixed(1)} s, idle ${((r.idleMs / r.totalMs) * 100).toFixed(0)}%\n`);
  for (const f of r.frames) process.stdout.write(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.frame}\n`);
}

/** Which cipher/MAC the job's SSH connections negotiated (from the host logs), e.g. "aes128-gcm@openssh.com ×100". */
export function cryptoOf(home: string): string {
  const seen = new Map<string, number>();
  const logs = join(home, 'logs');
  for (const job of readdirSync(logs)) {
    for (const f of readdirSync(join(logs, job))) {
      const m = /negotiated: kex=\S+ hostkey=\S+ cipher=(\S+) mac=(\S+)/.exec(readFileSync(join(logs, job, f), 'utf8'));
      if (m) seen.set(`${m[1]} mac=${m[2]}`, (seen.get(`${m[1]} mac=${m[2]}`) ?? 0) + 1);
    }
  }
  return [...seen].map(([k, v]) => `${k} ×${v}`).join(', ') || 'none logged';
}
