import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { HostLog } from '../../../src-main/deploy/host-log.ts';
import { tempHome } from '../../helpers/cli.ts';

describe('per-host log', () => {
  it('redacts every known secret, longest first, and is private to the user', () => {
    const home = tempHome();
    const log = new HostLog(home, 'j-1', 'web/1', ['hunter2', 'hunter2-long', undefined, 'ab']);
    log.line('password=hunter2-long then hunter2 and ab stays');
    const text = readFileSync(log.path, 'utf8');
    expect(text).toMatch(/password=\[redacted\] then \[redacted\] and ab stays/);
    expect(log.path).toMatch(/web_1\.log$/);
    expect(statSync(log.path).mode & 0o077).toBe(0);
  });
});

describe('per-host log: one descriptor while lines keep coming', () => {
  it('appends every line in order across an idle close and reopen, and keeps no descriptor once idle', async () => {
    const home = tempHome();
    const log = new HostLog(home, 'j-2', 'db1');
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 1000; i++) log.line(`line ${i}`);
    expect(fds()).toBe(before + 1);
    log.close();
    expect(fds()).toBe(before);
    log.line('after close');
    const saved = HostLog.IDLE_CLOSE_MS;
    HostLog.IDLE_CLOSE_MS = 20;
    try {
      log.close();
      log.line('reopened');
      await vi.waitFor(() => expect(fds()).toBe(before), { timeout: 5000, interval: 25 });
    } finally {
      HostLog.IDLE_CLOSE_MS = saved;
    }
    const lines = readFileSync(log.path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1002);
    expect(lines[999]).toMatch(/ line 999$/);
    expect(lines.at(-1)).toMatch(/ reopened$/);
    expect(statSync(log.path).mode & 0o077).toBe(0);
  });
});
