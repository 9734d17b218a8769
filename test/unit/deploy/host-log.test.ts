import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
