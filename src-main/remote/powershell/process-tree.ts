import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of `root` and all its descendants (Linux: /proc; elsewhere: only root). */
export function processTree(root: number): number[] {
  if (process.platform !== 'linux') return [root];
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Field 4 (ppid) follows the parenthesised command name, which may itself contain spaces or ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(rest[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/**
 * Kills a local process and everything it started (pwsh → dotnet → ssh on Linux; powershell.exe →
 * its children on Windows). node-powershell's invocationTimeout only rejects the promise and
 * dispose() sends SIGTERM to the top process, which leaves the children (the ssh client, a
 * WinRM call) running: this is the kill a wall-clock timeout needs.
 */
export function killProcessTree(root: number): number[] {
  if (process.platform === 'win32') {
    spawnSync('taskkill', ['/PID', String(root), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    return [root];
  }
  const pids = processTree(root);
  // Stop first so no process can start new children or be reparented half-way, then kill.
  for (const p of pids) signal(p, 'SIGSTOP');
  for (const p of pids.reverse()) signal(p, 'SIGKILL');
  return pids;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    // A zombie has exited already (its parent has not reaped it yet).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}
