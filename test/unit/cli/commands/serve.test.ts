import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, tempHome } from '../../../helpers/cli.ts';

describe('asr-deploy serve', () => {
  it('prints {url} with --json, serves on 127.0.0.1 behind the token, and stops cleanly on SIGTERM', async () => {
    const renderer = mkdtempSync(join(tmpdir(), 'asr-renderer-'));
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>ASR Deploy</title>');
    const child = spawn(process.execPath, [BIN, '--home', tempHome(), '--json', 'serve'], {
      env: { ...process.env, ASR_DEPLOY_RENDERER_DIR: renderer, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        try {
          resolve((JSON.parse(stdout) as { url: string }).url);
        } catch {
          /* not the whole document yet */
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    await expect.poll(() => stderr).toMatch(/127\.0\.0\.1 only/);
    const first = await fetch(url, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(401);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', resolve);
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });

  it('says how to build the wizard when it is missing', async () => {
    const child = spawn(process.execPath, [BIN, '--home', tempHome(), 'serve'], {
      env: { ...process.env, ASR_DEPLOY_RENDERER_DIR: '/nonexistent' },
      cwd: tmpdir(),
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/npm run build/);
  });
});
